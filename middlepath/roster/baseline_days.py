"""The hand schedule's days (`baseline.py`): when each stage meets, and each patient's days.

The scheduler first picks, for each stage of each track, the days its process groups meet
(a process group needs eight of one stage), and sends home a stage too few to fill one.
Then each patient's days are fixed, the least flexible first, on their stage's days while
the block has seats; last, nobody is left on a day too thin for any group where they can
come on another.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from itertools import combinations

from middlepath.roster.instance import Block, Instance, Patient


def _needs_same_stage(instance: Instance, patient: Patient) -> bool:
    return any(
        count > 0 and instance.group_types[name].same_stage for name, count in patient.needs.items()
    )


def stage_days(instance: Instance) -> dict[tuple[str, str, str], tuple[str, ...]]:
    """The blocks where each stage of each track meets for its same-stage groups, keyed by
    (location, track, stage): as many blocks as its members need such groups, those the
    most of them can all come to, the biggest stage first and apart from the others where
    it can. A stage too few to fill a group gets none."""
    smallest = min(
        (t.min_size for t in instance.group_types.values() if t.same_stage), default=None
    )
    if smallest is None:
        return {}
    cohorts: dict[tuple[str, str, str], list[Patient]] = {}
    for patient in instance.patients:
        if _needs_same_stage(instance, patient):
            key = (patient.location, patient.track, patient.stage)
            cohorts.setdefault(key, []).append(patient)
    track_blocks: dict[tuple[str, str], list[str]] = {}
    for block in instance.blocks:
        track_blocks.setdefault((block.location, block.track), []).append(block.id)
    taken: Counter[str] = Counter()
    meets: dict[tuple[str, str, str], tuple[str, ...]] = {}
    for key, members in sorted(cohorts.items(), key=lambda item: (-len(item[1]), item[0])):
        if len(members) < smallest:
            continue
        wanted = max(
            sum(n for name, n in p.needs.items() if instance.group_types[name].same_stage)
            for p in members
        )
        blocks = track_blocks.get(key[:2], [])
        wanted = min(wanted, len(blocks))

        def fit(chosen: tuple[str, ...], members: list[Patient] = members) -> tuple[int, int]:
            can_all = sum(1 for p in members if set(chosen) <= set(p.blocks))
            return (can_all, -sum(taken[b] for b in chosen))

        best = max(combinations(blocks, wanted), key=fit, default=())
        meets[key] = best
        taken.update(best)
    return meets


def _seats(instance: Instance) -> dict[str, int]:
    """The seats of each block: in its leanest slot, those of as many of the location's
    rooms (the biggest first) as there are counselors working then."""
    largest = max((t.max_size for t in instance.group_types.values()), default=0)
    capacities: dict[str, list[int]] = {}
    for room in instance.rooms:
        capacities.setdefault(room.location, []).append(min(room.capacity, largest))
    for found in capacities.values():
        found.sort(reverse=True)
    working = Counter(slot for member in instance.staff for slot in member.slots)
    return {
        block.id: min(
            (sum(capacities.get(block.location, [])[: working[slot.id]]) for slot in block.slots),
            default=0,
        )
        for block in instance.blocks
    }


def plan_days(instance: Instance) -> dict[str, list[Block] | None]:
    """Each patient's days for the week (None if their blocks cannot cover the plan, or
    their stage is too few for the same-stage groups they need), fixed the least flexible
    first: of their available blocks, their stage's group days (`stage_days`), then those
    where most of their stage already come, then the least full, then the earliest, until
    the plan is covered; blocks whose seats are all taken only when nothing else is left."""
    seats = _seats(instance)
    week_order = {block.id: n for n, block in enumerate(instance.blocks)}
    coming: Counter[str] = Counter()
    of_stage: Counter[tuple[str, str]] = Counter()
    days: dict[str, list[Block] | None] = {}
    meets = stage_days(instance)
    for patient in sorted(instance.patients, key=lambda p: (len(p.blocks), p.id)):
        cohort = (patient.location, patient.track, patient.stage)
        if cohort not in meets and _needs_same_stage(instance, patient):
            days[patient.id] = None
            continue
        group_days = meets.get(cohort, ())

        def preference(
            block: Block, stage: str = patient.stage, group_days: tuple[str, ...] = group_days
        ) -> tuple[bool, bool, int, int, int]:
            full = coming[block.id] >= seats[block.id]
            return (
                full,
                block.id not in group_days,
                -of_stage[block.id, stage],
                coming[block.id],
                week_order[block.id],
            )

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
    _leave_thin_days(instance, days, coming, seats)
    return days


def _leave_thin_days(
    instance: Instance,
    days: dict[str, list[Block] | None],
    coming: Counter[str],
    seats: Mapping[str, int],
) -> None:
    """Moves those who would come on a block too thin for any group to run (fewer than the
    smallest group), the thinnest first, to another of their blocks where more come and
    there is a seat, as long as that keeps their plan; a block all of whose patients can
    move is left empty."""
    smallest = min((t.min_size for t in instance.group_types.values()), default=0)
    for block in sorted(instance.blocks, key=lambda b: coming[b.id]):
        if not 0 < coming[block.id] < smallest:
            continue
        for patient in instance.patients:
            chosen = days.get(patient.id)
            if not chosen or block not in chosen:
                continue
            taken = {b.id for b in chosen}
            instead = [
                other
                for other in (instance.block_by_id[b] for b in patient.blocks)
                if other.id not in taken
                and other.minutes >= block.minutes
                and coming[block.id] < coming[other.id] < seats[other.id]
            ]
            if not instead:
                continue
            other = max(instead, key=lambda b: coming[b.id])
            chosen[chosen.index(block)] = other
            coming[block.id] -= 1
            coming[other.id] += 1
