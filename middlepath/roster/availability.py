"""Who can come when in a week to roster: patients' days, staff's slots, closed rooms.

Nothing stored means "everything the track offers": a director records only exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from middlepath.accounts.models import User
from middlepath.care.models import Patient
from middlepath.clinic.models import WEEKDAY_LABELS, Room, Track
from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction
from middlepath.roster.adapter import enrolled, slots_of
from middlepath.roster.models import PatientDays, StaffSlots, WeekPlan
from middlepath.web.converters import record_id


@dataclass
class PatientRow:
    patient: Patient
    track: Track
    phase_name: str
    days: list[tuple[int, str, bool]]  # (weekday, label, available)
    limited: bool  # fewer days than the track offers


@dataclass
class StaffRow:
    user: User
    slots: list[tuple[str, str, bool]]  # (slot id, label, available)
    limited: bool


@dataclass
class TrackSlots:
    track: Track
    labels: list[tuple[str, str]] = field(default_factory=list)


def _patient_row(episode: Any, chosen: dict[int, list[int]]) -> PatientRow:
    track = episode.track
    available = set(chosen.get(episode.patient_id, track.meeting_days))
    return PatientRow(
        patient=episode.patient,
        track=track,
        phase_name=episode.phase.name,
        days=[(day, WEEKDAY_LABELS[day - 1][:3], day in available) for day in track.meeting_days],
        limited=not set(track.meeting_days) <= available,
    )


def patient_days(plan: WeekPlan, find: str = "") -> dict[str, Any]:
    """The week's enrolled patients and the days each can come; with `find`, only those it
    names (a name or an MRN, as the patient list searches), and how many there are in all."""
    chosen_days = dict(PatientDays.objects.filter(plan=plan).values_list("patient_id", "days"))
    episodes = enrolled(plan.location, plan.week_start)
    found = episodes.filter(patient__in=Patient.objects.search(find)) if find.strip() else episodes
    rows = [_patient_row(episode, chosen_days) for episode in found]
    return {
        "patient_rows": rows,
        "enrolled_count": episodes.count() if find.strip() else len(rows),
        "find": find,
    }


def context(plan: WeekPlan, find: str = "") -> dict[str, Any]:
    tracks = list(
        Track.objects.filter(location=plan.location, is_active=True).select_related("location")
    )
    labels = []
    for track in tracks:
        for slot_id, place in slots_of(track, plan.week_start).items():
            labels.append((slot_id, f"{place.date:%a} {place.start:%H:%M} ({track.name})"))
    chosen_slots = dict(StaffSlots.objects.filter(plan=plan).values_list("user_id", "slots"))
    leaders = (
        User.objects.filter(is_active=True, locations=plan.location, facilitates__isnull=False)
        .distinct()
        .order_by("last_name", "first_name")
    )
    staff_rows = []
    for user in leaders:
        available = set(chosen_slots.get(user.pk, [slot for slot, _ in labels]))
        staff_rows.append(
            StaffRow(
                user,
                [(slot, label, slot in available) for slot, label in labels],
                limited=not {slot for slot, _ in labels} <= available,
            )
        )
    closed = set(plan.closed_rooms.values_list("pk", flat=True))
    rooms = [
        (room, room.pk in closed)
        for room in Room.objects.filter(location=plan.location, is_active=True)
    ]
    return {**patient_days(plan, find), "staff_rows": staff_rows, "rooms": rooms}


@transaction.atomic
def save_patient_days(*, plan: WeekPlan, by: User, patient_id: str, days: list[str]) -> PatientRow:
    wanted = record_id(patient_id)
    episode = (
        enrolled(plan.location, plan.week_start).filter(patient_id=wanted).first()
        if wanted is not None
        else None
    )
    if episode is None:
        raise PermissionDenied("This patient is not enrolled at this location that week.")
    chosen = sorted(set(episode.track.meeting_days) & {record_id(day) for day in days})
    PatientDays.objects.update_or_create(
        plan=plan, patient_id=episode.patient_id, defaults={"days": chosen}
    )
    audit.record(
        actor=by,
        action=AuditAction.AVAILABILITY_CHANGE,
        patient_id=episode.patient_id,
        data={"week": plan.week_start.isoformat(), "days": chosen},
    )
    return _patient_row(episode, {episode.patient_id: chosen})


@transaction.atomic
def save_staff_slots(*, plan: WeekPlan, by: User, user_id: str, slots: list[str]) -> None:
    wanted = record_id(user_id)
    user = (
        User.objects.filter(pk=wanted, locations=plan.location).first()
        if wanted is not None
        else None
    )
    if user is None:
        raise PermissionDenied("This person does not work at this location.")
    known = {
        slot
        for track in Track.objects.filter(location=plan.location, is_active=True)
        for slot in slots_of(track, plan.week_start)
    }
    StaffSlots.objects.update_or_create(
        plan=plan, user=user, defaults={"slots": sorted(set(slots) & known)}
    )
    audit.record(
        actor=by,
        action=AuditAction.AVAILABILITY_CHANGE,
        data={"week": plan.week_start.isoformat(), "staff_id": user.pk},
    )


@transaction.atomic
def save_closed_rooms(*, plan: WeekPlan, by: User, room_ids: list[str]) -> None:
    rooms = Room.objects.filter(
        location=plan.location, pk__in={record_id(room) for room in room_ids} - {None}
    )
    plan.closed_rooms.set(rooms)
    audit.record(
        actor=by,
        action=AuditAction.AVAILABILITY_CHANGE,
        data={"week": plan.week_start.isoformat(), "closed_rooms": sorted(r.pk for r in rooms)},
    )
