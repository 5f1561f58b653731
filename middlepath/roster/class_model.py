"""The class model: a location's sessions on a plan of days, with patients counted by class
instead of seated one by one, and the sharing of a class's seats out to its patients."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from ortools.sat.python import cp_model

from middlepath.roster.instance import Block, Instance, Patient
from middlepath.roster.location_model import SOLVED, Kind, LocationModel


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
                    for kind in self.seat_kinds[slot.id, patients[0].stage]:
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
