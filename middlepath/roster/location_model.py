"""The CP-SAT model of one location's week: the hard rules of the roster format and its
criteria, as variables and constraints. `solver.py` decides how it is searched.

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
- Only the third criterion needs to know who sits with which facilitator: its step adds
  `with_pref[p, s]` (p sits in their preferred counselor's process session) and counts those
  patients into that session's size; `granted[g, k]` (redundant) says whether any of those
  who ask for g get g's sessions of kind k.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any, NamedTuple

from ortools.sat.python import cp_model

from middlepath.roster.instance import PROCESS, Block, Instance, Patient, Slot
from middlepath.roster.validate import RosterInternalError

SOLVED = (cp_model.OPTIMAL, cp_model.FEASIBLE)


class Kind(NamedTuple):
    # A tuple, not a frozen dataclass: kinds key most of the model's dictionaries, and a
    # tuple hashes in C (building a 150-patient location hashes them about 40,000 times).
    type: str
    stage: str | None


def floor_bound(value: float) -> int:
    # CP-SAT reports integral objective bounds as floats; guard against 41.9999999.
    return math.floor(value + 1e-6)


def _id(item: Any) -> str:
    return item.id


def _offers(runnable: set[tuple[str, Kind]]) -> set[tuple[str, str, str | None]]:
    """(slot, type, stage) of each session that could run, stage None where any may sit."""
    return {(slot_id, kind.type, kind.stage) for slot_id, kind in runnable}


def _chances(
    offers: set[tuple[str, str, str | None]], p: Patient, block: Block, type_name: str
) -> int:
    """In how many slots of the block p could sit in a session of that type (`_offers`)."""
    return sum(
        1
        for s in block.slots
        if (s.id, type_name, None) in offers or (s.id, type_name, p.stage) in offers
    )


class LocationModel:
    """The CP-SAT model of one location's week (see the module docstring)."""

    # Each `sit` is one patient's seat (the class model counts several at once).
    seats_are_people = True

    def __init__(self, instance: Instance, location: str, *, soft_caps: bool = False) -> None:
        self.instance = instance
        # Soft caps: a counselor may lead more than `max_sessions`, counted in `over_caps`
        # (for bringing the tracks' rosters, each searched with whole caps, within them).
        self.soft_caps = soft_caps
        self.over_caps: dict[str, cp_model.IntVar] = {}
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
        # The same leads by counselor, for their weekly caps.
        self.leads_of_counselor: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        self.size: dict[tuple[str, str, Kind], cp_model.IntVar] = {}
        self.room: dict[tuple[str, str, int], cp_model.IntVar] = {}
        self.running: dict[tuple[str, Kind], cp_model.IntVar] = {}
        self.with_pref: dict[tuple[str, str], cp_model.IntVar] = {}
        self.preferred: dict[str, cp_model.IntVar] = {}
        # Whether any patient who asks for a counselor gets them, by (counselor, kind).
        self.granted: dict[tuple[str, Kind], cp_model.IntVar] = {}
        # Patients who could be met at all (the others are fixed unmet and have no seats).
        self.possible: set[str] = set()
        self.runnable: set[tuple[str, Kind]] = set()
        # The runnable sessions as (slot, type, stage), for counting a patient's chances.
        self._offers: set[tuple[str, str, str | None]] = set()
        # The runnable kinds a patient of a stage may sit in, by (slot, stage).
        self.seat_kinds: dict[tuple[str, str], list[Kind]] = {}
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
        """In how many slots of the block p could sit in a session of that type (of the
        sessions that could run)."""
        return _chances(self._offers, p, block, type_name)

    def _find_possible(self, offered: set[tuple[str, Kind]]) -> None:
        """Which sessions could run and which patients could be met, by cheap necessary
        conditions; fixing the hopeless shrinks the model. A session needs enough patients
        who could sit in it, and a patient needs sessions: seven late-stage patients fill
        no process group, and without one none of them can be met."""
        block_of = {slot.id: block.id for block, slot in self.slots}
        runnable = offered
        while True:
            offers = _offers(runnable)
            hopeful = [p for p in self.patients if self._may_meet(p, offers)]
            # Who could sit in a session: the hopeful who may come to its block, of its
            # stage where it is a same-stage kind.
            of_stage = Counter((b, p.stage) for p in hopeful for b in p.blocks)
            anyone = Counter(b for p in hopeful for b in p.blocks)
            still = {
                (slot_id, kind)
                for slot_id, kind in runnable
                if (
                    anyone[block_of[slot_id]]
                    if kind.stage is None
                    else of_stage[block_of[slot_id], kind.stage]
                )
                >= self.instance.group_types[kind.type].min_size
            }
            if still == runnable:
                self.runnable = runnable
                self._offers = offers
                self.possible = {p.id for p in hopeful}
                stages = {p.stage for p in self.patients}
                self.seat_kinds = {
                    (slot.id, stage): [
                        kind
                        for kind in self.kinds
                        if (slot.id, kind) in runnable and kind.stage in (None, stage)
                    ]
                    for _, slot in self.slots
                    for stage in stages
                }
                return
            runnable = still

    def _may_meet(self, p: Patient, offers: set[tuple[str, str, str | None]]) -> bool:
        blocks = [self.instance.block_by_id[b] for b in p.blocks]
        if len(blocks) < p.min_days:
            return False
        longest = sorted((b.minutes for b in blocks), reverse=True)[: p.max_days]
        if sum(longest) < p.target_minutes:
            return False
        return all(
            sum(_chances(offers, p, b, type_name) for b in blocks) >= need
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
                for kind in self.seat_kinds[slot.id, p.stage]:
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
        for _, slot in self.slots:
            here: dict[str, list[tuple[Kind, cp_model.IntVar]]] = defaultdict(list)
            for (staff_id, kind), lead in self.leads_by_slot.get(slot.id, {}).items():
                here[staff_id].append((kind, lead))
            for staff_id, options in sorted(here.items()):
                opened = sum(lead for _, lead in options)
                self.leads_of_counselor[staff_id].extend(lead for _, lead in options)
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
            leads = self.leads_of_counselor.get(g.id)
            if not leads:
                continue
            if self.soft_caps:
                over = self.over_caps[g.id] = m.new_int_var(0, len(leads), "")
                m.add(over >= sum(leads) - g.max_sessions)
            else:
                m.add(sum(leads) <= g.max_sessions)  # rule 5

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
        one session per full room of people (a lower bound for the sessions step)."""
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
        """The sessions step only (at least `met` met): lower bounds on sessions that need
        rounding, which the LP cannot do and CP-SAT's search proves only slowly. The people
        of a block come to all its slots, so each of its slots needs ceil(A / biggest)
        sessions for A people; a track's patients together come to at least so many blocks;
        and a kind's patients need so many seats of it. Whoever else is met, at least `met`
        minus the possible patients of other tracks (or stages) are met here."""
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

    def process_kind(self, p: Patient) -> Kind:
        """The kind of process session p sits in."""
        return Kind(PROCESS, p.stage if self.instance.group_types[PROCESS].same_stage else None)

    def add_preferences(self) -> None:
        """The preferred step only: who sits with the counselor they asked for."""
        m = self.model
        if PROCESS not in self.instance.group_types:
            return
        pinned: dict[tuple[str, str, Kind], list[cp_model.IntVar]] = defaultdict(list)
        asking: dict[tuple[str, Kind], list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        for p in self.patients:
            g = p.prefer_facilitator
            if g is None or p.id not in self.possible:
                continue
            kind = self.process_kind(p)
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
            asking[g, kind].append((needed, preferred))
        for key, members in sorted(pinned.items()):
            m.add(self.size[key] >= sum(members))
        leads_of: dict[tuple[str, Kind], list[cp_model.IntVar]] = defaultdict(list)
        for (_, staff_id, kind), lead in self.lead.items():
            leads_of[staff_id, kind].append(lead)
        for (g, kind), patients in sorted(asking.items()):
            # Redundant: whether any of the patients who ask for g gets g's sessions of
            # their stage, which then runs as many as the least of their plans needs. One
            # decision for them all proves the bound faster (the evening track of 1 x 150:
            # 35 within a second, against 44 for a minute without it).
            granted = self.granted[g, kind] = m.new_bool_var("")
            for _, preferred in patients:
                m.add_implication(preferred, granted)
            m.add(sum(leads_of[g, kind]) >= min(needed for needed, _ in patients) * granted)

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
            self.granted,
            self.over_caps,
        ]
        return [var for group in groups for var in group.values()]

    def snapshot(self, solver: cp_model.CpSolver) -> dict[int, int]:
        return {var.index: solver.value(var) for var in self.all_vars()}

    def hint(self, values: Mapping[int, int]) -> None:
        # Straight into the model's proto: `add_hint` one variable at a time took 50 ms for
        # a location of 150 patients, 2.5 s of the 60 that 12 x 150 gets on a slow machine.
        self.model.clear_hints()
        indices = [var.index for var in self.all_vars()]
        hint = self.model.proto.solution_hint
        hint.vars.extend(indices)
        hint.values.extend(values.get(index, 0) for index in indices)

    def met_in(self, values: Mapping[int, int]) -> int:
        return sum(values.get(var.index, 0) for var in self.met.values())

    def sessions_in(self, values: Mapping[int, int]) -> int:
        return sum(values.get(var.index, 0) for var in self.lead.values())

    def values_of_roster(
        self, sessions: list[dict[str, Any]], unmet: set[str]
    ) -> dict[int, int] | None:
        """Model values of a roster (to start from the baseline), valid except perhaps for
        counselors' caps (their overload is left at 0); None if it does not fit the model,
        which would be a modelling bug, so the caller just does not use it."""
        values: dict[int, int] = {}
        capacity = {r.id: r.capacity for r in self.rooms}
        same_stage = {n: t.same_stage for n, t in self.instance.group_types.items()}
        block_of = {s.id: b.id for b, s in self.slots}
        for p in self.patients:
            if p.id not in unmet:
                if p.id not in self.possible:
                    return None
                values[self.met[p.id].index] = 1
        for session in sessions:
            kind = Kind(session["type"], session["stage"] if same_stage[session["type"]] else None)
            key = (session["slot"], session["facilitator"], kind)
            room = self.room.get(
                (session["slot"], session["facilitator"], capacity[session["room"]])
            )
            if key not in self.lead or room is None:
                return None
            values[self.lead[key].index] = 1
            values[self.size[key].index] = len(session["members"])
            values[room.index] = 1
            if (session["slot"], kind) in self.running:
                values[self.running[session["slot"], kind].index] = 1
            for member in session["members"]:
                sit = self.sit.get((member, session["slot"], kind))
                come = self.come.get((member, block_of[session["slot"]]))
                if sit is None or come is None:
                    return None
                values[sit.index] = 1
                values[come.index] = 1
        values.update(self._preference_values(sessions))
        return values

    def _preference_values(self, sessions: list[dict[str, Any]]) -> dict[int, int]:
        """Who of the roster sits with their preferred counselor (once the preferred step
        has added its variables): the model's counts alone do not say which of a slot's
        sessions of one kind a patient is in."""
        led_by: dict[str, dict[str, str]] = defaultdict(dict)
        for session in sessions:
            if session["type"] == PROCESS:
                for member in session["members"]:
                    led_by[member][session["slot"]] = session["facilitator"]
        values = {}
        for (patient_id, slot_id), var in self.with_pref.items():
            wanted = self.instance.patient_by_id[patient_id].prefer_facilitator
            values[var.index] = int(led_by[patient_id].get(slot_id) == wanted)
        granted = set()
        for patient_id, var in self.preferred.items():
            patient = self.instance.patient_by_id[patient_id]
            values[var.index] = int(patient.with_preferred(led_by[patient_id].values()))
            if values[var.index]:
                granted.add((patient.prefer_facilitator, self.process_kind(patient)))
        for key, var in self.granted.items():
            values[var.index] = int(key in granted)
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
