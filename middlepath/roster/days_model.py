"""The days relaxation of a location's model: who comes on which days, against what the
slots can seat. It proves the first bound on `met` and plans the days the seats step works
on."""

from __future__ import annotations

import math
from typing import Any

from ortools.sat.python import cp_model

from middlepath.roster.location_model import SOLVED, LocationModel, floor_bound


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
        return floor_bound((solver.best_objective_bound + self.weight - 1) / self.weight)

    def met_found(self, solver: cp_model.CpSolver) -> int:
        return sum(solver.value(var) for var in self.met.values())

    def most_met(self, solver: cp_model.CpSolver | None = None) -> None:
        """Most met alone, from the days `solver` found if any: proven in a fraction of a
        second where the fewest days in the same objective keep the bound open."""
        self.weight = 1
        self.model.maximize(sum(self.met.values()))
        self.model.clear_hints()
        if solver is not None:
            for var in [*self.met.values(), *self.come.values()]:
                self.model.add_hint(var, solver.value(var))

    def plan(self, solver: cp_model.CpSolver) -> set[tuple[str, str]]:
        return {key for key, var in self.come.items() if solver.value(var)}
