"""The weekly roster optimizer: one CP-SAT model per location, solved lexicographically.

Staff and rooms never cross locations, so each location is its own problem. Its model:

- Sessions too few patients could fill (seven late-stage patients make no process group)
  are never created, and patients who cannot be met whatever the roster are fixed unmet.
- `met[p]`: patient p gets their whole plan; `come[p, b]`: p comes to block b (one of their
  blocks). Slots of a block are attended by the same patients, so attendance is per block.
- A session *kind* is a group type, plus the stage for `same_stage` types. `sit[p, s, k]`:
  p sits in a session of kind k in slot s, created only where p may sit (own stage) and where
  some counselor could run k in s; exactly one kind per slot of each block p comes to.
- Sessions are indexed by (slot, facilitator), because a facilitator leads at most one
  session per slot: `lead[s, g, k]` opens g's session of kind k, `size[s, g, k]` counts its
  members, and `room[s, g, c]` gives it a room of capacity class c. Rooms of equal capacity
  are interchangeable, so only counts per class are modelled (no room symmetry). Patients
  are matched to sessions by count per (slot, kind); which of several sessions of one kind a
  patient joins is decided when the roster is written out, always possible as sizes add up.
- Only the third criterion needs to know who sits with which facilitator: stage 3 adds
  `with_pref[p, s]` (p sits in their preferred counselor's process session) and counts those
  patients into that session's size.

Per location, in order, sharing the location's time:

1. *days*: a small relaxation (who comes on which days, seat capacities only) gives a first
   proven bound on `met` and a plan of days;
2. *seats*: on those days, a model that counts patients by class (same stage, needs and
   days) instead of seating them one by one finds a good roster fast: without the
   patients' symmetry it fills same-stage groups where the full model spreads a stage thin;
3. *bound*: the full model, started from it (the days are free again), maximizes `met`
   with the LP search running, whose root relaxation proves a tighter bound within a
   second or so, and whose dives and neighbourhoods find the last few patients in the time
   left (it runs on as the met step);
4. *met*: when time is short, local search only from the best roster so far, on every
   thread, with what time is left: moving a few seats at a time, thousands of times a
   second, it finds the last patients faster than re-solving neighbourhoods does (a
   deterministic run searches neighbourhoods instead, after a shorter step 3);
5. *sessions*: `met` fixed at its best, fewest sessions (with more time, rounding cuts
   prove the minimum: a block's people need whole sessions in each of its slots);
6. *preferred*: both fixed, most patients with their preferred counselor.

When time is short, steps 5 and 6 too search locally from the roster so far: they get a
fraction of a second, too little for the LP search to return any roster.
"""

from __future__ import annotations

import enum
import math
import os
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from middlepath.roster.baseline import baseline
from middlepath.roster.instance import (
    PROCESS,
    SOLUTION_FORMAT,
    Block,
    Instance,
    Patient,
    Slot,
    parse_instance,
)
from middlepath.roster.validate import RosterInternalError, ensure_valid, metrics, validate

Progress = Callable[[str, int, int, float], None]

# Share of the location's remaining time each step may use; the last step gets the rest.
# Met matters most, and a step that proves its optimum early hands its time on.
SHARE = {"days": 0.1, "seats": 0.3, "bound": 0.3, "met": 0.8, "sessions": 0.6}
# Kept back from the wall-clock budget to write the roster out and validate it.
RESERVE_SECONDS = 0.3
# Below this allowance per location, the steps after the met search improve the roster by
# local search on every thread, as the LP search gets nowhere in their fraction of a
# second (measured on the benchmark: 12 x 150 patients in 60 s gain, 3 x 100 lose).
SHORT_ALLOWANCE = 10.0
SOLVED = (cp_model.OPTIMAL, cp_model.FEASIBLE)


class Search(enum.Enum):
    """What a CP-SAT run searches with. FULL proves bounds (the LP search among the others);
    the rest only improve the roster they start from, on every thread: NEIGHBOURHOODS
    re-solves parts of it, LOCAL moves a few values at a time (violation local search), and
    is the faster of the two from a good roster (12 x 150 in 60 s: about 11 patients more
    met, 10 sessions fewer and 15 more with their preferred counselor), but hopeless from
    no roster at all."""

    FULL = "full"
    NEIGHBOURHOODS = "neighbourhoods"
    LOCAL = "local"


@dataclass(frozen=True, order=True)
class Kind:
    type: str
    stage: str | None


@dataclass
class LocationResult:
    location: str
    sessions: list[dict[str, Any]]
    unmet: list[str]
    bound_met: int
    optimal: bool


@dataclass
class _Budget:
    """Time left for the whole solve: wall-clock seconds, or CP-SAT deterministic time when
    the roster must be reproducible (wall-clock depends on machine load)."""

    seconds: float
    deterministic: bool
    seed: int
    workers: int
    started: float = field(default_factory=time.monotonic)
    spent: float = 0.0

    def left(self) -> float:
        if self.deterministic:
            return max(0.0, self.seconds - self.spent)
        elapsed = time.monotonic() - self.started
        return max(0.0, self.seconds - elapsed - RESERVE_SECONDS)

    def elapsed(self) -> float:
        return time.monotonic() - self.started


class _Watcher(cp_model.CpSolverSolutionCallback):
    """Watches each better roster of a `met` step: passes it to the caller's progress
    function, and stops the search once it meets as many as the proven bound (a
    neighbourhood search proves nothing, so it would not stop by itself)."""

    def __init__(
        self,
        location: str,
        progress: Progress | None,
        budget: _Budget,
        bound: int,
        own_bound: bool,
    ) -> None:
        super().__init__()
        self.location = location
        self.progress = progress
        self.budget = budget
        self.bound = bound
        # A restricted model's bound is no bound on the real problem.
        self.own_bound = own_bound

    def on_solution_callback(self) -> None:
        bound = self.bound
        if self.own_bound:
            bound = min(bound, _floor(self.best_objective_bound))
        met = round(self.objective_value)
        if self.progress is not None:
            self.progress(self.location, met, bound, self.budget.elapsed())
        if met >= bound:
            self.stop_search()


def _floor(value: float) -> int:
    # CP-SAT reports integral objective bounds as floats; guard against 41.9999999.
    return math.floor(value + 1e-6)


def _id(item: Any) -> str:
    return item.id


class LocationModel:
    """The CP-SAT model of one location's week (see the module docstring)."""

    # Each `sit` is one patient's seat (the class model counts several at once).
    seats_are_people = True

    def __init__(self, instance: Instance, location: str) -> None:
        self.instance = instance
        self.location = location
        self.model = cp_model.CpModel()
        self.blocks: list[Block] = [b for b in instance.blocks if b.location == location]
        self.slots: list[tuple[Block, Slot]] = [(b, s) for b in self.blocks for s in b.slots]
        self.rooms = sorted((r for r in instance.rooms if r.location == location), key=_id)
        self.staff = sorted((g for g in instance.staff if g.location == location), key=_id)
        self.patients = sorted((p for p in instance.patients if p.location == location), key=_id)
        self.capacities = sorted({r.capacity for r in self.rooms})
        self.largest = max((t.max_size for t in instance.group_types.values()), default=0)
        # The most people one session can hold here: the largest group in the largest room.
        self.biggest = min(self.largest, max(self.capacities, default=0))
        self.kinds = self._kinds()

        self.met: dict[str, cp_model.IntVar] = {}
        self.come: dict[tuple[str, str], cp_model.IntVar] = {}
        self.sit: dict[tuple[str, str, Kind], cp_model.IntVar] = {}
        self.lead: dict[tuple[str, str, Kind], cp_model.IntVar] = {}
        # The same leads by slot, then (facilitator, kind): most cuts are per slot.
        self.leads_by_slot: dict[str, dict[tuple[str, Kind], cp_model.IntVar]] = {}
        self.size: dict[tuple[str, str, Kind], cp_model.IntVar] = {}
        self.room: dict[tuple[str, str, int], cp_model.IntVar] = {}
        self.running: dict[tuple[str, Kind], cp_model.IntVar] = {}
        self.with_pref: dict[tuple[str, str], cp_model.IntVar] = {}
        self.preferred: dict[str, cp_model.IntVar] = {}
        # Patients who could be met at all (the others are fixed unmet and have no seats).
        self.possible: set[str] = set()
        self.runnable: set[tuple[str, Kind]] = set()
        self._build()

    # -- building -------------------------------------------------------------------------

    def _kinds(self) -> list[Kind]:
        stages = sorted({p.stage for p in self.patients})
        kinds = []
        for name, group_type in sorted(self.instance.group_types.items()):
            if group_type.same_stage:
                kinds.extend(Kind(name, stage) for stage in stages)
            else:
                kinds.append(Kind(name, None))
        return kinds

    def _room_fits(self, kind: Kind, capacity: int) -> bool:
        return capacity >= self.instance.group_types[kind.type].min_size

    def _build(self) -> None:
        m = self.model
        offered = [
            (slot.id, g.id, kind)
            for _, slot in self.slots
            for g in self.staff
            if slot.id in g.slots and g.max_sessions > 0
            for kind in self.kinds
            if kind.type in g.facilitates and any(self._room_fits(kind, c) for c in self.capacities)
        ]
        self._find_possible({(slot_id, kind) for slot_id, _, kind in offered})
        for slot_id, staff_id, kind in offered:
            if (slot_id, kind) in self.runnable:
                lead = self.lead[slot_id, staff_id, kind] = m.new_bool_var("")
                self.leads_by_slot.setdefault(slot_id, {})[staff_id, kind] = lead
        self._add_patients()
        self._add_sessions()
        self._add_capacity_cuts()
        self.met_total = sum(self.met.values())
        self.session_total = sum(self.lead.values())

    def compatible(self, p: Patient, kind: Kind) -> bool:
        return kind.stage is None or kind.stage == p.stage

    def chances(self, p: Patient, block: Block, type_name: str) -> int:
        """In how many slots of the block p could sit in a session of that type."""
        return sum(
            1
            for s in block.slots
            if any(
                (s.id, k) in self.runnable
                for k in self.kinds
                if k.type == type_name and self.compatible(p, k)
            )
        )

    def _find_possible(self, offered: set[tuple[str, Kind]]) -> None:
        """Which sessions could run and which patients could be met, by cheap necessary
        conditions; fixing the hopeless shrinks the model. A session needs enough patients
        who could sit in it, and a patient needs sessions: seven late-stage patients fill
        no process group, and without one none of them can be met."""
        block_of = {slot.id: block.id for block, slot in self.slots}
        self.runnable = offered
        while True:
            hopeful = [p for p in self.patients if self._may_meet(p)]
            candidates: dict[tuple[str, Kind], int] = defaultdict(int)
            for p in hopeful:
                for slot_id, kind in self.runnable:
                    if block_of[slot_id] in p.blocks and self.compatible(p, kind):
                        candidates[slot_id, kind] += 1
            runnable = {
                (slot_id, kind)
                for slot_id, kind in self.runnable
                if candidates[slot_id, kind] >= self.instance.group_types[kind.type].min_size
            }
            if runnable == self.runnable:
                self.possible = {p.id for p in hopeful}
                return
            self.runnable = runnable

    def _may_meet(self, p: Patient) -> bool:
        blocks = [self.instance.block_by_id[b] for b in p.blocks]
        if len(blocks) < p.min_days:
            return False
        longest = sorted((b.minutes for b in blocks), reverse=True)[: p.max_days]
        if sum(longest) < p.target_minutes:
            return False
        return all(
            sum(self.chances(p, b, type_name) for b in blocks) >= need
            for type_name, need in p.needs.items()
        )

    def _add_patients(self) -> None:
        for p in self.patients:
            self._add_patient(p)

    def _add_patient(self, p: Patient) -> None:
        m = self.model
        met = self.met[p.id] = m.new_bool_var("")
        if p.id not in self.possible:
            m.add(met == 0)
            return
        by_type: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        days = []
        minutes = []
        for block_id in p.blocks:
            block = self.instance.block_by_id[block_id]
            come = self.come[p.id, block_id] = m.new_bool_var("")
            m.add_implication(come, met)
            days.append(come)
            minutes.append(block.minutes * come)
            for slot in block.slots:
                seats = []
                for kind in self.kinds:
                    if (slot.id, kind) in self.runnable and self.compatible(p, kind):
                        sit = self.sit[p.id, slot.id, kind] = m.new_bool_var("")
                        seats.append(sit)
                        by_type[kind.type].append(sit)
                # Coming to a block means one seat in every one of its slots (rule 2).
                m.add(sum(seats) == come)
        m.add(sum(days) >= p.min_days * met)
        m.add(sum(days) <= p.max_days * met)
        m.add(sum(minutes) >= p.target_minutes * met)
        for type_name, need in p.needs.items():
            if need:
                m.add(sum(by_type[type_name]) >= need * met)

    def _add_sessions(self) -> None:
        m = self.model
        group_types = self.instance.group_types
        seated: dict[tuple[str, Kind], list[cp_model.IntVar]] = defaultdict(list)
        for (_, slot_id, kind), sit in self.sit.items():
            seated[slot_id, kind].append(sit)
        most = self._most_seated()
        per_staff: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for _, slot in self.slots:
            here: dict[str, list[tuple[Kind, cp_model.IntVar]]] = defaultdict(list)
            for (staff_id, kind), lead in self.leads_by_slot.get(slot.id, {}).items():
                here[staff_id].append((kind, lead))
            for staff_id, options in sorted(here.items()):
                opened = sum(lead for _, lead in options)
                per_staff[staff_id].extend(lead for _, lead in options)
                m.add(opened <= 1)  # rule 5: one session per slot
                rooms = {c: m.new_bool_var("") for c in self.capacities}
                for c, var in rooms.items():
                    self.room[slot.id, staff_id, c] = var
                m.add(sum(rooms.values()) == opened)
                sizes = []
                for kind, lead in options:
                    rules = group_types[kind.type]
                    # No bigger than the patients who may sit in it: a bound the LP needs
                    # to count the sessions a small stage takes (twelve late-stage patients
                    # fill no process group of fifteen).
                    largest = min(rules.max_size, most[slot.id, kind])
                    size = m.new_int_var(0, largest, "")
                    self.size[slot.id, staff_id, kind] = size
                    m.add(size >= rules.min_size * lead)  # rule 4
                    m.add(size <= largest * lead)
                    sizes.append(size)
                    for c, var in rooms.items():
                        if not self._room_fits(kind, c):
                            m.add_bool_or([lead.Not(), var.Not()])
                m.add(sum(sizes) <= sum(c * var for c, var in rooms.items()))
            for c in self.capacities:
                in_class = [self.room[slot.id, g, c] for g in sorted(here)]
                if in_class:
                    m.add(sum(in_class) <= sum(1 for r in self.rooms if r.capacity == c))
            for kind in self.kinds:
                keys = [(slot.id, g, kind) for g in sorted(here) if (slot.id, g, kind) in self.size]
                if not keys:
                    continue
                sitting = seated.get((slot.id, kind), [])
                m.add(sum(sitting) == sum(self.size[key] for key in keys))
                if sitting and self.seats_are_people:
                    # Redundant: a seat of kind k needs an open session of kind k. Without it
                    # the LP seats a lone late-stage patient in an eighth of a process group.
                    running = self.running[slot.id, kind] = m.new_bool_var("")
                    m.add(running <= sum(self.lead[key] for key in keys))
                    for sit in sitting:
                        m.add_implication(sit, running)
        for g in self.staff:
            if per_staff.get(g.id):
                m.add(sum(per_staff[g.id]) <= g.max_sessions)  # rule 5

    def _most_seated(self) -> dict[tuple[str, Kind], int]:
        """How many patients could sit in a (slot, kind)."""
        most: dict[tuple[str, Kind], int] = defaultdict(int)
        for _, slot_id, kind in self.sit:
            most[slot_id, kind] += 1
        return most

    def slot_seats(self, slot: Slot) -> int:
        """Most people a slot can seat: the best rooms, one per counselor free then."""
        counselors = len(self.counselors_in(slot.id))
        seats = sorted((min(r.capacity, self.largest) for r in self.rooms), reverse=True)
        return sum(seats[:counselors])

    def counselors_in(self, slot_id: str) -> set[str]:
        """Who could lead a session in the slot."""
        return {g for g, _ in self.leads_by_slot.get(slot_id, {})}

    def _add_capacity_cuts(self) -> None:
        """Redundant cuts per slot on `come` directly, which the LP otherwise only sees
        through the session variables: no more people than the best rooms seat, and at least
        one session per full room of people (a lower bound on sessions for stage 4)."""
        for block, slot in self.slots:
            coming = self.coming(block)
            if not coming:
                continue
            self.model.add(sum(coming) <= self.slot_seats(slot))
            opened = self.leads_by_slot.get(slot.id, {}).values()
            self.model.add(self.biggest * sum(opened) >= sum(coming))

    def coming(self, block: Block) -> list[cp_model.IntVar]:
        """Whether each patient who could come to the block comes."""
        return [self.come[p.id, block.id] for p in self.patients if (p.id, block.id) in self.come]

    def add_session_cuts(self, met: int) -> None:
        """Stage 2 only (at least `met` met): lower bounds on sessions that need rounding,
        which the LP cannot do and CP-SAT's search proves only slowly. The people of a block
        come to all its slots, so each of its slots needs ceil(A / biggest) sessions for A
        people; a track's patients together come to at least so many blocks; and a kind's
        patients need so many seats of it. Whoever else is met, at least `met` minus the
        possible patients of other tracks (or stages) are met here."""
        m = self.model
        biggest = self.biggest
        if biggest == 0:
            return
        possible = [p for p in self.patients if p.id in self.possible]

        def least(amounts: list[int]) -> int:
            # The smallest amounts of the fewest patients of this group who must be met.
            here = max(0, met - (len(possible) - len(amounts)))
            return sum(sorted(amounts)[:here])

        of_kind: dict[Kind, list[cp_model.IntVar]] = defaultdict(list)
        for (_, _, kind), lead in self.lead.items():
            of_kind[kind].append(lead)
        for track in sorted({b.track for b in self.blocks}):
            rounded = []
            for block in (b for b in self.blocks if b.track == track):
                per_slot = m.new_int_var(0, len(self.rooms), "")
                m.add(biggest * per_slot >= sum(self.coming(block)))
                for slot in block.slots:
                    m.add(sum(self.leads_by_slot.get(slot.id, {}).values()) >= per_slot)
                rounded.append(per_slot)
            blocks = least([self.fewest_blocks(p) for p in possible if p.track == track])
            m.add(sum(rounded) >= math.ceil(blocks / biggest))
        for kind, leads in sorted(of_kind.items()):
            seats = least([p.needs.get(kind.type, 0) for p in possible if self.compatible(p, kind)])
            max_size = self.instance.group_types[kind.type].max_size
            m.add(sum(leads) >= math.ceil(seats / max_size))

    def fewest_blocks(self, p: Patient) -> int:
        """The fewest blocks that can make p's plan (minutes, days and needed seats)."""
        blocks = [self.instance.block_by_id[b] for b in p.blocks]
        by_minutes = sorted((b.minutes for b in blocks), reverse=True)
        by_slots = sorted((len(b.slots) for b in blocks), reverse=True)
        seats = sum(p.needs.values())
        for count in range(p.min_days, len(blocks) + 1):
            if sum(by_minutes[:count]) >= p.target_minutes and sum(by_slots[:count]) >= seats:
                return count
        return len(blocks)

    def add_preferences(self) -> None:
        """Stage 3 only: who sits with the counselor they asked for."""
        m = self.model
        if PROCESS not in self.instance.group_types:
            return
        same_stage = self.instance.group_types[PROCESS].same_stage
        pinned: dict[tuple[str, str, Kind], list[cp_model.IntVar]] = defaultdict(list)
        for p in self.patients:
            g = p.prefer_facilitator
            if g is None or p.id not in self.possible:
                continue
            kind = Kind(PROCESS, p.stage if same_stage else None)
            seats = [
                (slot.id, self.sit[p.id, slot.id, kind])
                for block_id in p.blocks
                for slot in self.instance.block_by_id[block_id].slots
                if (p.id, slot.id, kind) in self.sit
            ]
            # Only patients who could sit with their counselor as often as their plan needs
            # (otherwise the LP counts half a patient for each one who could once).
            needed = max(1, p.needs.get(PROCESS, 0))
            if sum((slot_id, g, kind) in self.lead for slot_id, _ in seats) < needed:
                continue
            preferred = self.preferred[p.id] = m.new_bool_var("")
            m.add_implication(preferred, self.met[p.id])
            mine = []
            for slot_id, sit in seats:
                if (slot_id, g, kind) in self.lead:
                    with_pref = self.with_pref[p.id, slot_id] = m.new_bool_var("")
                    m.add_implication(with_pref, sit)
                    m.add_implication(with_pref, self.lead[slot_id, g, kind])
                    pinned[slot_id, g, kind].append(with_pref)
                    mine.append(with_pref)
                    # Every process seat of a preferred patient is with their counselor.
                    m.add(preferred + sit - with_pref <= 1)
                else:
                    m.add(preferred + sit <= 1)
            # At least one such seat, and as many as the plan needs (tightens the LP).
            m.add(sum(mine) >= needed * preferred)
        for key, members in sorted(pinned.items()):
            m.add(self.size[key] >= sum(members))

    # -- hints and reading solutions ------------------------------------------------------

    def all_vars(self) -> list[cp_model.IntVar]:
        groups: list[Mapping[Any, cp_model.IntVar]] = [
            self.met,
            self.come,
            self.sit,
            self.lead,
            self.size,
            self.room,
            self.running,
            self.with_pref,
            self.preferred,
        ]
        return [var for group in groups for var in group.values()]

    def snapshot(self, solver: cp_model.CpSolver) -> dict[int, int]:
        return {var.index: solver.value(var) for var in self.all_vars()}

    def hint(self, values: Mapping[int, int]) -> None:
        self.model.clear_hints()
        for var in self.all_vars():
            self.model.add_hint(var, values.get(var.index, 0))

    def met_in(self, values: Mapping[int, int]) -> int:
        return sum(values.get(var.index, 0) for var in self.met.values())

    def sessions_in(self, values: Mapping[int, int]) -> int:
        return sum(values.get(var.index, 0) for var in self.lead.values())

    def values_of_roster(self, sessions: list[dict[str, Any]], unmet: set[str]) -> dict[int, int]:
        """Model values of a valid roster (to start from the baseline); {} if it does not fit
        the model, which would be a modelling bug, so the caller just does not use it."""
        values: dict[int, int] = {}
        capacity = {r.id: r.capacity for r in self.rooms}
        same_stage = {n: t.same_stage for n, t in self.instance.group_types.items()}
        block_of = {s.id: b.id for b, s in self.slots}
        for p in self.patients:
            if p.id not in unmet:
                if p.id not in self.possible:
                    return {}
                values[self.met[p.id].index] = 1
        for session in sessions:
            kind = Kind(session["type"], session["stage"] if same_stage[session["type"]] else None)
            key = (session["slot"], session["facilitator"], kind)
            room = self.room.get(
                (session["slot"], session["facilitator"], capacity[session["room"]])
            )
            if key not in self.lead or room is None:
                return {}
            values[self.lead[key].index] = 1
            values[self.size[key].index] = len(session["members"])
            values[room.index] = 1
            if (session["slot"], kind) in self.running:
                values[self.running[session["slot"], kind].index] = 1
            for member in session["members"]:
                sit = self.sit.get((member, session["slot"], kind))
                come = self.come.get((member, block_of[session["slot"]]))
                if sit is None or come is None:
                    return {}
                values[sit.index] = 1
                values[come.index] = 1
        return values

    def _rooms_of(
        self, slot_id: str, leaders: list[str], values: Mapping[int, int]
    ) -> dict[str, str]:
        """A room for each session of the slot, by its leader: any of the capacity class."""
        room_of: dict[str, str] = {}
        for c in self.capacities:
            free = [r.id for r in self.rooms if r.capacity == c]
            for g in leaders:
                room = self.room.get((slot_id, g, c))
                if room is not None and values.get(room.index, 0) == 1:
                    room_of[g] = free.pop(0)
        return room_of

    def _opened(self, slot_id: str, values: Mapping[int, int]) -> list[tuple[str, Kind]]:
        """The sessions a solution runs in the slot, as (facilitator, kind)."""
        leads = self.leads_by_slot.get(slot_id, {})
        return sorted(key for key, lead in leads.items() if values.get(lead.index, 0) == 1)

    @staticmethod
    def _session(
        slot_id: str, facilitator: str, kind: Kind, room: str, members: list[str]
    ) -> dict[str, Any]:
        return {
            "id": f"{slot_id}/{room}",
            "slot": slot_id,
            "type": kind.type,
            "stage": kind.stage,
            "room": room,
            "facilitator": facilitator,
            "members": sorted(members),
        }

    def roster(self, values: Mapping[int, int]) -> tuple[list[dict[str, Any]], list[str]]:
        """Write a solution of the model out as sessions (with rooms and members) and unmet."""

        def on(var: cp_model.IntVar | None) -> bool:
            return var is not None and values.get(var.index, 0) == 1

        sessions: list[dict[str, Any]] = []
        for _, slot in self.slots:
            opened = self._opened(slot.id, values)
            room_of = self._rooms_of(slot.id, [g for g, _ in opened], values)
            for kind in sorted({k for _, k in opened}):
                seated = [p for p in self.patients if on(self.sit.get((p.id, slot.id, kind)))]
                leaders = [g for g, k in opened if k == kind]
                # Patients the model placed with their preferred counselor go to that session;
                # everyone else of this kind fills the sessions up to the modelled sizes.
                pinned = {
                    g: [
                        p.id
                        for p in seated
                        if p.prefer_facilitator == g and on(self.with_pref.get((p.id, slot.id)))
                    ]
                    for g in leaders
                }
                taken = {pid for members in pinned.values() for pid in members}
                rest = [p.id for p in seated if p.id not in taken]
                for g in leaders:
                    extra = values[self.size[slot.id, g, kind].index] - len(pinned[g])
                    members = pinned[g] + rest[:extra]
                    rest = rest[extra:]
                    sessions.append(self._session(slot.id, g, kind, room_of[g], members))
                if rest:
                    raise RosterInternalError(f"slot {slot.id}: {len(rest)} seats left over")
        unmet = [p.id for p in self.patients if not on(self.met[p.id])]
        return sessions, unmet


class DaysModel:
    """A relaxation of the location's model: only who comes on which days, against seat
    capacities. Small enough to solve at once; its bound on `met` is a proven bound, and its
    days are a good plan for the full model to start from."""

    def __init__(self, full: LocationModel) -> None:
        self.model = cp_model.CpModel()
        m = self.model
        self.met: dict[str, cp_model.IntVar] = {}
        self.come: dict[tuple[str, str], cp_model.IntVar] = {}
        self.sessions: dict[str, cp_model.IntVar] = {}
        block_by_id = full.instance.block_by_id
        for p in full.patients:
            if p.id not in full.possible:
                continue
            met = self.met[p.id] = m.new_bool_var("")
            days = []
            for block_id in p.blocks:
                come = self.come[p.id, block_id] = m.new_bool_var("")
                m.add_implication(come, met)
                days.append(come)
            m.add(sum(days) >= p.min_days * met)
            m.add(sum(days) <= p.max_days * met)
            minutes = sum(block_by_id[b].minutes * self.come[p.id, b] for b in p.blocks)
            m.add(minutes >= p.target_minutes * met)
            for type_name, need in p.needs.items():
                if need:
                    chances = sum(
                        full.chances(p, block_by_id[b], type_name) * self.come[p.id, b]
                        for b in p.blocks
                    )
                    m.add(chances >= need * met)
        everyone = []
        fewest = min((t.min_size for t in full.instance.group_types.values()), default=1)
        for block, slot in full.slots:
            coming = [self.come[p, block.id] for p in self.met if (p, block.id) in self.come]
            if coming:
                m.add(sum(coming) <= full.slot_seats(slot))
                everyone.extend(coming)
                # Sessions in the slot: each needs a counselor and a room, and members.
                counselors = full.counselors_in(slot.id)
                sessions = m.new_int_var(0, min(len(counselors), len(full.rooms)), "")
                self.sessions[slot.id] = sessions
                m.add(sum(coming) <= full.largest * sessions)
                m.add(sum(coming) >= fewest * sessions)
        # All seats of the week, against all sessions the counselors may lead.
        most_sessions = sum(
            min(g.max_sessions, len({s for s, h, _ in full.lead if h == g.id})) for g in full.staff
        )
        m.add(sum(everyone) <= full.largest * most_sessions)
        m.add(sum(self.sessions.values()) <= most_sessions)
        # Most met first, then fewest days (which leaves the most room for others).
        self.weight = len(self.come) + 1
        m.maximize(self.weight * sum(self.met.values()) - sum(self.come.values()))

    def met_bound(self, solver: cp_model.CpSolver, status: Any) -> int:
        # Without a solution CP-SAT may report no usable bound (0 or infinite).
        if status not in SOLVED or not math.isfinite(solver.best_objective_bound):
            return len(self.met)
        # objective = weight * met - days, with 0 <= days < weight (or just met).
        return _floor((solver.best_objective_bound + self.weight - 1) / self.weight)

    def met_found(self, solver: cp_model.CpSolver) -> int:
        return sum(solver.value(var) for var in self.met.values())

    def most_met(self, solver: cp_model.CpSolver) -> None:
        """Most met alone, from the days found: proven in a fraction of a second where the
        fewest days in the same objective keep the bound open."""
        self.weight = 1
        self.model.maximize(sum(self.met.values()))
        self.model.clear_hints()
        for var in [*self.met.values(), *self.come.values()]:
            self.model.add_hint(var, solver.value(var))

    def plan(self, solver: cp_model.CpSolver) -> set[tuple[str, str]]:
        return {key for key, var in self.come.items() if solver.value(var)}


class ClassModel(LocationModel):
    """The seats step's model: the location's sessions as in the full model, on a plan of
    days, with patients counted by class instead of seated one by one. A class is the
    patients of one stage, with the same needs, planned on the same days: any of them can
    take any other's seats, so the model decides only how many of a class are met and how
    many of them sit in each (slot, kind). Without the patients' symmetry CP-SAT fills
    same-stage groups where the full model spreads a stage thin (12 x 150 in 60 s: in the
    step's 1.2 s a location's roster meets about 117 of 150 instead of 110, and the whole
    week about 14 patients more)."""

    seats_are_people = False

    def __init__(self, instance: Instance, location: str, plan: set[tuple[str, str]]) -> None:
        self.plan = plan
        self.classes: dict[str, list[Patient]] = {}
        self.needs: dict[str, dict[str, int]] = {}
        self.planned: dict[str, tuple[str, ...]] = {}
        super().__init__(instance, location)

    def _add_patients(self) -> None:
        m = self.model
        members: dict[tuple[Any, ...], list[Patient]] = defaultdict(list)
        for p in self.patients:
            planned = tuple(b for b in p.blocks if (p.id, b) in self.plan)
            if p.id in self.possible and planned:
                members[p.stage, tuple(sorted(p.needs.items())), planned].append(p)
        for n, ((_, needs, planned), patients) in enumerate(sorted(members.items())):
            c = f"c{n}"
            self.classes[c] = patients
            self.needs[c] = dict(needs)
            self.planned[c] = planned
            met = self.met[c] = m.new_int_var(0, len(patients), "")
            by_type: dict[str, list[cp_model.IntVar]] = defaultdict(list)
            for block_id in planned:
                block = self.instance.block_by_id[block_id]
                # The met of a class come to all its planned blocks (the plan keeps days and
                # minutes), each to one seat in every slot.
                for slot in block.slots:
                    seats = []
                    for kind in self.kinds:
                        if (slot.id, kind) in self.runnable and self.compatible(patients[0], kind):
                            sit = self.sit[c, slot.id, kind] = m.new_int_var(0, len(patients), "")
                            seats.append(sit)
                            by_type[kind.type].append(sit)
                    m.add(sum(seats) == met)
            for type_name, need in self.needs[c].items():
                if need:
                    m.add(sum(by_type[type_name]) >= need * met)

    def _most_seated(self) -> dict[tuple[str, Kind], int]:
        most: dict[tuple[str, Kind], int] = defaultdict(int)
        for c, slot_id, kind in self.sit:
            most[slot_id, kind] += len(self.classes[c])
        return most

    def coming(self, block: Block) -> list[cp_model.IntVar]:
        return [self.met[c] for c, planned in self.planned.items() if block.id in planned]

    def roster(self, values: Mapping[int, int]) -> tuple[list[dict[str, Any]], list[str]]:
        """The roster of a solution: each class's met take its seats so that each gets their
        needs, then fill the sessions of each (slot, kind) in turn."""
        counts: dict[str, dict[str, dict[Kind, int]]] = defaultdict(lambda: defaultdict(dict))
        for (c, slot_id, kind), sit in self.sit.items():
            if values.get(sit.index):
                counts[c][slot_id][kind] = values[sit.index]
        seated: dict[tuple[str, Kind], list[str]] = defaultdict(list)
        met: set[str] = set()
        for c, patients in self.classes.items():
            chosen = [p.id for p in patients[: values.get(self.met[c].index, 0)]]
            met.update(chosen)
            for p_id, seats in self._share_seats(self.needs[c], chosen, counts[c]).items():
                for slot_id, kind in seats.items():
                    seated[slot_id, kind].append(p_id)
        sessions: list[dict[str, Any]] = []
        for _, slot in self.slots:
            opened = self._opened(slot.id, values)
            room_of = self._rooms_of(slot.id, [g for g, _ in opened], values)
            for g, kind in opened:
                size = values[self.size[slot.id, g, kind].index]
                members, seated[slot.id, kind] = (
                    seated[slot.id, kind][:size],
                    seated[slot.id, kind][size:],
                )
                sessions.append(self._session(slot.id, g, kind, room_of[g], members))
        return sessions, [p.id for p in self.patients if p.id not in met]

    @staticmethod
    def _share_seats(
        need: dict[str, int], chosen: list[str], by_slot: Mapping[str, dict[Kind, int]]
    ) -> dict[str, dict[str, Kind]]:
        """Each chosen patient's kind in each slot of the class's blocks. Slot by slot, the
        seats of a kind go to those who still lack most of its type; then two patients swap
        seats in a slot while one lacks a type the other has to spare. Where that is not
        enough (once in a few thousand random classes) a small CP-SAT model shares them: as
        the class's seats of each type cover all their needs, a sharing always exists."""
        seats: dict[str, dict[str, Kind]] = {p_id: {} for p_id in chosen}
        got: dict[str, dict[str, int]] = {p_id: defaultdict(int) for p_id in chosen}
        for slot_id, counts in by_slot.items():
            waiting = list(chosen)
            for kind, count in sorted(counts.items(), key=lambda kc: kc[1]):
                waiting.sort(key=lambda p_id: got[p_id][kind.type] - need.get(kind.type, 0))
                for p_id in waiting[:count]:
                    seats[p_id][slot_id] = kind
                    got[p_id][kind.type] += 1
                waiting = waiting[count:]

        def spare(p_id: str, type_name: str) -> bool:
            return got[p_id][type_name] > need.get(type_name, 0)

        for _ in range(len(chosen) * sum(need.values())):
            lacking = [(a, t) for a in chosen for t in need if got[a][t] < need[t]]
            if not lacking:
                break
            a, t = lacking[0]
            swap = next(
                (
                    (slot_id, b)
                    for slot_id, kind in seats[a].items()
                    if kind.type != t and spare(a, kind.type)
                    for b in chosen
                    if seats[b].get(slot_id) is not None
                    and seats[b][slot_id].type == t
                    and spare(b, t)
                ),
                None,
            )
            if swap is None:
                return ClassModel._share_seats_exactly(need, chosen, by_slot)
            slot_id, b = swap
            kind_a, kind_b = seats[a][slot_id], seats[b][slot_id]
            seats[a][slot_id], seats[b][slot_id] = kind_b, kind_a
            got[a][kind_a.type] -= 1
            got[a][t] += 1
            got[b][t] -= 1
            got[b][kind_a.type] += 1
        return seats

    @staticmethod
    def _share_seats_exactly(
        need: dict[str, int], chosen: list[str], by_slot: Mapping[str, dict[Kind, int]]
    ) -> dict[str, dict[str, Kind]]:
        model = cp_model.CpModel()
        takes = {
            (p_id, slot_id, kind): model.new_bool_var("")
            for p_id in chosen
            for slot_id, counts in by_slot.items()
            for kind in counts
        }
        for slot_id, counts in by_slot.items():
            for p_id in chosen:
                model.add_exactly_one(takes[p_id, slot_id, kind] for kind in counts)
            for kind, count in counts.items():
                model.add(sum(takes[p_id, slot_id, kind] for p_id in chosen) == count)
        for p_id in chosen:
            for type_name, needed in need.items():
                model.add(
                    sum(
                        var
                        for (who, _, kind), var in takes.items()
                        if who == p_id and kind.type == type_name
                    )
                    >= needed
                )
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_deterministic_time = 1.0
        seats: dict[str, dict[str, Kind]] = {p_id: {} for p_id in chosen}
        if solver.solve(model) in SOLVED:
            for (p_id, slot_id, kind), var in takes.items():
                if solver.value(var):
                    seats[p_id][slot_id] = kind
        return seats


def _run(
    model: cp_model.CpModel,
    *,
    limit: float,
    budget: _Budget,
    callback: cp_model.CpSolverSolutionCallback | None = None,
    search: Search = Search.FULL,
    linearization: int = 2,
) -> tuple[cp_model.CpSolver, Any]:
    solver = cp_model.CpSolver()
    params = solver.parameters
    if search is Search.LOCAL and budget.deterministic:
        # Under a deterministic time limit on one thread local search barely moves (12 x 150:
        # a location ends at 64 met instead of 141), so a reproducible roster keeps to
        # neighbourhoods.
        search = Search.NEIGHBOURHOODS
    # Only improving a roster, not proving a bound: every thread on one kind of search.
    params.use_lns_only = search is Search.NEIGHBOURHOODS
    params.use_ls_only = search is Search.LOCAL
    if search is not Search.FULL:
        # Each neighbourhood is presolved on its own, and local search moves from the
        # roster it is given; presolving the whole model first takes a quarter of a second
        # of a 150-patient location's five (12 x 150 in 60 s), and all of a short sessions
        # step's time, which then returned no roster at all.
        params.cp_model_presolve = False
    params.random_seed = budget.seed
    params.num_workers = 1 if budget.deterministic else budget.workers
    # Presolve turns the met/seat links into enforced constraints, and only linearization
    # level 2 puts those into the LP; without it CP-SAT proves almost no bound on `met`.
    params.linearization_level = linearization
    if budget.workers > 1 or budget.deterministic:
        # The default LP worker keeps level 1 whatever is set above; this one uses level 2.
        params.subsolvers.append("max_lp")
    if budget.deterministic:
        # One thread, so nothing depends on how threads are scheduled; interleaved search
        # still takes turns between the LP search and the neighbourhood searches on it. A
        # deterministic time limit stops at the same point whatever the machine load.
        params.interleave_search = True
        params.max_deterministic_time = max(limit, 0.001)
    else:
        params.max_time_in_seconds = max(limit, 0.001)
    status = solver.solve(model, callback)
    budget.spent += solver.deterministic_time
    if status in (cp_model.MODEL_INVALID, cp_model.INFEASIBLE):
        # Everyone unmet is always a solution of these models, so this is a modelling bug.
        raise RosterInternalError(f"CP-SAT says {solver.status_name(status)}")
    return solver, status


def solve_location(
    instance: Instance,
    location: str,
    *,
    allowance: float,
    budget: _Budget,
    fallback: dict[str, Any],
    progress: Progress | None,
) -> LocationResult:
    """Lexicographic solve of one location within `allowance` (seconds or deterministic)."""
    full = LocationModel(instance, location)
    if not full.patients:
        return LocationResult(location, [], [], 0, True)
    left_at_start = budget.left()

    def limit(step: str | None) -> float:
        here = max(0.0, allowance - (left_at_start - budget.left()))
        return here * SHARE[step] if step else here

    def watch(bound: int, own_bound: bool) -> _Watcher:
        return _Watcher(location, progress, budget, bound, own_bound)

    short = allowance < SHORT_ALLOWANCE
    # How the steps after the bound improve the roster they are given.
    improve = Search.LOCAL if short else Search.FULL
    # Little time on one thread: the LP search shares it with everything else.
    lean = short and budget.deterministic
    mine = {p.id for p in full.patients}
    fallback_sessions = [
        s for s in fallback["sessions"] if instance.location_of_slot(s["slot"]) == location
    ]
    fallback_unmet = sorted(mine & set(fallback["unmet"]))
    best = full.values_of_roster(fallback_sessions, set(fallback_unmet))

    # 1. days: a plan of days and a proven bound. With the fewest days in the objective the
    # bound often stays above the most met; then most met alone proves it in a tenth of a
    # second (12 x 150: 1544 instead of 1548-1566).
    days = DaysModel(full)
    solver, status = _run(days.model, limit=limit("days"), budget=budget)
    bound = min(len(full.possible), days.met_bound(solver, status))
    plan = None
    if status in SOLVED:
        plan = days.plan(solver)
        if days.met_found(solver) < bound:
            days.most_met(solver)
            solver, status = _run(days.model, limit=limit("days"), budget=budget)
            bound = min(bound, days.met_bound(solver, status))

    # 2. seats: on those days, patients counted by class rather than seated one by one.
    if plan is not None:
        classes = ClassModel(instance, location, plan)
        classes.model.maximize(classes.met_total)
        # The full search, LP included: on the clock even a second of it finds more than
        # neighbourhoods do, given step 3's full search after it (now and then its roster
        # is a poor one, which step 3 makes good). A short deterministic run, on one
        # thread, searches neighbourhoods without the LP (12 x 150 in 60: 1492 met, 1476
        # with the full search).
        solver, status = _run(
            classes.model,
            limit=limit("seats"),
            budget=budget,
            callback=watch(bound, False),
            search=Search.NEIGHBOURHOODS if lean else Search.FULL,
            linearization=0 if lean else 2,
        )
        if status in SOLVED and round(solver.objective_value) > full.met_in(best):
            sessions, unmet = classes.roster(classes.snapshot(solver))
            if validate(instance, _part(instance, location, sessions, unmet)) == []:
                best = full.values_of_roster(sessions, set(unmet)) or best

    # 3. bound: the full model from the best roster so far, LP search included, with all of
    # the met step's time. With steps 2 and 3 both searching neighbourhoods instead, 12 x
    # 150 in 60 s met 1506-1524 over eight runs, against 1512-1530 (more in each pair of
    # runs). A short deterministic run gives this step only the bound step's share and
    # searches neighbourhoods after it; the LP search helps there too (1 x 150 in 3: 141
    # met, 138 without it; 6 x 150 in 30: 743, 741 without it).
    step = "bound" if lean else "met"
    met = full.met_in(best)
    optimal = met >= bound
    if not optimal:
        full.model.maximize(full.met_total)
        full.hint(best)
        solver, status = _run(
            full.model,
            limit=limit(step),
            budget=budget,
            callback=watch(bound, True),
        )
        if status in SOLVED and math.isfinite(solver.best_objective_bound):
            bound = min(bound, _floor(solver.best_objective_bound))
        if status in SOLVED and round(solver.objective_value) >= met:
            best = full.snapshot(solver)
            met = round(solver.objective_value)
        optimal = status == cp_model.OPTIMAL or met >= bound

    # 4. met: local search only, from the best roster so far.
    if short and not optimal:
        full.hint(best)
        solver, status = _run(
            full.model,
            limit=limit("met"),
            budget=budget,
            callback=watch(bound, False),
            search=improve,
        )
        if status in SOLVED and round(solver.objective_value) >= met:
            best = full.snapshot(solver)
            met = round(solver.objective_value)
        optimal = met >= bound
    if optimal:
        bound = met

    # 5. sessions: as many met, as few sessions as possible.
    full.model.add(full.met_total >= met)
    if not short:
        # They prove the fewest sessions in seconds, but slow the neighbourhood search of a
        # short step down (measured: 12 x 150 in 60 s ends with about 5 more sessions).
        full.add_session_cuts(met)
    full.model.minimize(full.session_total)
    full.hint(best)
    solver, status = _run(
        full.model,
        limit=limit("sessions"),
        budget=budget,
        search=improve,
    )
    # Without time to start from the hint, CP-SAT may return a worse first roster.
    if status in SOLVED and round(solver.objective_value) <= full.sessions_in(best):
        best = full.snapshot(solver)
    optimal = optimal and status == cp_model.OPTIMAL

    # 6. preferred: as many met and as few sessions, most with their preferred counselor.
    full.model.add(full.session_total <= full.sessions_in(best))
    full.add_preferences()
    if full.preferred:
        full.model.maximize(sum(full.preferred.values()))
        full.hint(best)
        solver, status = _run(
            full.model,
            limit=limit(None),
            budget=budget,
            search=improve,
        )
        if status in SOLVED:
            best = full.snapshot(solver)
        optimal = optimal and status == cp_model.OPTIMAL

    sessions, unmet = full.roster(best)
    if _score(instance, location, fallback_sessions, fallback_unmet) > _score(
        instance, location, sessions, unmet
    ):
        # Never worse than what a scheduler does by hand; only possible when the time was
        # too short for CP-SAT to get anywhere.
        sessions, unmet, optimal = fallback_sessions, fallback_unmet, False
    if progress is not None:
        progress(location, len(full.patients) - len(unmet), bound, budget.elapsed())
    return LocationResult(location, sessions, unmet, bound, optimal)


def _part(
    instance: Instance, location: str, sessions: list[dict[str, Any]], unmet: list[str]
) -> dict[str, Any]:
    """One location's roster as a whole solution: everyone elsewhere unmet."""
    elsewhere = [p.id for p in instance.patients if p.location != location]
    return {"format": SOLUTION_FORMAT, "sessions": sessions, "unmet": unmet + elsewhere}


def _score(
    instance: Instance, location: str, sessions: list[dict[str, Any]], unmet: list[str]
) -> tuple[int, int, int]:
    """The format's order as a tuple to compare (bigger is better), for one location."""
    score = metrics(instance, _part(instance, location, sessions, unmet))
    return (score.met, -score.sessions, score.preferred_facilitator)


def solve(
    instance: Instance | Mapping[str, Any],
    *,
    seconds: float = 60,
    seed: int = 0,
    workers: int | None = None,
    deterministic: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """An optimized roster in the solution format (`middlepath-roster-solution/1`).

    `seconds` is wall-clock time, or CP-SAT deterministic time when `deterministic` is set:
    the same instance, seconds and seed then give the same roster whatever the machine and
    its load, searching on one thread (`workers` is ignored). Deterministic time is roughly
    a second of one core, so that run may take longer than `seconds` on the clock.
    `progress(location, best_met, bound, seconds)` is called as rosters improve.
    """
    if workers is not None and workers < 1:
        raise ValueError("workers must be at least 1")
    budget = _Budget(
        seconds=float(seconds),
        deterministic=deterministic,
        seed=seed,
        workers=workers or min(8, os.cpu_count() or 2),
    )
    if not isinstance(instance, Instance):
        instance = parse_instance(instance)
    fallback = baseline(instance)

    sizes = {
        loc: sum(1 for p in instance.patients if p.location == loc) for loc in instance.locations
    }
    results: list[LocationResult] = []
    for index, location in enumerate(instance.locations):
        # Proportional to size, out of what is left, so time a location did not need goes
        # to the ones after it.
        waiting = sum(sizes[loc] for loc in instance.locations[index:])
        allowance = budget.left() * sizes[location] / waiting if waiting else 0.0
        results.append(
            solve_location(
                instance,
                location,
                allowance=allowance,
                budget=budget,
                fallback=fallback,
                progress=progress,
            )
        )

    solution = _assemble(instance, results)
    solution["seconds"] = round(budget.elapsed(), 3)
    ensure_valid(instance, solution, producer="solver")
    if solution["objective"]["met"] > solution["bound"]["met"]:
        raise RosterInternalError("the solver's bound on met is below a roster it found")
    return solution


def _assemble(instance: Instance, results: list[LocationResult]) -> dict[str, Any]:
    order = {s.id: n for n, s in enumerate(s for b in instance.blocks for s in b.slots)}
    sessions: list[dict[str, Any]] = []
    unmet: list[str] = []
    for result in results:
        sessions.extend(result.sessions)
        unmet.extend(result.unmet)
    sessions.sort(key=lambda s: (order[s["slot"]], s["room"]))
    solution: dict[str, Any] = {
        "format": SOLUTION_FORMAT,
        "status": "optimal" if all(r.optimal for r in results) else "feasible",
        "sessions": sessions,
        "unmet": sorted(unmet),
    }
    solution["objective"] = metrics(instance, solution).as_dict()
    solution["bound"] = {"met": sum(r.bound_met for r in results)}
    return solution
