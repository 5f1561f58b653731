"""From the clinic's database to the roster format (`middlepath-roster/1`) and back.

`build_instance()` writes the week to roster: tracks' blocks and slots, open rooms,
facilitators' qualifications and free slots, and every enrolled patient's phase targets,
available days, stage and last week's process facilitator. `apply_solution()` turns a
roster into that week's group sessions, seats and memberships, in one transaction, after
`compare()` has shown what changes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from middlepath.accounts.models import User
from middlepath.care.models import Episode, Patient
from middlepath.clinic.models import WEEKDAY_NAMES, GroupType, Location, Room, Track
from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction
from middlepath.roster.instance import parse_instance, parse_solution
from middlepath.roster.models import PatientDays, StaffSlots, WeekPlan
from middlepath.roster.validate import validate
from middlepath.sessions.models import Attendance, Membership, Note, Seat, Session, TherapyGroup
from middlepath.sessions.services import refuse_conflicts

INSTANCE_FORMAT = "middlepath-roster/1"
PREFERENCE_LOOKBACK = dt.timedelta(days=14)


def week_start_of(day: dt.date) -> dt.date:
    """Rosters are weekly, Monday to Sunday."""
    return day - dt.timedelta(days=day.isoweekday() - 1)


def track_id(track: Track) -> str:
    return f"{track.kind}-{track.pk}"


def block_id(track: Track, weekday: int) -> str:
    return f"{track.location.code}-{WEEKDAY_NAMES[weekday - 1]}-{track.kind}-{track.pk}"


def _pk(prefix: str, value: str) -> int:
    if not value.startswith(prefix):
        raise ValidationError(f"“{value}” is not a {prefix.rstrip('-')} of this clinic.")
    try:
        return int(value[len(prefix) :])
    except ValueError:
        raise ValidationError(f"“{value}” is not a {prefix.rstrip('-')} of this clinic.") from None


@dataclass(frozen=True)
class SlotPlace:
    """Where and when a slot of the instance happens."""

    track: Track
    date: dt.date
    start: dt.time
    minutes: int


def _date_in_week(week_start: dt.date, weekday: int) -> dt.date:
    return week_start + dt.timedelta(days=weekday - 1)


def slots_of(track: Track, week_start: dt.date) -> dict[str, SlotPlace]:
    """The track's slots of the week by slot id, e.g. north-mon-evening-3-1."""
    places = {}
    count = track.block_minutes // track.slot_minutes
    for weekday in track.meeting_days:
        date = _date_in_week(week_start, weekday)
        for number in range(count):
            start = (
                dt.datetime.combine(date, track.block_start)
                + dt.timedelta(minutes=track.slot_minutes * number)
            ).time()
            places[f"{block_id(track, weekday)}-{number + 1}"] = SlotPlace(
                track, date, start, track.slot_minutes
            )
    return places


def _tracks(location: Location) -> list[Track]:
    return list(
        Track.objects.filter(location=location, is_active=True)
        .select_related("location")
        .order_by("pk")
    )


def enrolled(location: Location, week_start: dt.date):
    week_end = week_start + dt.timedelta(days=6)
    return (
        Episode.objects.filter(location=location, track__is_active=True, admitted_on__lte=week_end)
        .filter(Q(discharged_on__isnull=True) | Q(discharged_on__gte=week_start))
        .select_related("patient", "phase", "track__location")
        .order_by("patient_id")
    )


def build_instance(locations: list[Location], week_start: dt.date) -> dict[str, Any]:
    """The roster problem of one week at these locations, in the roster format."""
    week_start = week_start_of(week_start)
    group_types = list(GroupType.objects.exclude(kind=GroupType.Kind.FAMILY).order_by("code"))
    codes = {group_type.code for group_type in group_types}
    instance: dict[str, Any] = {
        "format": INSTANCE_FORMAT,
        "week_of": week_start.isoformat(),
        "group_types": {
            gt.code: {"min_size": gt.min_size, "max_size": gt.max_size, "same_stage": gt.same_stage}
            for gt in group_types
        },
        "blocks": [],
        "rooms": [],
        "staff": [],
        "patients": [],
    }
    for location in locations:
        _add_location(instance, location, week_start, codes)
    parse_instance(instance)  # a bug here must not reach the solver as a puzzling error
    return instance


def _add_location(
    instance: dict[str, Any], location: Location, week_start: dt.date, codes: set[str]
) -> None:
    plan = WeekPlan.objects.filter(location=location, week_start=week_start).first()
    tracks = _tracks(location)
    all_slots: list[str] = []
    for track in tracks:
        places = slots_of(track, week_start)
        by_block: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for slot_id, place in places.items():
            by_block[slot_id.rsplit("-", 1)[0]].append(
                {"id": slot_id, "start": place.start.strftime("%H:%M"), "minutes": place.minutes}
            )
        for weekday in track.meeting_days:
            block = block_id(track, weekday)
            instance["blocks"].append(
                {
                    "id": block,
                    "location": location.code,
                    "track": track_id(track),
                    "day": WEEKDAY_NAMES[weekday - 1],
                    "slots": by_block[block],
                }
            )
        all_slots.extend(places)
    closed = set(plan.closed_rooms.values_list("pk", flat=True)) if plan else set()
    for room in (
        Room.objects.filter(location=location, is_active=True).exclude(pk__in=closed).order_by("pk")
    ):
        instance["rooms"].append(
            {"id": f"room-{room.pk}", "location": location.code, "capacity": room.capacity}
        )
    chosen_slots = (
        dict(StaffSlots.objects.filter(plan=plan).values_list("user_id", "slots")) if plan else {}
    )
    staff_ids = []
    leaders = (
        User.objects.filter(is_active=True, locations=location, facilitates__isnull=False)
        .distinct()
        .prefetch_related("facilitates")
        .order_by("pk")
    )
    for user in leaders:
        facilitates = sorted(gt.code for gt in user.facilitates.all() if gt.code in codes)
        if not facilitates:
            continue
        slots = [s for s in chosen_slots.get(user.pk, all_slots) if s in set(all_slots)]
        staff_ids.append(user.pk)
        instance["staff"].append(
            {
                "id": f"staff-{user.pk}",
                "location": location.code,
                "facilitates": facilitates,
                "slots": slots,
                "max_sessions": user.max_sessions_per_week,
            }
        )
    chosen_days = (
        dict(PatientDays.objects.filter(plan=plan).values_list("patient_id", "days"))
        if plan
        else {}
    )
    episodes = list(enrolled(location, week_start))
    preferred = _last_process_facilitator(
        [e.patient_id for e in episodes], week_start, set(staff_ids)
    )
    for episode in episodes:
        track = episode.track
        days = [
            day
            for day in chosen_days.get(episode.patient_id, track.meeting_days)
            if day in track.meeting_days
        ]
        patient = {
            "id": f"patient-{episode.patient_id}",
            "location": location.code,
            "track": track_id(track),
            "stage": episode.patient.recovery_stage,
            "target_minutes": episode.phase.weekly_target_minutes,
            "min_days": episode.phase.min_days,
            "max_days": episode.phase.max_days,
            "blocks": [block_id(track, day) for day in sorted(days)],
            "needs": {
                code: count
                for code, count in sorted(episode.phase.group_needs.items())
                if code in codes and count
            },
        }
        if episode.patient_id in preferred:
            patient["prefer_facilitator"] = f"staff-{preferred[episode.patient_id]}"
        instance["patients"].append(patient)


def _last_process_facilitator(
    patient_ids: list[int], week_start: dt.date, staff_ids: set[int]
) -> dict[int, int]:
    """Who led each patient's most recent same-stage (process) group in the last two weeks."""
    rows = (
        Attendance.objects.filter(
            patient_id__in=patient_ids,
            date__range=(week_start - PREFERENCE_LOOKBACK, week_start - dt.timedelta(days=1)),
            status__in=Attendance.ATTENDED,
            session__group__group_type__same_stage=True,
        )
        .order_by("patient_id", "-date")
        .values_list("patient_id", "session__facilitator_id")
    )
    preferred: dict[int, int] = {}
    for patient_id, facilitator_id in rows:
        if patient_id not in preferred and facilitator_id in staff_ids:
            preferred[patient_id] = facilitator_id
    return preferred


# --- back to the database ---------------------------------------------------------------


@dataclass
class WeekChange:
    """What applying a roster changes for one location's week."""

    sessions_before: int = 0
    sessions_after: int = 0
    patients_changed: list[tuple[int, str]] = field(default_factory=list)  # (patient id, name)
    patients_unchanged: int = 0
    blocked: list[str] = field(default_factory=list)  # why it cannot be applied

    @property
    def can_apply(self) -> bool:
        return not self.blocked


def _week_sessions(location: Location, week_start: dt.date):
    return Session.objects.filter(
        location=location,
        kind=Session.Kind.GROUP,
        date__range=(week_start, week_start + dt.timedelta(days=6)),
    )


def _schedule_key(session: Session) -> tuple:
    return (
        session.date,
        session.start_time,
        session.group.group_type.code if session.group_id else "",
    )


def compare(
    location: Location,
    week_start: dt.date,
    instance: Mapping[str, Any],
    solution: Mapping[str, Any],
) -> WeekChange:
    """The week as it is against the week the roster proposes, and what blocks applying it."""
    week_start = week_start_of(week_start)
    change = WeekChange()
    week = _week_sessions(location, week_start)
    current = {session.pk: session for session in week.select_related("group__group_type")}
    change.sessions_before = len(current)
    before: dict[int, set] = defaultdict(set)
    for session_id, expected in week.expected().items():
        for patient_id in expected:
            before[patient_id].add(_schedule_key(current[session_id]))
    after: dict[int, set] = defaultdict(set)
    places = {
        slot_id: place
        for track in _tracks(location)
        for slot_id, place in slots_of(track, week_start).items()
    }
    mine = [s for s in solution.get("sessions", []) if s["slot"] in places]
    change.sessions_after = len(mine)
    for proposed in mine:
        place = places[proposed["slot"]]
        for member in proposed["members"]:
            after[_pk("patient-", member)].add((place.date, place.start, proposed["type"]))
    changed_ids = sorted(pid for pid in set(before) | set(after) if before[pid] != after[pid])
    names = dict(Patient.objects.filter(pk__in=changed_ids).values_list("pk", "last_name"))
    change.patients_changed = [(pid, names.get(pid, "")) for pid in changed_ids]
    change.patients_unchanged = len((set(before) | set(after)) - set(changed_ids))
    documented = set(
        Attendance.objects.filter(session__in=week).values_list("session_id", flat=True)
    )
    documented |= set(Note.objects.filter(session__in=week).values_list("session_id", flat=True))
    if documented:
        first = min(current[pk].date for pk in documented)
        change.blocked.append(
            f"Attendance or notes are already recorded for {len(documented)} group session(s) "
            f"of this week (from {first:%a %b %d}); a roster replaces only weeks not yet started."
        )
    violations = validate(instance, solution)
    if violations:
        change.blocked.append(
            f"The roster breaks {len(violations)} rule(s), first: {violations[0]}."
        )
    return change


@dataclass
class Applied:
    sessions: int
    seats: int
    groups_created: int


@transaction.atomic
def apply_solution(
    *,
    location: Location,
    week_start: dt.date,
    instance: Mapping[str, Any],
    solution: Mapping[str, Any],
    by: User,
) -> Applied:
    """Replace the week's group sessions at `location` with the roster's, all or nothing."""
    week_start = week_start_of(week_start)
    parse_instance(instance)
    parse_solution(solution)
    change = compare(location, week_start, instance, solution)
    if not change.can_apply:
        raise ValidationError(change.blocked)
    places = {
        slot_id: place
        for track in _tracks(location)
        for slot_id, place in slots_of(track, week_start).items()
    }
    proposed = [s for s in solution["sessions"] if s["slot"] in places]
    _week_sessions(location, week_start).delete()  # none is documented (compare checked)
    types = {gt.code: gt for gt in GroupType.objects.all()}
    standing = {
        (group.track_id, group.name): group
        for group in TherapyGroup.objects.filter(track__in={p.track for p in places.values()})
    }
    groups: dict[tuple, TherapyGroup] = {}
    created_groups = 0
    sessions, seat_lists = [], []
    rooms = {room.pk: room for room in Room.objects.filter(location=location)}
    leaders = {
        user.pk: user
        for user in User.objects.filter(pk__in={_pk("staff-", s["facilitator"]) for s in proposed})
    }
    for item in sorted(
        proposed, key=lambda s: (places[s["slot"]].date, places[s["slot"]].start, s["room"])
    ):
        place = places[item["slot"]]
        leader = leaders[_pk("staff-", item["facilitator"])]
        room = rooms[_pk("room-", item["room"])]
        key = (place.track.pk, item["type"], item.get("stage") or "", leader.pk)
        if key not in groups:
            groups[key], made = _roster_group(
                standing, place, types[item["type"]], key[2], leader, room
            )
            created_groups += made
        session = Session(
            kind=Session.Kind.GROUP,
            group=groups[key],
            location=location,
            date=place.date,
            start_time=place.start,
            minutes=place.minutes,
            room=room,
            facilitator=leader,
            seated=True,
        )
        session.place_in_time()
        sessions.append(session)
        seat_lists.append([_pk("patient-", member) for member in item["members"]])
    refuse_conflicts(sessions)
    Session.objects.bulk_create(sessions)
    seats = [
        Seat(session=session, patient_id=pid)
        for session, members in zip(sessions, seat_lists, strict=True)
        for pid in members
    ]
    Seat.objects.bulk_create(seats)
    _week_memberships(groups.values(), sessions, seat_lists, week_start)
    by_patient: dict[int, int] = defaultdict(int)
    for members in seat_lists:
        for pid in members:
            by_patient[pid] += 1
    audit.record_many(
        actor=by,
        action=AuditAction.ROSTER_SEAT,
        entries=[
            (None, patient_id, {"week": week_start.isoformat(), "sessions": count})
            for patient_id, count in sorted(by_patient.items())
        ],
    )
    audit.record(
        actor=by,
        action=AuditAction.ROSTER_APPLY,
        obj=location,
        data={"week": week_start.isoformat(), "sessions": len(sessions), "seats": len(seats)},
    )
    return Applied(len(sessions), len(seats), created_groups)


def _roster_group(
    standing: dict[tuple[int, str], TherapyGroup],
    place: SlotPlace,
    group_type: GroupType,
    stage: str,
    leader: User,
    room: Room,
) -> tuple[TherapyGroup, bool]:
    """The standing group a roster session belongs to: one per track, type, stage and lead,
    found among the location's `standing` groups (by track and name) or made."""
    stage_label = f" – {stage} recovery" if stage else ""
    name = f"{group_type.name}{stage_label} with {leader.get_full_name() or leader.username}"[:120]
    group = standing.get((place.track.pk, name))
    if group is not None:
        if not group.is_active:
            group.is_active = True
            group.save(update_fields=["is_active"])
        return group, False
    group = TherapyGroup(
        name=name,
        group_type=group_type,
        track=place.track,
        stage=stage,
        facilitator=leader,
        room=room,
        meeting_days=[place.date.isoweekday()],
        start_time=place.start,
        minutes=place.minutes,
    )
    group.full_clean()
    group.save()
    # Two leads of one name share it, as they would share its name.
    standing[place.track.pk, name] = group
    return group, True


def _week_memberships(
    groups, sessions: list[Session], seat_lists: list[list[int]], week_start: dt.date
) -> None:
    """Seat holders become the group's members for the week, so the group page lists them."""
    seated: dict[int, set[int]] = defaultdict(set)
    for session, members in zip(sessions, seat_lists, strict=True):
        seated[session.group_id].update(members)
    week_end = week_start + dt.timedelta(days=7)
    existing = set(
        Membership.objects.filter(group__in=list(groups))
        .filter(joined_on__lt=week_end)
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=week_start))
        .values_list("group_id", "patient_id")
    )
    Membership.objects.bulk_create(
        Membership(group_id=group_id, patient_id=pid, joined_on=week_start, left_on=week_end)
        for group_id, members in seated.items()
        for pid in sorted(members)
        if (group_id, pid) not in existing
    )
