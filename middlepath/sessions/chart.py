"""What a patient's chart shows from the sessions app: hours bars and note entries.

"Write once, land in every chart": a group note is stored once; each member's chart
entry is assembled from the shared parts (topic, summary) and that member's own rows
(check-in, attendance, homework). Another member's check-in is never loaded here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q

from middlepath.care.models import Patient
from middlepath.sessions.hours import WeekHours
from middlepath.sessions.models import Addendum, Attendance, CheckIn, Homework, Note


@dataclass(frozen=True)
class Bar:
    """One week's bar in the hours chart, in the SVG's pixel coordinates."""

    week: WeekHours
    x: int
    y: int
    height: int
    target_y: int


CHART_HEIGHT = 100  # pixels for the tallest value
CHART_TOP = 10
WEEK_WIDTH = 40


def bars(history: list[WeekHours]) -> list[Bar]:
    """Bars for the twelve-week hours chart, scaled to the largest value shown."""
    top = max([1, *(w.minutes for w in history), *(w.target_minutes for w in history)])
    baseline = CHART_TOP + CHART_HEIGHT
    result = []
    for index, week in enumerate(history):
        height = round(CHART_HEIGHT * week.minutes / top)
        target = round(CHART_HEIGHT * week.target_minutes / top)
        result.append(
            Bar(week, index * WEEK_WIDTH + 6, baseline - height, height, baseline - target)
        )
    return result


@dataclass(frozen=True)
class NoteEntry:
    note: Note
    check_in: str
    attendance: Attendance | None
    homework: list[Homework]
    addenda: list[Addendum]

    @property
    def session(self):
        return self.note.session


def note_entries(patient: Patient, *, limit: int = 10, offset: int = 0) -> list[NoteEntry]:
    """This patient's signed notes, newest first, each with only this patient's parts."""
    attended = Attendance.objects.filter(patient=patient).values("session_id")
    notes = (
        Note.objects.filter(status=Note.Status.SIGNED)
        .filter(Q(session__patient=patient) | Q(session__group__isnull=False, session__in=attended))
        .select_related("session__group", "topic", "author")
        .prefetch_related(
            Prefetch("check_ins", queryset=CheckIn.objects.filter(patient=patient), to_attr="mine"),
            Prefetch(
                "session__attendance",
                queryset=Attendance.objects.filter(patient=patient),
                to_attr="my_attendance",
            ),
            Prefetch(
                "session__homework_assigned",
                queryset=Homework.objects.filter(patient=patient),
                to_attr="my_homework",
            ),
            Prefetch(
                "addenda", queryset=Addendum.objects.select_related("author"), to_attr="all_addenda"
            ),
        )
        .order_by("-session__date", "-session__start_time")[offset : offset + limit]
    )
    return [
        NoteEntry(
            note=note,
            check_in=note.mine[0].text if note.mine else "",
            attendance=note.session.my_attendance[0] if note.session.my_attendance else None,
            homework=note.session.my_homework,
            addenda=note.all_addenda,
        )
        for note in notes
    ]
