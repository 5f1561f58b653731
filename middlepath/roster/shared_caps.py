"""The rosters of a location's tracks, searched apart, brought within the counselors' caps.

Each track is first searched alone with its counselors' whole weekly caps (`solver.py`), so
the tracks' rosters together may give a counselor more sessions than the week allows
(1 x 150: two or three counselors over by one to five). With the caps soft, the same
patients met and no more sessions, neighbourhood search from the tracks' rosters moves
seats and leaders until nobody is over: from three of five tracks' rosters of 1 x 150 in
0.2-0.7 s, where the whole location searched for its fewest sessions took 17-20 s. What
the tracks proved about met and sessions then holds for the location.
"""

from __future__ import annotations

from typing import Any

from ortools.sat.python import cp_model

from middlepath.roster.cpsat_run import Budget, Search, run
from middlepath.roster.instance import Instance
from middlepath.roster.location_model import SOLVED, LocationModel


def within_caps(
    instance: Instance,
    location: str,
    sessions: list[dict[str, Any]],
    unmet: list[str],
    *,
    limit: float,
    budget: Budget,
) -> tuple[list[dict[str, Any]], list[str]] | None:
    """A roster of `location` that keeps every counselor's cap, with the same patients met
    in no more sessions than (`sessions`, `unmet`), a roster that may break caps but no
    other rule; None if none is found within `limit`."""
    full = LocationModel(instance, location, soft_caps=True)
    values = full.values_of_roster(sessions, set(unmet))
    if values is None:
        return None
    full.model.add(full.met_total >= full.met_in(values))
    full.model.add(full.session_total <= full.sessions_in(values))
    full.model.minimize(sum(full.over_caps.values()))
    # The hint leaves every overload at 0, so the search starts "within the caps" and
    # repairs the seats and leaders that break that (from one tracks' roster of 1 x 150,
    # five seeds: all within the caps in 0.2-0.6 s; local search instead, 0.4-2.1 s, and
    # started from the roster's true overload, one of five in 2 s). From two other rosters
    # no search came within the caps in 15 s: their patients' days cannot all stay. The
    # preferred counselors are left out: with them in the objective, none of five seeds
    # came within the caps in 2 s (local search). Letting the sessions rise found rosters
    # within the caps in 66 sessions, from which the whole location's sessions step then
    # found fewer no faster than from its own rosters.
    full.hint(values)
    solver, status = run(
        full.model,
        limit=limit,
        budget=budget,
        callback=_StopAt(0),
        search=Search.NEIGHBOURHOODS,
    )
    if status not in SOLVED or any(solver.value(var) for var in full.over_caps.values()):
        return None
    return full.roster(full.snapshot(solver))


class _StopAt(cp_model.CpSolverSolutionCallback):
    """Stops the search at a roster as good as `objective`, a proven bound: neighbourhood
    searches prove none themselves."""

    def __init__(self, objective: int) -> None:
        super().__init__()
        self.objective = objective

    def on_solution_callback(self) -> None:
        if self.objective_value <= self.objective:
            self.stop_search()
