"""The weekly roster optimizer: one CP-SAT model per location (`location_model.py`), solved
lexicographically.

Staff and rooms never cross locations, so each location is its own problem: its steps, in
order, share the location's time:

1. *days*: a small relaxation (`days_model.py`: who comes on which days, against the
   seats) gives a first proven bound on `met` and a plan of days;
2. *seats*: on those days, a model (`class_model.py`) that counts patients by class (same
   stage, needs and days) instead of seating them one by one finds a good roster fast:
   without the patients' symmetry it fills same-stage groups where the full model spreads
   a stage thin;
3. *bound*: the full model, started from it (the days are free again), maximizes `met`
   with the LP search running, whose root relaxation proves a tighter bound within a
   second or so, and whose dives and neighbourhoods find the last few patients in the time
   left (it runs on as the met step);
4. *met*: when time is short, local search only from the best roster so far, on every
   thread, with what time is left: moving a few seats at a time, thousands of times a
   second, it finds the last patients faster than re-solving neighbourhoods does. With
   little time on one thread, step 2 searches neighbourhoods without the LP and step 3
   gets less time; a deterministic run searches neighbourhoods here, not locally;
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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from middlepath.roster.baseline import baseline
from middlepath.roster.class_model import ClassModel
from middlepath.roster.days_model import DaysModel
from middlepath.roster.instance import SOLUTION_FORMAT, Instance, parse_instance
from middlepath.roster.location_model import SOLVED, LocationModel, floor_bound
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

    @property
    def one_thread(self) -> bool:
        return self.deterministic or self.workers == 1


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
            bound = min(bound, floor_bound(self.best_objective_bound))
        met = round(self.objective_value)
        if self.progress is not None:
            self.progress(self.location, met, bound, self.budget.elapsed())
        if met >= bound:
            self.stop_search()


def _run(
    model: cp_model.CpModel,
    *,
    limit: float,
    budget: _Budget,
    callback: cp_model.CpSolverSolutionCallback | None = None,
    search: Search = Search.FULL,
    linearization: int = 2,
    lp_symmetry: bool = False,
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
        # The default LP worker keeps level 1 whatever is set above; this one uses level 2,
        # and with `lp_symmetry` also the model's symmetries in its LP.
        params.subsolvers.append("max_lp_sym" if lp_symmetry else "max_lp")
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
    # Little time on one thread (a deterministic run, or one worker): the LP search would
    # share it with everything else.
    lean = short and budget.one_thread
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
        # is a poor one, which step 3 makes good). A short run on one thread searches
        # neighbourhoods without the LP (12 x 150 in 60: deterministic, 1492 met, 1476 with
        # the full search; one worker on the clock, 1473, 1393 with the full search).
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
    # runs). A short run on one thread gives this step only the bound step's share and
    # improves the roster after it, locally or (deterministic) by neighbourhoods; the LP
    # search helps there too (deterministic, 1 x 150 in 3: 141 met, 138 without it; 6 x
    # 150 in 30: 743, 741 without it).
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
            bound = min(bound, floor_bound(solver.best_objective_bound))
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
    # Its LP search uses the model's symmetries (interchangeable patients and sessions):
    # 1 x 80 in 60 s proved this criterion in four of seven runs (in 44-58 s), against none
    # of three without them.
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
            lp_symmetry=True,
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
