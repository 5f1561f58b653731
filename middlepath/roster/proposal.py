"""A proposed roster as the director sees it, and hand edits to it.

The grid has a row per slot of the week and a column per room; each session's members are
listed on demand (`session_members`), as a big location's week seats thousands. Moving a
patient between sessions of one slot (or out of a slot) edits the solution; the validator
then lists any rule the edit broke, so the director sees at once what to fix before
applying.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from middlepath.accounts.models import User
from middlepath.care.models import Patient
from middlepath.clinic.models import Location, Room, Track
from middlepath.roster.adapter import SlotPlace, slots_of
from middlepath.roster.explain import explain_unmet, free_seating, seatable_unmet
from middlepath.roster.instance import parse_instance
from middlepath.roster.validate import Violation, metrics, validate


def _label(session: Mapping[str, Any]) -> str:
    stage = f", {session['stage']}" if session.get("stage") else ""
    return f"{session['type']}{stage}"


@dataclass
class Cell:
    session: dict[str, Any]
    leader: str

    @property
    def label(self) -> str:
        return _label(self.session)

    @property
    def size(self) -> int:
        return len(self.session["members"])


@dataclass
class SessionMembers:
    session: dict[str, Any]
    label: str
    members: list[tuple[str, str]]  # (patient id in the roster, display name)
    # The slot's other sessions, where a member can be moved to: (session id, what and where).
    others: list[tuple[str, str]]


@dataclass
class Row:
    slot_id: str
    place: SlotPlace
    cells: list[Cell | None]


@dataclass
class Proposal:
    rooms: list[Room]
    rows: list[Row]
    unmet: list[tuple[str, str, str]]  # (patient id, name, reason)
    # The unmet whom the roster's free seats give a full week (`seat` seats them).
    seatable: set[str]
    violations: list[Violation]
    met: int
    bound: int | None
    sessions: int
    preferred: int
    patients: int


def _pk(value: str) -> int:
    return int(value.rsplit("-", 1)[1])


def build(
    location: Location,
    week_start: dt.date,
    instance: Mapping[str, Any],
    solution: Mapping[str, Any],
) -> Proposal:
    places: dict[str, SlotPlace] = {}
    for track in Track.objects.filter(location=location, is_active=True).select_related("location"):
        places.update(slots_of(track, week_start))
    mine = [s for s in solution.get("sessions", []) if s["slot"] in places]
    rooms = list(Room.objects.filter(pk__in={_pk(s["room"]) for s in mine}).order_by("name"))
    column = {f"room-{room.pk}": index for index, room in enumerate(rooms)}
    names = _names(solution.get("unmet", []))
    leaders = {
        f"staff-{u.pk}": u.get_full_name() or u.username
        for u in User.objects.filter(pk__in={_pk(s["facilitator"]) for s in mine})
    }
    by_slot: dict[str, list[dict[str, Any]]] = {}
    for session in mine:
        by_slot.setdefault(session["slot"], []).append(session)
    rows = []
    for slot_id, place in sorted(
        places.items(), key=lambda item: (item[1].date, item[1].start, item[0])
    ):
        sessions = by_slot.get(slot_id, [])
        cells: list[Cell | None] = [None] * len(rooms)
        for session in sessions:
            cells[column[session["room"]]] = Cell(session, leaders.get(session["facilitator"], ""))
        if sessions:
            rows.append(Row(slot_id, place, cells))
    location_patients = {p["id"] for p in instance["patients"] if p["location"] == location.code}
    here = {
        "sessions": mine,
        "unmet": [p for p in solution.get("unmet", []) if p in location_patients],
    }
    # Parsed once for the reasons, the seats free for each unmet patient and the checks.
    week = parse_instance(instance)
    reasons = explain_unmet(week, here)
    score = metrics(week, solution)
    return Proposal(
        rooms=rooms,
        rows=rows,
        unmet=sorted(
            ((pid, names.get(pid, pid), reason) for pid, reason in reasons.items()),
            key=lambda t: t[1],
        ),
        seatable=seatable_unmet(week, here),
        violations=validate(week, solution),
        met=score.met,
        bound=(solution.get("bound") or {}).get("met"),
        sessions=score.sessions,
        preferred=score.preferred_facilitator,
        patients=len(location_patients),
    )


def session_members(solution: Mapping[str, Any], session_id: str) -> SessionMembers | None:
    """Who sits in one of the roster's sessions, by name, and where else in its slot they
    could be moved; None if the roster has no such session."""
    sessions = solution.get("sessions", [])
    session = next((s for s in sessions if s["id"] == session_id), None)
    if session is None:
        return None
    names = _names(session["members"])
    others = [s for s in sessions if s["slot"] == session["slot"] and s is not session]
    rooms = {
        f"room-{room.pk}": room.name
        for room in Room.objects.filter(pk__in={_pk(s["room"]) for s in others})
    }
    return SessionMembers(
        session=session,
        label=_label(session),
        members=sorted(((m, names.get(m, m)) for m in session["members"]), key=lambda p: p[1]),
        others=[(s["id"], f"{_label(s)}, {rooms.get(s['room'], s['room'])}") for s in others],
    )


def _names(patient_ids: list[str]) -> dict[str, str]:
    """Display names by the roster's patient ids."""
    patients = Patient.objects.filter(pk__in={_pk(p) for p in patient_ids})
    return {f"patient-{p.pk}": p.display_name for p in patients}


def move(
    instance: Mapping[str, Any],
    solution: Mapping[str, Any],
    *,
    patient: str,
    slot: str,
    to_session: str,
) -> dict[str, Any]:
    """A copy of `solution` with `patient` moved, within `slot`, to `to_session` ("" takes
    them out of the slot). Who is met is recomputed; broken rules are left for validate()."""
    edited = copy.deepcopy(dict(solution))
    in_slot = [s for s in edited["sessions"] if s["slot"] == slot]
    if to_session and to_session not in {s["id"] for s in in_slot}:
        raise ValidationError("That session is not in the same slot.")
    if patient not in {p["id"] for p in instance["patients"]}:
        raise ValidationError("No such patient in this week's roster.")
    for session in in_slot:
        if patient in session["members"]:
            session["members"].remove(patient)
        if session["id"] == to_session:
            session["members"].append(patient)
    return _rescored(instance, edited)


def seat(
    instance: Mapping[str, Any], solution: Mapping[str, Any], *, patient: str
) -> dict[str, Any]:
    """A copy of `solution` with an unmet `patient` seated in the free seats that make their
    week (`explain.free_seating`), keeping every rule."""
    if patient not in {p["id"] for p in instance["patients"]}:
        raise ValidationError("No such patient in this week's roster.")
    if patient not in solution.get("unmet", []):
        raise ValidationError("That patient already has a place in this roster.")
    seating = free_seating(instance, solution, patient)
    if seating is None:
        raise ValidationError("The free seats of this roster do not make that patient's week.")
    edited = copy.deepcopy(dict(solution))
    for session in edited["sessions"]:
        if seating.get(session["slot"]) == session["id"]:
            session["members"].append(patient)
    return _rescored(instance, edited)


def _rescored(instance: Mapping[str, Any], edited: dict[str, Any]) -> dict[str, Any]:
    """A hand-edited roster with who is met, its objective and status brought up to date (a
    proven optimum is one no longer)."""
    seated = {m for s in edited["sessions"] for m in s["members"]}
    edited["unmet"] = sorted(p["id"] for p in instance["patients"] if p["id"] not in seated)
    score = metrics(instance, edited)
    edited["objective"] = score.as_dict()
    edited["status"] = (
        "feasible" if edited.get("status") == "optimal" else edited.get("status", "feasible")
    )
    return edited
