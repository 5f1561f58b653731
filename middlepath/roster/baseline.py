"""The roster a scheduler builds by hand: fixed days, first fit, then repair.

The scheduler first fixes each patient's days for the week, the least flexible patients
first: each takes, of their available blocks, those where most patients of their stage
already come (a process group needs eight of one stage), while the block has seats, until
the plan is covered. Then slot by slot, in week order, the scheduler opens a group of what
most of those present still need (only where enough of them may join it to fill it, because
a half-empty group cannot run), seats the most pressed first (those with no seat to spare
this week), and puts everyone else in any group with room, the smallest first. Whoever no
longer fits a seat, or can no longer make their plan on the days left, is unmet. A first fit
still leaves groups under the minimum size, so the repair step tops them up from bigger
groups of their slot, or dissolves them (smallest first), moves their members to another
group of the slot where that keeps their plan, and sends the others home, until everything
left keeps the rules.

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

    def admits(self, patient: Patient) -> bool:
        """Whether the patient's stage may sit in it."""
        return self.stage is None or self.stage == patient.stage


def plan_days(instance: Instance) -> dict[str, list[Block] | None]:
    """Each patient's days for the week (None if their blocks cannot cover the plan),
    fixed the least flexible first: of their available blocks, those where most of their
    stage already come, then the least full, then the earliest, until the plan is covered;
    blocks whose seats are all taken only when nothing else is left."""
    largest = max((t.max_size for t in instance.group_types.values()), default=0)
    seats: Counter[str] = Counter()
    for room in instance.rooms:
        seats[room.location] += min(room.capacity, largest)
    week_order = {block.id: n for n, block in enumerate(instance.blocks)}
    coming: Counter[str] = Counter()
    of_stage: Counter[tuple[str, str]] = Counter()
    days: dict[str, list[Block] | None] = {}
    for patient in sorted(instance.patients, key=lambda p: (len(p.blocks), p.id)):

        def preference(block: Block, stage: str = patient.stage) -> tuple[bool, int, int, int]:
            full = coming[block.id] >= seats[block.location]
            return (full, -of_stage[block.id, stage], coming[block.id], week_order[block.id])

        chosen: list[Block] = []
        minutes = 0
        for block in sorted((instance.block_by_id[b] for b in patient.blocks), key=preference):
            if len(chosen) >= patient.min_days and minutes >= patient.target_minutes:
                break
            chosen.append(block)
            minutes += block.minutes
        enough = len(chosen) >= patient.min_days and minutes >= patient.target_minutes
        if not enough or len(chosen) > patient.max_days:
            days[patient.id] = None
            continue
        days[patient.id] = chosen
        for block in chosen:
            coming[block.id] += 1
            of_stage[block.id, patient.stage] += 1
    return days


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
        # Slots still ahead of each patient on their days, this one included.
        self.slots_left: Counter[str] = Counter()
        for patient_id, chosen in plan_days(instance).items():
            if chosen is None:
                self.unmet.add(patient_id)
            else:
                self.days[patient_id] = {block.id for block in chosen}
                self.slots_left[patient_id] = sum(len(block.slots) for block in chosen)
        self.needs = {p.id: Counter(p.needs) for p in instance.patients}
        self.lead_count: Counter[str] = Counter()
        self.groups: list[Group] = []

    def stage_for(self, patient: Patient, type_name: str) -> str | None:
        return patient.stage if self.instance.group_types[type_name].same_stage else None

    def slack(self, patient: Patient) -> int:
        """Seats ahead of the patient beyond those their plan still needs."""
        return self.slots_left[patient.id] - sum(self.needs[patient.id].values())

    def fill_slot(self, block: Block, slot: Slot) -> None:
        here = [
            p
            for p in self.instance.patients
            if p.id not in self.unmet and block.id in self.days.get(p.id, ())
        ]
        # Whoever can no longer make their plan on the days left is sent home now, before
        # taking a seat someone else needs.
        hopeless = [p for p in here if self.slack(p) < 0]
        self.unmet.update(p.id for p in hopeless)
        # The most pressed first: those with no seat to spare this week.
        waiting = sorted(
            (p for p in here if self.slack(p) >= 0), key=lambda p: (self.slack(p), p.id)
        )
        open_here: list[Group] = []
        # Groups for what those waiting still need, while there are enough to fill one...
        while waiting:
            waiting = self._seat_all(waiting, open_here, needed_only=True)
            group = self._open_for(block.location, slot, waiting, open_here, needed=True)
            if group is None:
                break
            open_here.append(group)
        # ...then everyone else in a seat they may take, in new groups if need be.
        waiting = self._seat_all(waiting, open_here, needed_only=False)
        while waiting:
            group = self._open_for(block.location, slot, waiting, open_here, needed=False)
            if group is None:
                break
            open_here.append(group)
            waiting = self._seat_all(waiting, open_here, needed_only=False)
        self.unmet.update(p.id for p in waiting)
        self.groups.extend(open_here)
        for patient in here:
            self.slots_left[patient.id] -= 1

    def _open_for(
        self,
        location: str,
        slot: Slot,
        waiting: list[Patient],
        open_here: list[Group],
        *,
        needed: bool,
    ) -> Group | None:
        """A group of the type (and stage) most of those waiting still need (`needed`), or
        that most of them may join, if enough of them to run it may."""
        needing: Counter[tuple[str, str | None]] = Counter()
        joinable: Counter[tuple[str, str | None]] = Counter()
        for patient in waiting:
            for type_name in self.instance.group_types:
                key = (type_name, self.stage_for(patient, type_name))
                joinable[key] += 1
                if self.needs[patient.id][type_name] > 0:
                    needing[key] += 1
        type_order = list(self.instance.group_types)
        ranked = sorted(
            joinable,
            key=lambda key: (-needing[key], -joinable[key], type_order.index(key[0]), key[1] or ""),
        )
        for type_name, stage in ranked:
            if needed and not needing[type_name, stage]:
                break
            if joinable[type_name, stage] < self.instance.group_types[type_name].min_size:
                continue
            group = self._open(location, slot, type_name, stage, open_here)
            if group is not None:
                return group
        return None

    def _seat_all(
        self, patients: list[Patient], open_here: list[Group], *, needed_only: bool
    ) -> list[Patient]:
        """Seats whoever finds a group with room they may join (`needed_only`: of a type
        they still need); those left waiting, in order."""
        waiting = []
        for patient in patients:
            group = self._seat(patient, open_here, needed_only=needed_only)
            if group is None:
                waiting.append(patient)
                continue
            group.members.append(patient.id)
            self.needs[patient.id][group.type] -= 1
        return waiting

    def _seat(self, patient: Patient, open_here: list[Group], *, needed_only: bool) -> Group | None:
        needs = self.needs[patient.id]
        fits = [
            group
            for group in open_here
            if group.admits(patient) and len(group.members) < group.limit
        ]
        most_needed = sorted((g for g in fits if needs[g.type] > 0), key=lambda g: -needs[g.type])
        if most_needed:
            return most_needed[0]
        if needed_only or self.slack(patient) <= 0 or not fits:
            return None
        # The smallest group first: one still short of its minimum needs the seat most.
        return min(fits, key=lambda g: len(g.members))

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
    """Fill or dissolve undersized groups until nothing is undersized.

    One group per round, smallest first, re-measuring each time. It is topped up from other
    groups of its slot if enough of their members can move; if not, it is dissolved: its
    members move to another group of the same slot that has room and that they may join, if
    they keep their plan (the type they lose is not one they are short of); the others are
    sent home, which shrinks their other groups, hence the rounds.
    """
    while True:
        for group in groups:
            group.members = [m for m in group.members if m not in unmet]
        small = [g for g in groups if len(g.members) < instance.group_types[g.type].min_size]
        if not small:
            return groups
        worst = min(small, key=lambda g: len(g.members))
        if _top_up(instance, worst, groups):
            continue
        groups = [g for g in groups if g is not worst]
        for patient_id in worst.members:
            target = _reseat(instance, patient_id, worst, groups)
            if target is None:
                unmet.add(patient_id)
            else:
                target.members.append(patient_id)


def _top_up(instance: Instance, short: Group, groups: list[Group]) -> bool:
    """Tops `short` up to its minimum with members of other groups of its slot that can
    spare them (those stay at their minimum) and who keep their plan, if there are enough
    of them; whether it did."""
    wanted = instance.group_types[short.type].min_size - len(short.members)
    moves: list[tuple[Group, str]] = []
    for group in groups:
        if group is short or group.slot.id != short.slot.id:
            continue
        spare = len(group.members) - instance.group_types[group.type].min_size
        movable = [m for m in group.members if _may_move(instance, m, group, short, groups)]
        moves.extend((group, m) for m in movable[: max(0, spare)])
    if len(moves) < wanted:
        return False
    for group, patient_id in moves[:wanted]:
        group.members.remove(patient_id)
        short.members.append(patient_id)
    return True


def _may_move(
    instance: Instance, patient_id: str, source: Group, target: Group, groups: list[Group]
) -> bool:
    """Whether the patient may leave `source` for `target`, a group of the same slot: of
    their stage, and leaving no type they need short."""
    patient = instance.patient_by_id[patient_id]
    if not target.admits(patient):
        return False
    if source.type == target.type:
        return True
    return _seats_of(patient_id, source.type, groups) > patient.needs.get(source.type, 0)


def _seats_of(patient_id: str, type_name: str, groups: list[Group]) -> int:
    return sum(1 for g in groups if g.type == type_name and patient_id in g.members)


def _reseat(instance: Instance, patient_id: str, lost: Group, groups: list[Group]) -> Group | None:
    patient = instance.patient_by_id[patient_id]
    short_of_lost = _seats_of(patient_id, lost.type, groups) < patient.needs.get(lost.type, 0)
    for group in groups:
        if group.slot.id != lost.slot.id or len(group.members) >= group.limit:
            continue
        if not group.admits(patient):
            continue
        if short_of_lost and group.type != lost.type:
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
