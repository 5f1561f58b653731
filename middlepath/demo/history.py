"""The demo clinic's weeks of history: groups, sessions, attendance, notes, homework.

Groups follow the phases: each phase attends a fixed set of group types (content.py), and
all groups of a type meet at the same time on a track, side by side, so every patient has
a full, clash-free week. Patients join groups on admission, move between them as they step
down or back up, and leave on discharge; a group is split when it would pass 15. Most
patients attend nearly everything and meet their target; a less reliable few fall short.
Everything before today is attended and documented; today's and later sessions are left
for the demo's users.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils import timezone

from middlepath.clinic.models import CurriculumTopic, GroupType, Room, Track
from middlepath.demo import content
from middlepath.sessions.models import (
    Attendance,
    CheckIn,
    GroupGuest,
    Homework,
    Membership,
    Note,
    Session,
    TherapyGroup,
)

if TYPE_CHECKING:
    from middlepath.demo.builder import Clinic, DemoSpec, Site, _Plan

BATCH = 2000
MAX_MEMBERS = 15
OPEN, CLOSE = 1, 0  # on one day, seats are freed before new ones are taken
SLOT_MINUTES = 90
Progress = Callable[[str, int], None]


@dataclass
class _Group:
    """A group while the history is planned: its seat holders over time."""

    track: Track
    type_code: str
    stage: str
    number: int
    seats: list[list] = field(default_factory=list)  # [patient_id, joined_on, left_on|None]
    model: TherapyGroup | None = None

    def current(self) -> int:
        return sum(1 for seat in self.seats if seat[2] is None)

    def peak(self) -> int:
        return max([len(self.members_on(joined)) for _, joined, _ in self.seats] + [0])

    def members_on(self, day: dt.date) -> list[int]:
        return [
            pid
            for pid, joined, left in self.seats
            if joined <= day and (left is None or day < left)
        ]


def build(
    spec: DemoSpec, clinic: Clinic, plans: list[_Plan], rng: random.Random, report: Progress
) -> dict[str, int]:
    builder = _History(spec, clinic, plans, rng, report)
    return builder.run()


class _History:
    def __init__(self, spec, clinic, plans, rng, report) -> None:
        self.spec, self.clinic, self.plans, self.rng, self.report = spec, clinic, plans, rng, report
        self.today = spec.today
        monday = self.today - dt.timedelta(days=self.today.isoweekday() - 1)
        self.first_day = monday - dt.timedelta(weeks=spec.weeks)
        self.last_day = monday + dt.timedelta(days=6)  # the current week is scheduled too
        self.types = {group_type.code: group_type for group_type in GroupType.objects.all()}
        self.topics = defaultdict(list)
        for topic in CurriculumTopic.objects.order_by("order"):
            self.topics[topic.group_type_id].append(topic)
        self.groups: dict[tuple, list[_Group]] = defaultdict(list)
        self.tracks = {track.pk: track for site in clinic.sites for track in site.tracks}
        self._sizing = False
        # Most patients miss little; a less reliable few miss about one session in three.
        self.reliability = {
            plan.patient.pk: (0.66 if rng.random() < 0.15 else 0.975) for plan in plans
        }

    def run(self) -> dict[str, int]:
        self._place_patients()
        self._save_groups()
        sessions = self._group_sessions() + self._visits()
        Session.objects.bulk_create(sessions, batch_size=BATCH)
        attendance_count = self._attend_and_document(sessions)
        return {
            "groups": sum(len(g) for g in self.groups.values()),
            "sessions": len(sessions),
            "attendance": attendance_count,
        }

    # -- who is in which group when ---------------------------------------------------

    def _phase_spans(
        self, plan: _Plan, episode_index: int
    ) -> list[tuple[dt.date, dt.date | None, int]]:
        """(from, until exclusive, phase order) for one episode, from its change rows."""
        episode = plan.episodes[episode_index]
        changes = [c for c in plan.changes[episode_index] if c.to_phase_id]
        spans = []
        for index, change in enumerate(changes):
            until = changes[index + 1].effective_on if index + 1 < len(changes) else None
            spans.append((change.effective_on, until, change.to_phase.order))
        end = episode.discharged_on + dt.timedelta(days=1) if episode.discharged_on else None
        if spans and end is not None:
            start, until, order = spans[-1]
            spans[-1] = (start, end if until is None else min(until, end), order)
        return spans

    def _place_patients(self) -> None:
        """Give each patient seats as their phases change, in date order across everyone,
        keeping the seats of group types the next phase still attends.

        A first pass finds how many people each kind of group holds at its busiest; the
        second opens as many groups of that kind as 15 seats each require and fills the
        emptiest, as a program splits a full group in two rather than opening a group of one.
        """
        events = self._events()
        self._sizing = True
        self._take_seats(events)
        peaks = {key: group.peak() for key, [group] in self.groups.items()}
        self.groups.clear()
        self._sizing = False
        for key, peak in peaks.items():
            track = self.tracks[key[0]]
            count = max(1, math.ceil(peak / MAX_MEMBERS))
            self.groups[key] = [_Group(track, key[1], key[2], n) for n in range(1, count + 1)]
        self._take_seats(events)

    def _events(self) -> list[tuple]:
        """(day, open/close, order, plan, episode, phase, in family group), sorted."""
        events = []
        for order, plan in enumerate(self.plans):
            for episode_index, episode in enumerate(plan.episodes):
                spans = self._phase_spans(plan, episode_index)
                family = self.rng.random() < 0.3
                for start, until, phase in spans:
                    if until is not None and until <= self.first_day:
                        continue
                    day = max(start, self.first_day)
                    events.append((day, OPEN, order, plan, episode, phase, family))
                last_until = spans[-1][1] if spans else None
                if last_until is not None and last_until > self.first_day:
                    events.append((last_until, CLOSE, order, plan, episode, None, family))
        return sorted(events, key=lambda event: event[:3])

    def _take_seats(self, events: list[tuple]) -> None:
        seats: dict[int, dict[str, list]] = defaultdict(dict)
        for day, action, _, plan, episode, phase, family in events:
            held = seats[plan.patient.pk]
            wanted = set() if action == CLOSE else set(content.GROUPS_BY_PHASE[phase])
            if family and action == OPEN:
                wanted.add("family")
            for code in [code for code in held if code not in wanted]:
                held.pop(code)[2] = day
            for code in sorted(wanted - set(held)):
                stage = plan.patient.recovery_stage if self.types[code].same_stage else ""
                seat = [plan.patient.pk, day, None]
                self._seat(episode.track, code, stage, day).seats.append(seat)
                held[code] = seat

    def _seat(self, track: Track, code: str, stage: str, day: dt.date) -> _Group:
        """The emptiest group of that kind with a free seat on `day`, or a new one."""
        candidates = self.groups[(track.pk, code, stage)]
        if self._sizing:
            if not candidates:
                candidates.append(_Group(track, code, stage, 1))
            return candidates[0]
        sizes = [(len(group.members_on(day)), group.number, group) for group in candidates]
        open_seats = [entry for entry in sizes if entry[0] < MAX_MEMBERS]
        if open_seats:
            return min(open_seats, key=lambda entry: entry[:2])[2]
        group = _Group(track, code, stage, len(candidates) + 1)
        candidates.append(group)
        return group

    # -- groups, rooms and facilitators ----------------------------------------------------

    def _save_groups(self) -> None:
        for site in self.clinic.sites:
            keys = [key for key in self.groups if key[0] in {t.pk for t in site.tracks}]
            parallel = max([len(self.groups[key]) for key in keys] + [1])
            by_type = defaultdict(int)
            for key in keys:
                by_type[(key[0], key[1])] += len(self.groups[key])
            needed = max([*by_type.values(), parallel, 1])
            rooms = list(site.location.rooms.order_by("pk"))
            for number in range(len(rooms), needed):
                rooms.append(
                    Room.objects.create(
                        location=site.location, name=f"Group room {number + 1}", capacity=15
                    )
                )
            for track_index, track in enumerate(site.tracks):
                slot_starts = [
                    (
                        dt.datetime.combine(self.today, track.block_start)
                        + dt.timedelta(minutes=SLOT_MINUTES * n)
                    ).time()
                    for n in range(2)
                ]
                for code, days, slot in [
                    *content.GROUP_PATTERN,
                    ("family", [content.FAMILY_GROUP_DAY], 0),
                ]:
                    groups = [
                        g
                        for key in keys
                        if key[0] == track.pk and key[1] == code
                        for g in self.groups[key]
                    ]
                    for index, group in enumerate(groups):
                        facilitator = self._facilitator(site, track_index, index)
                        start = slot_starts[slot]
                        group.model = TherapyGroup(
                            name=self._name(group, code),
                            group_type=self.types[code],
                            track=track,
                            stage=group.stage,
                            facilitator=facilitator,
                            room=rooms[index % len(rooms)],
                            meeting_days=days,
                            start_time=start,
                            minutes=SLOT_MINUTES,
                            # A group nobody sits in any more has stopped meeting.
                            is_active=any(left is None for _, _, left in group.seats),
                        )
        models = [g.model for groups in self.groups.values() for g in groups]
        TherapyGroup.objects.bulk_create(models, batch_size=BATCH)
        Membership.objects.bulk_create(
            [
                Membership(group=group.model, patient_id=pid, joined_on=joined, left_on=left)
                for groups in self.groups.values()
                for group in groups
                for pid, joined, left in group.seats
                if left is None or left > joined
            ],
            batch_size=BATCH,
        )
        guests = []
        for (_, code, _), groups in self.groups.items():
            if code != "family":
                continue
            for group in groups:
                for pid, joined, left in group.seats:
                    if left is None:
                        guests.append(
                            GroupGuest(
                                group=group.model,
                                patient_id=pid,
                                name=self._guest_name(),
                                relationship=self.rng.choice(
                                    ["Spouse", "Mother", "Sister", "Partner", "Son"]
                                ),
                                joined_on=joined,
                            )
                        )
        GroupGuest.objects.bulk_create(guests, batch_size=BATCH)

    def _guest_name(self) -> str:
        first = self.rng.choice(
            ["Ana", "Ben", "Carla", "Dev", "Elena", "Frank", "Grace", "Hugo", "Ines", "Jon"]
        )
        last = self.rng.choice(
            ["Reyes", "Novak", "Okafor", "Lind", "Moreau", "Tanaka", "Silva", "Brandt"]
        )
        return f"{first} {last}"

    def _name(self, group: _Group, code: str) -> str:
        label = self.types[code].name
        stage = f" – {group.stage} recovery" if group.stage else ""
        letter = chr(ord("A") + group.number - 1) if group.number <= 26 else str(group.number)
        return f"{label}{stage} {letter}"

    @staticmethod
    def _facilitator(site: Site, track_index: int, index: int):
        # Groups of one type meet at once, so the n-th group of each type can share a lead;
        # the day and evening tracks use the two halves of the team where it is big enough.
        counselors = site.counselors
        half = max(1, len(counselors) // 2)
        offset = 0 if track_index == 0 or len(counselors) < 2 else half
        return counselors[(offset + index) % len(counselors)]

    # -- sessions -------------------------------------------------------------------------

    def _closed(self, day: dt.date) -> str:
        """Holidays the program was closed on (in the past; the future is left open)."""
        if day >= self.today:
            return ""
        return content.holidays(day.year).get(day, "")

    def _group_sessions(self) -> list[Session]:
        sessions = []
        for groups in self.groups.values():
            for group in groups:
                model = group.model
                first = max(self.first_day, min(joined for _, joined, _ in group.seats))
                day = first
                while day <= self.last_day:
                    if day.isoweekday() in model.meeting_days and group.members_on(day):
                        session = Session(
                            kind=Session.Kind.GROUP,
                            group=model,
                            location=model.track.location,
                            date=day,
                            start_time=model.start_time,
                            minutes=model.minutes,
                            room=model.room,
                            facilitator=model.facilitator,
                        )
                        holiday = self._closed(day)
                        if holiday:
                            session.status, session.cancel_reason = (
                                Session.Status.CANCELLED,
                                f"Holiday: {holiday}",
                            )
                        session.place_in_time()
                        session.expected = group.members_on(day)
                        sessions.append(session)
                    day += dt.timedelta(days=1)
                self.report("sessions", 0)
        return sessions

    def _visits(self) -> list[Session]:
        """Weekly individual therapy with the primary counselor; monthly case management."""
        sessions, booked = [], set()
        for plan in self.plans:
            for episode in plan.episodes:
                counselor = episode.primary_counselor
                case_manager = plan.site.case_manager
                weekday = plan.patient.pk % 5 + 1
                hour = 13 + (plan.patient.pk // 5) % 4
                start = max(episode.admitted_on, self.first_day)
                end = min(episode.discharged_on or self.last_day, self.last_day)
                day = start + dt.timedelta(days=(weekday - start.isoweekday()) % 7)
                week = 0
                while day <= end:
                    key = (counselor.pk, day, hour)
                    if key not in booked and not self._closed(day):
                        booked.add(key)
                        sessions.append(
                            self._visit(
                                Session.Kind.INDIVIDUAL,
                                plan,
                                episode,
                                day,
                                dt.time(hour),
                                60,
                                counselor,
                            )
                        )
                    if week % 4 == 1 and (case_manager.pk, day, 12) not in booked:
                        booked.add((case_manager.pk, day, 12))
                        sessions.append(
                            self._visit(
                                Session.Kind.CASE_MANAGEMENT,
                                plan,
                                episode,
                                day,
                                dt.time(12, 15),
                                30,
                                case_manager,
                            )
                        )
                    day += dt.timedelta(weeks=1)
                    week += 1
        return sessions

    @staticmethod
    def _visit(kind, plan, episode, day, start, minutes, clinician) -> Session:
        session = Session(
            kind=kind,
            patient=plan.patient,
            location=episode.location,
            date=day,
            start_time=start,
            minutes=minutes,
            facilitator=clinician,
        )
        session.place_in_time()
        session.expected = [plan.patient.pk]
        return session

    # -- attendance, notes, homework ----------------------------------------------------------

    def _status(self, patient_id: int, minutes: int) -> tuple[str, int]:
        roll = self.rng.random()
        reliable = self.reliability[patient_id]
        if roll < reliable:
            return Attendance.Status.PRESENT, minutes
        roll = self.rng.random()
        if roll < 0.25:
            return Attendance.Status.LATE, self.rng.randint(minutes // 2, minutes - 10)
        if roll < 0.45:
            return Attendance.Status.LEFT_EARLY, self.rng.randint(minutes // 3, minutes - 15)
        if roll < 0.7:
            return Attendance.Status.ABSENT_EXCUSED, 0
        return Attendance.Status.ABSENT_UNEXCUSED, 0

    def _attend_and_document(self, sessions: list[Session]) -> int:
        attendance, notes, check_ins, homework = [], [], [], []
        by_group_day = {}
        now = timezone.now()
        for session in sessions:
            if session.group_id:
                by_group_day[(session.group_id, session.date)] = session
        for session in sessions:
            if session.date >= self.today:
                continue
            present = []
            for patient_id in session.expected:
                if session.status == Session.Status.CANCELLED:
                    status, minutes = Attendance.Status.CANCELLED, 0
                else:
                    status, minutes = self._status(patient_id, session.minutes)
                attendance.append(
                    Attendance(
                        session=session,
                        patient_id=patient_id,
                        date=session.date,
                        status=status,
                        minutes=minutes,
                        recorded_by=session.facilitator,
                    )
                )
                if minutes:
                    present.append(patient_id)
            if not present:
                continue
            note = self._note(session, now)
            notes.append(note)
            if session.group_id:
                for patient_id in present:
                    check_ins.append(
                        CheckIn(
                            note=note,
                            patient_id=patient_id,
                            text=self.rng.choice(content.CHECK_INS),
                        )
                    )
                if (
                    note.topic
                    and note.topic.homework_template
                    and session.group.group_type.kind != "process"
                ):
                    following = self._next_meeting(session, by_group_day)
                    for patient_id in present:
                        homework.append(
                            self._homework(
                                session, patient_id, note.topic.homework_template, following, now
                            )
                        )
            self.report("attendance", len(session.expected))
        Attendance.objects.bulk_create(attendance, batch_size=BATCH)
        Note.objects.bulk_create(notes, batch_size=BATCH)
        CheckIn.objects.bulk_create(check_ins, batch_size=BATCH)
        Homework.objects.bulk_create(homework, batch_size=BATCH)
        return len(attendance)

    def _note(self, session: Session, now: dt.datetime) -> Note:
        author = session.facilitator
        signed = dt.datetime.combine(
            session.date, session.end_time, tzinfo=session.location.zone
        ) + dt.timedelta(hours=1)
        note = Note(
            session=session, author=author, status=Note.Status.SIGNED, signed_at=min(signed, now)
        )
        if not author.is_licensed and author.supervisor_id:
            note.cosigner_id = author.supervisor_id
            recent = (self.today - session.date).days < 3
            note.cosigned_at = None if recent else min(signed + dt.timedelta(days=1), now)
        if session.group_id:
            topics = self.topics[session.group.group_type_id]
            note.topic = (
                topics[(session.date.toordinal() // 7 + session.date.isoweekday()) % len(topics)]
                if topics
                else None
            )
            note.summary = self.rng.choice(content.SUMMARIES).format(
                topic=note.topic.title.lower() if note.topic else "the week"
            )
        else:
            template = (
                content.CASE_MANAGEMENT_NOTE
                if session.kind == Session.Kind.CASE_MANAGEMENT
                else self.rng.choice(content.VISIT_NOTES)
            )
            note.focus, note.interventions, note.response, note.plan = template
        return note

    @staticmethod
    def _next_meeting(session: Session, by_group_day: dict) -> Session | None:
        for days in range(1, 8):
            following = by_group_day.get((session.group_id, session.date + dt.timedelta(days=days)))
            if following is not None:
                return following
        return None

    def _homework(self, session, patient_id, text, following, now) -> Homework:
        due = following.date if following else session.date + dt.timedelta(days=7)
        item = Homework(
            patient_id=patient_id,
            session=session,
            text=text,
            due_on=due,
            assigned_by=session.facilitator,
        )
        if following is not None and following.date < self.today:
            item.status = (
                Homework.Status.DONE if self.rng.random() < 0.72 else Homework.Status.NOT_DONE
            )
            item.reviewed_in, item.reviewed_by = following, following.facilitator
            item.reviewed_at = min(
                dt.datetime.combine(following.date, following.start_time, tzinfo=dt.UTC), now
            )
        return item
