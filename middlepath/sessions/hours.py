"""The hours ledger and the nine-hour rule.

`weekly_ledger()` is the one function that decides a patient's treatment minutes in a
week: it sums `Attendance.objects.counted()` (the rule of what counts) in the database and
sets it beside the weekly target of the patient's phase in force that week. The chart,
the dashboard, the compliance report and the API all read it, so they always agree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from middlepath.care.models import Episode, EpisodeChange, Patient
from middlepath.clinic.models import Location, Program
from middlepath.sessions.models import Attendance, Session


@dataclass(frozen=True)
class Week:
    start: dt.date

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=6)

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range(7)]

    def previous(self, count: int = 1) -> Week:
        return Week(self.start - dt.timedelta(days=7 * count))

    @classmethod
    def containing(cls, day: dt.date, program: Program | None = None) -> Week:
        """The program week holding `day` (weeks start on the program's first day)."""
        starts_on = program.week_starts_on if program is not None else 1
        return cls(day - dt.timedelta(days=(day.isoweekday() - starts_on) % 7))


def program_for(location: Location) -> Program | None:
    """The program whose week the location's reports use (the first with a track there)."""
    return Program.objects.filter(tracks__location=location).order_by("pk").first()


def _integer(expression) -> Coalesce:
    return Coalesce(expression, Value(0), output_field=IntegerField())


def _target_in_force(week: Week) -> Coalesce:
    """The weekly target of the phase in force at the end of `week` for each episode."""
    phase_then = (
        EpisodeChange.objects.filter(
            episode=OuterRef("pk"), effective_on__lte=week.end, to_phase__isnull=False
        )
        .order_by("-effective_on", "-recorded_at", "-pk")
        .values("to_phase__weekly_target_minutes")[:1]
    )
    return Coalesce(
        Subquery(phase_then),
        F("phase__weekly_target_minutes"),
        F("program__minimum_weekly_minutes"),
        output_field=IntegerField(),
    )


def _counted_in(week: Week):
    return (
        Attendance.objects.counted()
        .between(week.start, week.end)
        .filter(patient=OuterRef("patient_id"))
    )


def weekly_ledger(episodes: QuerySet[Episode], week: Week) -> QuerySet:
    """One row per episode enrolled during `week`: minutes, days attended, target.

    Rows are dicts with patient_id, episode_id, minutes, days, target, admitted_on,
    discharged_on; everything is computed by the database.
    """
    minutes = _counted_in(week).values("patient").annotate(total=Sum("minutes")).values("total")
    days = (
        _counted_in(week)
        .values("patient")
        .annotate(total=Count("date", distinct=True))
        .values("total")
    )
    return (
        episodes.filter(admitted_on__lte=week.end)
        .filter(Q(discharged_on__isnull=True) | Q(discharged_on__gte=week.start))
        .annotate(
            minutes=_integer(Subquery(minutes)),
            days=_integer(Subquery(days)),
            target=_target_in_force(week),
        )
        .values(
            "patient_id",
            "minutes",
            "days",
            "target",
            "admitted_on",
            "discharged_on",
            episode_id=F("pk"),
        )
    )


@dataclass(frozen=True)
class SessionMinutes:
    id: int
    kind: str
    date: dt.date
    minutes: int


@dataclass(frozen=True)
class WeekHours:
    week: Week
    minutes: int
    target_minutes: int
    days: int
    enrolled: bool
    sessions: list[SessionMinutes] = field(default_factory=list)

    @property
    def compliant(self) -> bool:
        return self.minutes >= self.target_minutes

    @property
    def shortfall(self) -> int:
        return max(0, self.target_minutes - self.minutes)


def _episode_in(patient: Patient, week: Week) -> Episode | None:
    return (
        patient.episodes.filter(admitted_on__lte=week.end)
        .filter(Q(discharged_on__isnull=True) | Q(discharged_on__gte=week.start))
        .select_related("program")
        .order_by("-admitted_on")
        .first()
    )


def _hours_from_row(week: Week, row: dict | None) -> WeekHours:
    if row is None:
        return WeekHours(week, 0, 0, 0, enrolled=False)
    return WeekHours(week, row["minutes"], row["target"], row["days"], enrolled=True)


def patient_week(patient: Patient, day: dt.date) -> WeekHours:
    """A patient's week holding `day`, with the sessions that counted."""
    latest = patient.episodes.select_related("program").order_by("-admitted_on").first()
    week = Week.containing(day, latest.program if latest else None)
    episode = _episode_in(patient, week)
    row = weekly_ledger(Episode.objects.filter(pk=episode.pk), week).first() if episode else None
    hours = _hours_from_row(week, row)
    sessions = [
        SessionMinutes(row["session_id"], row["session__kind"], row["date"], row["minutes"])
        for row in Attendance.objects.counted()
        .between(week.start, week.end)
        .filter(patient=patient)
        .order_by("date", "session__start_time")
        .values("session_id", "session__kind", "date", "minutes")
    ]
    if row is None:
        minutes = sum(s.minutes for s in sessions)
        days = len({s.date for s in sessions})
        return WeekHours(week, minutes, 0, days, enrolled=False, sessions=sessions)
    return WeekHours(week, hours.minutes, hours.target_minutes, hours.days, True, sessions)


def patient_recent_weeks(patient: Patient, day: dt.date, weeks: int = 12) -> list[WeekHours]:
    """The last `weeks` weeks up to the one holding `day`, oldest first (one query a week)."""
    latest = patient.episodes.select_related("program").order_by("-admitted_on").first()
    current = Week.containing(day, latest.program if latest else None)
    episodes = patient.episodes.all()
    history = []
    for back in range(weeks - 1, -1, -1):
        week = current.previous(back)
        row = weekly_ledger(episodes, week).order_by("-admitted_on").first()
        history.append(_hours_from_row(week, row))
    return history


# --- a location's week --------------------------------------------------------------------


@dataclass(frozen=True)
class ComplianceRow:
    patient_id: int
    mrn: str
    name: str
    track: str
    phase: str
    minutes: int
    days: int
    target: int
    status: str
    partial_week: bool

    @property
    def shortfall(self) -> int:
        return max(0, self.target - self.minutes)

    @property
    def compliant(self) -> bool:
        return self.minutes >= self.target


MET, BELOW, PARTIAL = "met", "below target", "partial week"


def compliance(location: Location, day: dt.date) -> tuple[Week, list[ComplianceRow]]:
    """Every patient enrolled at `location` in the week holding `day`, with their hours."""
    week = Week.containing(day, program_for(location))
    rows = (
        weekly_ledger(Episode.objects.filter(location=location), week)
        .annotate(
            mrn=F("patient__mrn"),
            first_name=F("patient__first_name"),
            last_name=F("patient__last_name"),
            track_name=F("track__name"),
            phase_name=F("phase__name"),
        )
        .order_by("patient__last_name", "patient__first_name", "patient_id", "-admitted_on")
    )
    result = []
    listed = set()
    for row in rows:
        # Discharged and readmitted within the week: one row, for the episode the chart
        # shows (the latest), since the minutes are the patient's either way.
        if row["patient_id"] in listed:
            continue
        listed.add(row["patient_id"])
        partial = row["admitted_on"] > week.start or (
            row["discharged_on"] is not None and row["discharged_on"] < week.end
        )
        met = row["minutes"] >= row["target"]
        result.append(
            ComplianceRow(
                patient_id=row["patient_id"],
                mrn=row["mrn"],
                name=f"{row['last_name']}, {row['first_name']}",
                track=row["track_name"],
                phase=row["phase_name"],
                minutes=row["minutes"],
                days=row["days"],
                target=row["target"],
                status=MET if met else (PARTIAL if partial else BELOW),
                partial_week=partial,
            )
        )
    return week, result


@dataclass(frozen=True)
class Shortfall:
    patient_id: int
    name: str
    track: str
    minutes: int
    scheduled: int
    target: int

    @property
    def projected_shortfall(self) -> int:
        return max(0, self.target - self.minutes - self.scheduled)

    @property
    def shortfall(self) -> int:
        return max(0, self.target - self.minutes)


def still_scheduled(location: Location, week: Week, today: dt.date) -> dict[int, int]:
    """Minutes each patient is still expected at this week, from today on, at sessions that
    expect them (SessionQuerySet.expected) and have no attendance for them yet.

    One week at one location is a few hundred sessions, read as plain rows.
    """
    sessions = Session.objects.filter(
        location=location,
        kind__in=Session.COUNTED_KINDS,
        status=Session.Status.SCHEDULED,
        date__range=(today, week.end),
    )
    minutes = dict(sessions.values_list("pk", "minutes"))
    recorded = set(
        Attendance.objects.filter(session__in=sessions).values_list("session_id", "patient_id")
    )
    totals: dict[int, int] = defaultdict(int)
    for session_id, expected in sessions.expected().items():
        for patient_id in expected:
            if (session_id, patient_id) not in recorded:
                totals[patient_id] += minutes[session_id]
    return totals


def shortfalls(location: Location, today: dt.date) -> tuple[Week, list[Shortfall]]:
    """Patients below target so far this week, with what is still scheduled for them.

    Listed when even the sessions still ahead would not make up the target: those are the
    patients to call now.
    """
    week = Week.containing(today, program_for(location))
    scheduled = still_scheduled(location, week, today)
    rows = (
        weekly_ledger(Episode.objects.filter(location=location, discharged_on__isnull=True), week)
        .annotate(
            first_name=F("patient__first_name"),
            last_name=F("patient__last_name"),
            track_name=F("track__name"),
        )
        .order_by("patient__last_name", "patient__first_name")
    )
    result = [
        Shortfall(
            patient_id=row["patient_id"],
            name=f"{row['first_name']} {row['last_name']}",
            track=row["track_name"],
            minutes=row["minutes"],
            scheduled=scheduled.get(row["patient_id"], 0),
            target=row["target"],
        )
        for row in rows
    ]
    return week, [row for row in result if row.projected_shortfall > 0]
