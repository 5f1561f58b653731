"""The roster a scheduler builds by hand: fixed days, first fit, then repair.

The scheduler first fixes the week's days (`baseline_days.py`): when each stage's process
groups meet, then each patient's days. Then slot by slot, in week order, the scheduler looks
at who is in and chooses the slot's line-up: of the groups that the free rooms and
counselors can run (those with the most sessions to spare leading first), the fewest that
seat everyone, and of those the line-up that gives the most of them a seat they still need;
the most pressed choose first (those with no seat to spare this week), and a group short of
its minimum is filled from bigger ones. At the week's end a patient short of a group type
trades a seat they can spare for it. Whoever could not be placed (no days that cover their
plan, no seat in a slot) is sent home and the week filled again without them, until it
places everyone left; who then still misses a group type is unmet. The repair step tops
groups left under the minimum up from bigger groups of their slot, or dissolves them
(smallest first), moves their members to another group of the slot where that keeps their
plan, and sends the others home, until everything left keeps the rules. Each draft of the
week is repaired so, and the scheduler keeps the one that meets the most: sending people
home can thin a stage until its groups no longer fill.

The optimizer is measured against this and falls back to it per location, so it is always
validated before it is returned.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from itertools import combinations_with_replacement
from math import comb
from typing import Any

from middlepath.roster.baseline_days import plan_days
from middlepath.roster.instance import (
    SOLUTION_FORMAT,
    Block,
    GroupType,
    Instance,
    Patient,
    Room,
    Slot,
    Staff,
    parse_instance,
)
from middlepath.roster.matching import match
from middlepath.roster.validate import ensure_valid, metrics

# A group type and, for a same-stage type, its stage.
Kind = tuple[str, str | None]
# Beyond this many line-ups of a slot, one is grown a group at a time (`_lineups`).
MOST_LINEUPS = 126


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


def baseline(instance: Instance | Mapping[str, Any]) -> dict[str, Any]:
    """A valid first-fit roster in the solution format."""
    started = time.monotonic()
    if not isinstance(instance, Instance):
        instance = parse_instance(instance)
    groups: list[Group] = []
    unmet: set[str] = set()
    for location in instance.locations:
        found, left_out = _best_draft(instance.one_location(location))
        groups.extend(found)
        unmet |= left_out
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
        self.slot_index = {
            s.id: n for n, s in enumerate(s for b in instance.blocks for s in b.slots)
        }
        self.worked = {
            member.id: sorted(self.slot_index[s] for s in member.slots if s in self.slot_index)
            for member in instance.staff
        }
        self.groups: list[Group] = []

    def sessions_to_spare(self, member: Staff, slot: Slot) -> int:
        """The sessions the counselor may still lead beyond one in every slot they work
        from this one on (negative when their week is short of their slots)."""
        worked = self.worked[member.id]
        ahead = len(worked) - bisect_left(worked, self.slot_index[slot.id])
        return member.max_sessions - self.lead_count[member.id] - ahead

    def mend_shortfalls(self) -> None:
        """Moves each patient still short of a group type, in a slot where they sit in a
        type they have more of than they need, to a group of the type they lack there that
        has room, if the group they leave keeps its minimum without them."""
        types = self.instance.group_types
        in_slot: dict[str, list[Group]] = {}
        for group in self.groups:
            in_slot.setdefault(group.slot.id, []).append(group)

        def staying(group: Group) -> int:
            return sum(1 for m in group.members if m not in self.unmet)

        for patient in self.instance.patients:
            needs = self.needs[patient.id]
            if patient.id in self.unmet or all(n <= 0 for n in needs.values()):
                continue
            for source in [g for g in self.groups if patient.id in g.members]:
                if needs[source.type] >= 0 or staying(source) <= types[source.type].min_size:
                    continue
                target = next(
                    (
                        g
                        for g in in_slot[source.slot.id]
                        if needs[g.type] > 0 and g.admits(patient) and len(g.members) < g.limit
                    ),
                    None,
                )
                if target is None:
                    continue
                source.members.remove(patient.id)
                target.members.append(patient.id)
                needs[source.type] += 1
                needs[target.type] -= 1

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
        present = sorted(
            (p for p in here if self.slack(p) >= 0), key=lambda p: (self.slack(p), p.id)
        )
        groups = self._best_lineup(block.location, slot, present)
        seated: set[str] = set()
        for group in groups:
            self.lead_count[group.facilitator] += 1
            for patient_id in group.members:
                self.needs[patient_id][group.type] -= 1
            seated.update(group.members)
        self.groups.extend(groups)
        self.unmet.update(p.id for p in present if p.id not in seated)
        for patient in here:
            self.slots_left[patient.id] -= 1

    def _best_lineup(self, location: str, slot: Slot, present: list[Patient]) -> list[Group]:
        """The groups to run in the slot, seated: of the line-ups that the free rooms and
        counselors allow, the one that seats the most of those present, then in the most
        seats they still need (same-stage ones count double: they are the hardest to find),
        then with the fewest groups."""
        rooms = sorted(
            (r for r in self.instance.rooms if r.location == location),
            key=lambda r: (-r.capacity, r.id),
        )
        # Those with the most sessions to spare lead first (beyond one in every slot they
        # still work), so that nobody's week runs out while others' is spare.
        leads = sorted(
            (
                s
                for s in self.instance.staff
                if s.location == location
                and slot.id in s.slots
                and self.lead_count[s.id] < s.max_sessions
            ),
            key=lambda s: (-self.sessions_to_spare(s, slot), s.id),
        )
        kinds = self._kinds(present)
        types = self.instance.group_types
        smallest = min((types[t].min_size for t, _ in kinds), default=0)
        largest = max((t.max_size for t in types.values()), default=0)
        worth = {(p.id, t): self._worth(p, t) for p in present for t in types}
        joinable = {kind: sum(1 for p in present if kind[1] in (None, p.stage)) for kind in kinds}
        sizes = [
            size
            for size in range(1, min(len(rooms), len(leads)) + 1)
            if size * smallest <= len(present)
        ]
        # The fewest groups whose rooms seat everyone; any other number only if no line-up
        # of that many can run.
        fewest = [
            size
            for size in sizes
            if sum(min(r.capacity, largest) for r in rooms[:size]) >= len(present)
        ][:1]

        def seated(lineup: tuple[Kind, ...]) -> tuple[list[Group], tuple[int, int, int]] | None:
            ordered = sorted(lineup, key=joinable.__getitem__, reverse=True)
            groups = self._staffed(ordered, slot, rooms, leads)
            if groups is None or not _seat(groups, present, worth, types):
                return None
            return groups, _score(groups, worth)

        best: list[Group] = []
        best_score = _score(best, worth)
        for tried in (fewest, [size for size in sizes if size not in fewest]):
            for size in tried:
                for lineup in _lineups(kinds, size, seated):
                    found = seated(lineup)
                    if found is not None and found[1] > best_score:
                        best, best_score = found
            if best:
                break
        return best

    def _kinds(self, present: list[Patient]) -> list[Kind]:
        """The groups that enough of those present may join to fill: each type, and each
        stage of a same-stage type."""
        stages = Counter(p.stage for p in present)
        kinds: list[Kind] = []
        for group_type in self.instance.group_types.values():
            if not group_type.same_stage:
                if len(present) >= group_type.min_size:
                    kinds.append((group_type.name, None))
                continue
            kinds.extend(
                (group_type.name, stage)
                for stage, count in sorted(stages.items())
                if count >= group_type.min_size
            )
        return kinds

    def _staffed(
        self, lineup: list[Kind], slot: Slot, rooms: list[Room], leads: list[Staff]
    ) -> list[Group] | None:
        """Empty groups of the line-up (the group most may join first), each in a room (the
        biggest first) and with a counselor who leads its type (matched so that every group
        has one), or None if the rooms or counselors cannot run it."""
        types = self.instance.group_types
        rooms = rooms[: len(lineup)]
        if any(r.capacity < types[t].min_size for (t, _), r in zip(lineup, rooms, strict=True)):
            return None
        chosen = _match([t for t, _ in lineup], leads)
        if chosen is None:
            return None
        return [
            Group(
                slot=slot,
                type=type_name,
                stage=stage,
                room=room.id,
                facilitator=lead.id,
                limit=min(room.capacity, types[type_name].max_size),
            )
            for (type_name, stage), room, lead in zip(lineup, rooms, chosen, strict=True)
        ]

    def _worth(self, patient: Patient, type_name: str) -> int | None:
        """What a seat in a group of the type is worth to the patient's plan; None if it
        would cost them the plan (a seat they cannot spare, in a type they no longer need)."""
        if self.needs[patient.id][type_name] > 0:
            return 2 if self.instance.group_types[type_name].same_stage else 1
        return 0 if self.slack(patient) > 0 else None


Worth = Mapping[tuple[str, str], int | None]


def _seat(
    groups: list[Group], present: list[Patient], worth: Worth, types: Mapping[str, GroupType]
) -> bool:
    """Seats those present in order, each where the seat is worth most to them (the
    smallest group on a tie), then tops up groups short of their minimum with the
    unseated, or with members of bigger groups who lose least by moving; whether every
    group reached its minimum."""
    for patient in present:
        # A plain loop, as this is most of the baseline's time: 12 x 150's takes 1.25 s,
        # 1.7 s with a list of each patient's options and max() over it.
        chosen: Group | None = None
        best = (0, 0)
        for group in groups:
            value = worth[patient.id, group.type]
            if value is None or len(group.members) >= group.limit or not group.admits(patient):
                continue
            key = (value, -len(group.members))
            if chosen is None or key > best:
                chosen, best = group, key
        if chosen is not None:
            chosen.members.append(patient.id)
    where = {m: g for g in groups for m in g.members}
    for short in groups:
        wanted = types[short.type].min_size - len(short.members)
        if wanted <= 0:
            continue
        moves: list[tuple[int, int, Patient]] = []
        for n, patient in enumerate(present):
            gain = worth[patient.id, short.type]
            if gain is None or not short.admits(patient) or where.get(patient.id) is short:
                continue
            source = where.get(patient.id)
            kept = (worth[patient.id, source.type] or 0) if source else -len(present)
            moves.append((kept - gain, n, patient))
        for _, _, patient in sorted(moves, key=lambda move: move[:2]):
            if wanted == 0:
                break
            source = where.get(patient.id)
            if source is not None:
                if len(source.members) <= types[source.type].min_size:
                    continue
                source.members.remove(patient.id)
            short.members.append(patient.id)
            where[patient.id] = short
            wanted -= 1
        if wanted > 0:
            return False
    return True


def _score(groups: list[Group], worth: Worth) -> tuple[int, int, int]:
    seated = sum(len(g.members) for g in groups)
    needed = sum(worth[m, g.type] or 0 for g in groups for m in g.members)
    return (seated, needed, -len(groups))


def _lineups(
    kinds: list[Kind],
    size: int,
    seated: Callable[[tuple[Kind, ...]], tuple[list[Group], tuple[int, int, int]] | None],
) -> Iterable[tuple[Kind, ...]]:
    """The line-ups of `size` groups to weigh: all of them where they are few (four rooms
    and five kinds of group make 70), else one grown a group at a time, each time the kind
    whose line-up so far `seated` scores best (a big centre with ten rooms would have
    over a thousand a slot)."""
    if comb(len(kinds) + size - 1, size) <= MOST_LINEUPS:
        yield from combinations_with_replacement(kinds, size)
        return
    lineup: tuple[Kind, ...] = ()
    for _ in range(size):
        scored = [(found[1], kind) for kind in kinds if (found := seated((*lineup, kind)))]
        if not scored:
            return
        lineup = (*lineup, max(scored, key=lambda option: option[0])[1])
    yield lineup


def _match(type_names: list[str], leads: list[Staff]) -> list[Staff] | None:
    """A different counselor for each group, one who leads its type, or None if there is
    none."""
    chosen = match(
        len(type_names), len(leads), lambda group, n: type_names[group] in leads[n].facilitates
    )
    if chosen is None:
        return None
    return [leads[chosen[group]] for group in range(len(type_names))]


def _best_draft(instance: Instance) -> tuple[list[Group], set[str]]:
    """The repaired draft of the week that meets the most (then in the fewest groups), and
    who it leaves unmet. Whoever a draft could not place (no days that cover their plan, no
    seat left in a slot) is sent home and the week filled again without them, until a
    draft places everyone left. Those who only fell short of a group type by the week's
    end stay for the next draft while anyone was left without a seat, since the seats
    freed may be theirs. A later draft is not always better: sending home the short
    patients of one stage can leave too few of it for a group (12 x 150: 1192 met keeping
    the best draft, 1102 keeping the last)."""
    sent_home: set[str] = set()
    best: tuple[tuple[int, int], list[Group], set[str]] | None = None
    while True:
        attending = replace(
            instance, patients=tuple(p for p in instance.patients if p.id not in sent_home)
        )
        groups, unmet, unplaced = _first_fit(attending)
        left_out = sent_home | unmet
        groups = _repair(instance, groups, left_out)
        met = len(instance.patients) - len(left_out)
        if best is None or (met, -len(groups)) >= best[0]:
            best = ((met, -len(groups)), groups, left_out)
        if not unmet:
            return best[1], best[2]
        sent_home |= unplaced or unmet


def _first_fit(instance: Instance) -> tuple[list[Group], set[str], set[str]]:
    """The week filled slot by slot: its groups, who is unmet, and of them who could not be
    placed (rather than only falling short of a group type by the week's end)."""
    week = _Week(instance)
    for block in instance.blocks:
        for slot in block.slots:
            week.fill_slot(block, slot)
    unplaced = set(week.unmet)
    week.mend_shortfalls()
    for patient in instance.patients:
        if any(n > 0 for n in week.needs[patient.id].values()):
            week.unmet.add(patient.id)
    return week.groups, week.unmet, unplaced


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
    their stage, and leaving no type they need short (`groups`, the week's, with or without
    `source`)."""
    patient = instance.patient_by_id[patient_id]
    if not target.admits(patient):
        return False
    if source.type == target.type:
        return True
    kept = sum(
        1 for g in groups if g is not source and g.type == source.type and patient_id in g.members
    )
    return kept >= patient.needs.get(source.type, 0)


def _reseat(instance: Instance, patient_id: str, lost: Group, groups: list[Group]) -> Group | None:
    """A group of the lost group's slot with room that the patient may move to."""
    return next(
        (
            group
            for group in groups
            if group.slot.id == lost.slot.id
            and len(group.members) < group.limit
            and _may_move(instance, patient_id, lost, group, groups)
        ),
        None,
    )


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
