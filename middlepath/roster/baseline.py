"""The roster a scheduler builds by hand: fixed days, first fit, then repair.

Each patient keeps fixed track days (their first available blocks, as many as the plan
needs). Slot by slot, the scheduler opens groups for what most people in the room still need
(only where enough of them need it to fill a group, because a half-empty group cannot run),
then seats everybody first fit: a group of the type they most still need, else any group with
room. Patients who find no seat, or end the week short of their needs, are unmet. A first fit
still leaves groups under the minimum size, so the repair step dissolves them (smallest
first), moves their members to another group of the slot where that keeps their plan, and
sends the others home, until everything left keeps the rules.

The optimizer is measured against this and falls back to it per location, so it is always
validated before it is returned.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from middlepath.roster.instance import (
    SOLUTION_FORMAT,
    Block,
    Instance,
    Patient,
    Slot,
    parse_instance,
)
from middlepath.roster.validate import ensure_valid, metrics


@dataclass
class Group:
    slot: Slot
    type: str
    stage: str | None
    room: str
    facilitator: str
    limit: int
    members: list[str] = field(default_factory=list)


def choose_days(patient: Patient, instance: Instance) -> list[Block] | None:
    """The patient's first available blocks, in week order, until the plan is covered."""
    wanted = set(patient.blocks)
    chosen: list[Block] = []
    minutes = 0
    for block in instance.blocks:
        if len(chosen) >= patient.min_days and minutes >= patient.target_minutes:
            break
        if block.id in wanted:
            chosen.append(block)
            minutes += block.minutes
    enough = len(chosen) >= patient.min_days and minutes >= patient.target_minutes
    if not enough or len(chosen) > patient.max_days:
        return None
    return chosen


def baseline(instance: Instance | Mapping[str, Any]) -> dict[str, Any]:
    """A valid first-fit roster in the solution format."""
    started = time.monotonic()
    if not isinstance(instance, Instance):
        instance = parse_instance(instance)
    groups, unmet = _first_fit(instance)
    groups = _repair(instance, groups, unmet)
    solution = roster_dict(instance, groups, unmet, status="feasible", bound_met=None)
    solution["seconds"] = round(time.monotonic() - started, 3)
    ensure_valid(instance, solution, producer="baseline")
    return solution


class _Week:
    """What the scheduler tracks on paper while filling the week in order."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.unmet: set[str] = set()
        self.days: dict[str, set[str]] = {}
        for patient in instance.patients:
            chosen = choose_days(patient, instance)
            if chosen is None:
                self.unmet.add(patient.id)
            else:
                self.days[patient.id] = {block.id for block in chosen}
        self.needs = {p.id: Counter(p.needs) for p in instance.patients}
        self.lead_count: Counter[str] = Counter()
        self.groups: list[Group] = []

    def wanted(self, patient: Patient) -> list[str]:
        needs = self.needs[patient.id]
        return sorted((t for t, n in needs.items() if n > 0), key=lambda t: -needs[t])

    def stage_for(self, patient: Patient, type_name: str) -> str | None:
        return patient.stage if self.instance.group_types[type_name].same_stage else None

    def fill_slot(self, block: Block, slot: Slot) -> None:
        here = [
            p
            for p in self.instance.patients
            if p.id not in self.unmet and block.id in self.days.get(p.id, ())
        ]
        if not here:
            return
        location = block.location
        demand: Counter[tuple[str, str | None]] = Counter()
        for patient in here:
            for type_name in self.wanted(patient):
                demand[(type_name, self.stage_for(patient, type_name))] += 1
        open_here: list[Group] = []
        type_order = list(self.instance.group_types)
        for (type_name, stage), count in sorted(
            demand.items(), key=lambda item: (-item[1], type_order.index(item[0][0]), item[0])
        ):
            left = count
            while left >= self.instance.group_types[type_name].min_size:
                group = self._open(location, slot, type_name, stage, open_here)
                if group is None:
                    break
                open_here.append(group)
                left -= group.limit

        waiting = self._seat_all(here, open_here)
        # Those left standing get one more group of their own if there are enough of them
        # to run it, whatever its type (the plan can catch up on other days).
        while waiting:
            for type_name in type_order:
                stage = self.stage_for(waiting[0], type_name)
                fit = [p for p in waiting if self.stage_for(p, type_name) == stage]
                if len(fit) < self.instance.group_types[type_name].min_size:
                    continue
                group = self._open(location, slot, type_name, stage, open_here)
                if group is not None:
                    open_here.append(group)
                    break
            else:
                break
            waiting = self._seat_all(waiting, open_here)
        self.unmet.update(p.id for p in waiting)
        self.groups.extend(open_here)

    def _seat_all(self, patients: list[Patient], open_here: list[Group]) -> list[Patient]:
        waiting = []
        for patient in patients:
            group = self._seat(patient, open_here)
            if group is None:
                waiting.append(patient)
                continue
            group.members.append(patient.id)
            self.needs[patient.id][group.type] -= 1
        return waiting

    def _seat(self, patient: Patient, open_here: list[Group]) -> Group | None:
        for type_name in self.wanted(patient):
            stage = self.stage_for(patient, type_name)
            for group in open_here:
                if (group.type, group.stage) == (type_name, stage) and len(
                    group.members
                ) < group.limit:
                    return group
        for group in open_here:
            fits = group.stage is None or group.stage == patient.stage
            if fits and len(group.members) < group.limit:
                return group
        return None

    def _open(
        self, location: str, slot: Slot, type_name: str, stage: str | None, open_here: list[Group]
    ) -> Group | None:
        group_type = self.instance.group_types[type_name]
        used_rooms = {g.room for g in open_here}
        used_leads = {g.facilitator for g in open_here}
        room = next(
            (
                r
                for r in self.instance.rooms
                if r.location == location
                and r.id not in used_rooms
                and r.capacity >= group_type.min_size
            ),
            None,
        )
        lead = next(
            (
                s
                for s in self.instance.staff
                if s.location == location
                and s.id not in used_leads
                and slot.id in s.slots
                and type_name in s.facilitates
                and self.lead_count[s.id] < s.max_sessions
            ),
            None,
        )
        if room is None or lead is None:
            return None
        self.lead_count[lead.id] += 1
        return Group(
            slot=slot,
            type=type_name,
            stage=stage,
            room=room.id,
            facilitator=lead.id,
            limit=min(room.capacity, group_type.max_size),
        )


def _first_fit(instance: Instance) -> tuple[list[Group], set[str]]:
    week = _Week(instance)
    for block in instance.blocks:
        for slot in block.slots:
            week.fill_slot(block, slot)
    for patient in instance.patients:
        if any(n > 0 for n in week.needs[patient.id].values()):
            week.unmet.add(patient.id)
    return week.groups, week.unmet


def _repair(instance: Instance, groups: list[Group], unmet: set[str]) -> list[Group]:
    """Dissolve undersized groups until nothing is undersized.

    One group per round, smallest first, re-measuring each time. Its members move to another
    group of the same slot that has room and that they may join, if they keep their plan
    (the type they lose is not one they are short of); the others are sent home, which
    shrinks their other groups, hence the rounds.
    """
    while True:
        for group in groups:
            group.members = [m for m in group.members if m not in unmet]
        small = [g for g in groups if len(g.members) < instance.group_types[g.type].min_size]
        if not small:
            return groups
        worst = min(small, key=lambda g: len(g.members))
        groups = [g for g in groups if g is not worst]
        for patient_id in worst.members:
            target = _reseat(instance, patient_id, worst, groups)
            if target is None:
                unmet.add(patient_id)
            else:
                target.members.append(patient_id)


def _reseat(instance: Instance, patient_id: str, lost: Group, groups: list[Group]) -> Group | None:
    patient = instance.patient_by_id[patient_id]
    seats = Counter(g.type for g in groups if patient_id in g.members)
    for group in groups:
        if group.slot.id != lost.slot.id or len(group.members) >= group.limit:
            continue
        if group.stage is not None and group.stage != patient.stage:
            continue
        if seats[lost.type] < patient.needs.get(lost.type, 0) and group.type != lost.type:
            continue
        return group
    return None


def roster_dict(
    instance: Instance,
    groups: list[Group],
    unmet: set[str],
    *,
    status: str,
    bound_met: int | None,
) -> dict[str, Any]:
    """Solution-format dict with sessions in week order and ids made from slot and room."""
    order = {s.id: n for n, s in enumerate(s for b in instance.blocks for s in b.slots)}
    sessions = [
        {
            "id": f"{g.slot.id}/{g.room}",
            "slot": g.slot.id,
            "type": g.type,
            "stage": g.stage,
            "room": g.room,
            "facilitator": g.facilitator,
            "members": sorted(g.members),
        }
        for g in sorted(groups, key=lambda g: (order[g.slot.id], g.room))
    ]
    solution: dict[str, Any] = {
        "format": SOLUTION_FORMAT,
        "status": status,
        "sessions": sessions,
        "unmet": sorted(unmet),
    }
    solution["objective"] = metrics(instance, solution).as_dict()
    # Without a proof, the only safe upper bound is everyone.
    solution["bound"] = {"met": len(instance.patients) if bound_met is None else bound_met}
    solution["seconds"] = 0.0
    return solution
