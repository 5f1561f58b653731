"""Check a roster solution against the hard rules of the format, and recompute its objective.

The rule numbers are the ones of the format (1-6); rule 0 is for structural errors (ids that do
not exist, duplicate ids). The objective is always recomputed here from the sessions and
`unmet`, never taken from the file, so a solution cannot claim more than it delivers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from middlepath.roster.instance import (
    PROCESS,
    Instance,
    Session,
    Solution,
    parse_instance,
    parse_solution,
)

STRUCTURE = 0


class RosterInternalError(RuntimeError):
    """A roster built by this package breaks a rule: a bug to report, never a roster to use."""


@dataclass(frozen=True)
class Violation:
    rule: int
    message: str

    def __str__(self) -> str:
        label = "structure" if self.rule == STRUCTURE else f"rule {self.rule}"
        return f"{label}: {self.message}"


@dataclass(frozen=True)
class Metrics:
    met: int
    sessions: int
    preferred_facilitator: int

    def as_dict(self) -> dict[str, int]:
        return {
            "met": self.met,
            "sessions": self.sessions,
            "preferred_facilitator": self.preferred_facilitator,
        }


def _typed(
    instance: Instance | Mapping[str, Any], solution: Solution | Mapping[str, Any]
) -> tuple[Instance, Solution]:
    if not isinstance(instance, Instance):
        instance = parse_instance(instance)
    if not isinstance(solution, Solution):
        solution = parse_solution(solution)
    return instance, solution


def metrics(
    instance: Instance | Mapping[str, Any], solution: Solution | Mapping[str, Any]
) -> Metrics:
    """The objective of the format, recomputed from who sits where."""
    instance, solution = _typed(instance, solution)
    unmet = set(solution.unmet)
    met = [p for p in instance.patients if p.id not in unmet]
    leaders: dict[str, list[str]] = defaultdict(list)
    for session in solution.sessions:
        if session.type == PROCESS:
            for member in session.members:
                leaders[member].append(session.facilitator)
    preferred = sum(1 for p in met if p.with_preferred(leaders.get(p.id, ())))
    return Metrics(met=len(met), sessions=len(solution.sessions), preferred_facilitator=preferred)


def validate(
    instance: Instance | Mapping[str, Any], solution: Solution | Mapping[str, Any]
) -> list[Violation]:
    """Every broken rule of the solution; an empty list means the roster can be used."""
    instance, solution = _typed(instance, solution)
    found: list[Violation] = []
    sessions = _check_sessions(instance, solution, found)
    _check_patients(instance, solution, sessions, found)
    return found


def ensure_valid(instance: Instance, solution: Mapping[str, Any], *, producer: str) -> None:
    """Refuse to hand out a roster that breaks a rule, whatever produced it."""
    broken = validate(instance, solution)
    if broken:
        more = f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""
        raise RosterInternalError(f"the {producer} built a roster that breaks {broken[0]}{more}")


def _check_sessions(
    instance: Instance, solution: Solution, found: list[Violation]
) -> list[Session]:
    """Rules 4, 5, 6 and the structure of each session; returns the sessions that can be
    placed in time (known slot), which the per-patient rules then use."""

    def add(rule: int, message: str) -> None:
        found.append(Violation(rule, message))

    for session_id, count in sorted(Counter(s.id for s in solution.sessions).items()):
        if count > 1:
            add(STRUCTURE, f"session id {session_id!r} is used by {count} sessions")

    placed: list[Session] = []
    room_use: dict[tuple[str, str], list[str]] = defaultdict(list)
    lead_use: dict[tuple[str, str], list[str]] = defaultdict(list)
    lead_total: Counter[str] = Counter()
    for s in solution.sessions:
        name = f"session {s.id!r}"
        slot = instance.slot_by_id.get(s.slot)
        if slot is None:
            add(STRUCTURE, f"{name}: unknown slot {s.slot!r}")
            continue
        placed.append(s)
        location = instance.block_by_id[slot.block].location
        for member, count in sorted(Counter(s.members).items()):
            if member not in instance.patient_by_id:
                add(STRUCTURE, f"{name}: unknown patient {member!r}")
            elif count > 1:
                add(STRUCTURE, f"{name}: patient {member!r} is listed {count} times")
        size = len(set(s.members))

        group_type = instance.group_types.get(s.type)
        if group_type is None:
            add(STRUCTURE, f"{name}: unknown group type {s.type!r}")
        else:
            if size < group_type.min_size:
                add(
                    4, f"{name}: {size} members, fewer than {s.type} min_size {group_type.min_size}"
                )
            if size > group_type.max_size:
                add(4, f"{name}: {size} members, more than {s.type} max_size {group_type.max_size}")
            if group_type.same_stage:
                _check_stage(instance, s, add)

        room = instance.room_by_id.get(s.room)
        if room is None:
            add(STRUCTURE, f"{name}: unknown room {s.room!r}")
        else:
            room_use[(s.slot, s.room)].append(s.id)
            if size > room.capacity:
                add(
                    4, f"{name}: {size} members, more than room {room.id!r} holds ({room.capacity})"
                )
            if room.location != location:
                add(4, f"{name}: room {room.id!r} is at {room.location!r}, not at {location!r}")

        lead = instance.staff_by_id.get(s.facilitator)
        if lead is None:
            add(STRUCTURE, f"{name}: unknown facilitator {s.facilitator!r}")
            continue
        lead_use[(s.slot, lead.id)].append(s.id)
        lead_total[lead.id] += 1
        if lead.location != location:
            add(5, f"{name}: facilitator {lead.id!r} works at {lead.location!r}, not {location!r}")
        if group_type is not None and s.type not in lead.facilitates:
            add(5, f"{name}: facilitator {lead.id!r} does not facilitate {s.type}")
        if s.slot not in lead.slots:
            add(5, f"{name}: facilitator {lead.id!r} is not available in slot {s.slot!r}")

    for (slot_id, room_id), ids in sorted(room_use.items()):
        if len(ids) > 1:
            add(4, f"room {room_id!r} has {len(ids)} sessions in slot {slot_id!r}: {sorted(ids)}")
    for (slot_id, staff_id), ids in sorted(lead_use.items()):
        if len(ids) > 1:
            add(5, f"facilitator {staff_id!r} leads {len(ids)} sessions in slot {slot_id!r}")
    for staff_id, total in sorted(lead_total.items()):
        limit = instance.staff_by_id[staff_id].max_sessions
        if total > limit:
            add(5, f"facilitator {staff_id!r} leads {total} sessions, max_sessions is {limit}")
    return placed


def _check_stage(instance: Instance, s: Session, add: Any) -> None:
    if s.stage is None:
        add(6, f"session {s.id!r}: a {s.type} session must name its stage")
        return
    for member in sorted(set(s.members)):
        patient = instance.patient_by_id.get(member)
        if patient is not None and patient.stage != s.stage:
            add(
                6,
                f"session {s.id!r}: patient {member!r} is {patient.stage!r}, "
                f"the {s.type} session is {s.stage!r}",
            )


def _check_patients(
    instance: Instance, solution: Solution, sessions: list[Session], found: list[Violation]
) -> None:
    """Rules 1, 2 and 3, patient by patient."""

    def add(rule: int, message: str) -> None:
        found.append(Violation(rule, message))

    unmet_counts = Counter(solution.unmet)
    for patient_id, count in sorted(unmet_counts.items()):
        if patient_id not in instance.patient_by_id:
            add(STRUCTURE, f"unmet lists unknown patient {patient_id!r}")
        elif count > 1:
            add(1, f"patient {patient_id!r} is listed {count} times in unmet")

    seats: dict[str, dict[str, list[Session]]] = defaultdict(lambda: defaultdict(list))
    for s in sessions:
        for member in dict.fromkeys(s.members):
            seats[member][s.slot].append(s)

    for patient in instance.patients:
        name = f"patient {patient.id!r}"
        by_slot = seats.get(patient.id, {})
        if patient.id in unmet_counts:
            for slot_id in sorted(by_slot):
                for s in by_slot[slot_id]:
                    add(1, f"{name} is listed in unmet but sits in session {s.id!r}")
            continue

        attended: dict[str, set[str]] = defaultdict(set)
        for slot_id, here in sorted(by_slot.items()):
            if len(here) > 1:
                ids = sorted(s.id for s in here)
                add(2, f"{name} sits in {len(here)} sessions in slot {slot_id!r}: {ids}")
            attended[instance.slot_by_id[slot_id].block].add(slot_id)
        for block_id, slot_ids in sorted(attended.items()):
            block = instance.block_by_id[block_id]
            if block_id not in patient.blocks:
                add(2, f"{name} comes to block {block_id!r}, which is not one of their blocks")
            missing = [slot.id for slot in block.slots if slot.id not in slot_ids]
            if missing:
                add(2, f"{name} comes to part of block {block_id!r} but misses slot {missing[0]!r}")

        days = len(attended)
        if not patient.min_days <= days <= patient.max_days:
            add(
                3,
                f"{name} is met but comes on {days} days, "
                f"outside {patient.min_days}-{patient.max_days}",
            )
        minutes = sum(instance.slot_by_id[slot_id].minutes for slot_id in by_slot)
        if minutes < patient.target_minutes:
            add(3, f"{name} gets {minutes} minutes, less than target {patient.target_minutes}")
        kinds = Counter(s.type for here in by_slot.values() for s in here)
        for type_name, need in patient.needs.items():
            if kinds[type_name] < need:
                add(3, f"{name} has {kinds[type_name]} {type_name} sessions, needs {need}")
