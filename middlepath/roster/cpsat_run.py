"""One CP-SAT run as the roster solver makes it: the time budget the runs share, the kind of
search a run does, and the callback that reports each better roster."""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from middlepath.roster.location_model import floor_bound
from middlepath.roster.validate import RosterInternalError

Progress = Callable[[str, int, int, float], None]

# Kept back from the wall-clock budget to write the roster out and validate it.
RESERVE_SECONDS = 0.3
# A deterministic run also has a wall-clock limit, as a safety net: CP-SAT's interleaved
# search can fail to reach a deterministic limit (a neighbourhood search of a 32-patient week,
# seed 250, given 1.1395039764 ran for ever, where 1.1395 ended it in 1.2 s). Generous, so
# that a slow machine (a deterministic second has taken up to 6 s) still stops by the
# deterministic limit, and the roster stays the same whatever the machine.
DETERMINISTIC_WALL_FACTOR = 10.0
DETERMINISTIC_WALL_SECONDS = 10.0


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


@dataclass
class Budget:
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

    def allow(self, allowance: float) -> Callable[[], float]:
        """A share of the budget from now on: the returned function gives what is left of
        `allowance` as time is spent."""
        left_now = self.left()
        return lambda: max(0.0, allowance - (left_now - self.left()))

    @property
    def one_thread(self) -> bool:
        return self.deterministic or self.workers == 1


class Watcher(cp_model.CpSolverSolutionCallback):
    """Watches each better roster of a `met` step: passes it to the caller's progress
    function, and stops the search once it meets as many as the proven bound (a
    neighbourhood search proves nothing, so it would not stop by itself)."""

    def __init__(
        self,
        location: str,
        progress: Progress | None,
        budget: Budget,
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
            bound = min(bound, floor_bound(self.best_objective_bound))
        met = round(self.objective_value)
        if self.progress is not None:
            self.progress(self.location, met, bound, self.budget.elapsed())
        if met >= bound:
            self.stop_search()


def restart_slice(left: float, every: float) -> float:
    """How long one run of a search that starts again with another seed every `every`
    seconds may take of the `left` it has: all of it when less than half as long again
    would be left after the run."""
    return left if left < 1.5 * every else every


def run(
    model: cp_model.CpModel,
    *,
    limit: float,
    budget: Budget,
    callback: cp_model.CpSolverSolutionCallback | None = None,
    search: Search = Search.FULL,
    linearization: int = 2,
    lp_symmetry: bool = False,
    restart: int = 0,
    may_be_infeasible: bool = False,
) -> tuple[cp_model.CpSolver, Any]:
    """One CP-SAT run within `limit`; `restart` counts the runs of one search before this
    one, each with a seed of its own. Only a model that `may_be_infeasible` may be."""
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
    params.random_seed = budget.seed + restart
    params.num_workers = 1 if budget.deterministic else budget.workers
    # Presolve turns the met/seat links into enforced constraints, and only linearization
    # level 2 puts those into the LP; without it CP-SAT proves almost no bound on `met`.
    params.linearization_level = linearization
    if budget.workers > 1 or budget.deterministic:
        # The default LP worker keeps level 1 whatever is set above; this one uses level 2,
        # and with `lp_symmetry` also the model's symmetries in its LP.
        params.subsolvers.append("max_lp_sym" if lp_symmetry else "max_lp")
    if budget.deterministic:
        # One thread, so nothing depends on how threads are scheduled; interleaved search
        # still takes turns between the LP search and the neighbourhood searches on it. A
        # deterministic time limit stops at the same point whatever the machine load.
        params.interleave_search = True
        params.max_deterministic_time = max(limit, 0.001)
        params.max_time_in_seconds = (
            DETERMINISTIC_WALL_FACTOR * max(limit, 0.001) + DETERMINISTIC_WALL_SECONDS
        )
    else:
        params.max_time_in_seconds = max(limit, 0.001)
    status = solver.solve(model, callback)
    budget.spent += solver.deterministic_time
    infeasible = status == cp_model.INFEASIBLE
    if status == cp_model.MODEL_INVALID or (infeasible and not may_be_infeasible):
        # Everyone unmet is always a solution of the roster's models, so a modelling bug.
        raise RosterInternalError(f"CP-SAT says {solver.status_name(status)}")
    return solver, status
