"""The lexicographic search of one location's week (or of one track's week of it): one
CP-SAT model (`location_model.py`) and the steps that share its time, in order:

1. *days*: a small relaxation (`days_model.py`: who comes on which days, against the
   seats) gives a first proven bound on `met` and a plan of days;
2. *seats*: on those days, a model (`class_model.py`) that counts patients by class (same
   stage, needs and days) instead of seating them one by one finds a good roster fast:
   without the patients' symmetry it fills same-stage groups where the full model spreads
   a stage thin (neither is needed when the start already meets the bound); given under a
   second on the clock, it searches neighbourhoods without the LP;
3. *bound*: the full model, started from it (the days are free again), maximizes `met`
   with the LP search running, whose root relaxation proves a tighter bound within a
   second or so, and whose dives and neighbourhoods find the last few patients in the time
   left (it runs on as the met step, starting again with another seed every few seconds
   while short of the bound);
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

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ortools.sat.python import cp_model

from middlepath.roster.class_model import ClassModel
from middlepath.roster.cpsat_run import Budget, Progress, Search, Watcher, restart_slice, run
from middlepath.roster.days_model import DaysModel
from middlepath.roster.instance import SOLUTION_FORMAT, Instance
from middlepath.roster.leaders import preferred_leaders, time_for_leaders
from middlepath.roster.location_model import SOLVED, LocationModel, floor_bound
from middlepath.roster.validate import metrics, validate

# Share of the remaining time each step may use; the last step gets the rest. Met matters
# most, and a step that proves its optimum early hands its time on.
SHARE = {"days": 0.1, "seats": 0.3, "bound": 0.3, "met": 0.8, "sessions": 0.6}
# Below this allowance per location, the steps after the met search improve the roster by
# local search on every thread, as the LP search gets nowhere in their fraction of a
# second (measured on the benchmark: 12 x 150 patients in 60 s gain, 3 x 100 lose).
SHORT_ALLOWANCE = 10.0
# The bound step's search starts again with another seed after this many seconds short of
# the bound (when it has at least half as long again left).
RESTART_SECONDS = 3.0
# On the clock, the seats step searches neighbourhoods instead of the full search when given
# less than this many seconds (`_seats`).
SEATS_LP_SECONDS = 1.0


@dataclass
class LocationResult:
    location: str
    sessions: list[dict[str, Any]]
    unmet: list[str]
    bound_met: int
    optimal: bool


class LocationSearch:
    """Steps 1-5 (`most_met_fewest_sessions`) and step 6 (`most_preferred`) on `location` of
    `instance`, each within the time it is given. It starts from `start`, a valid roster (of
    the whole instance or of this location), and never returns a worse one; `known_bound`
    is a bound on met proven elsewhere, and `known_sessions` the fewest sessions proven
    elsewhere for meeting that many. `short` chooses the steps for little time."""

    def __init__(
        self,
        instance: Instance,
        location: str,
        *,
        budget: Budget,
        start: Mapping[str, Any],
        progress: Progress | None,
        short: bool,
        known_bound: int | None = None,
        known_sessions: int | None = None,
    ) -> None:
        self.instance = instance
        self.location = location
        self.budget = budget
        self.progress = progress
        self.short = short
        self.full = LocationModel(instance, location)
        self.start_sessions, self.start_unmet = own_roster(instance, location, start)
        # A start that does not fit the model (a modelling bug) is no start: nobody met.
        self.best = self.full.values_of_roster(self.start_sessions, set(self.start_unmet)) or {}
        # The seats step's roster (step 2), where the met search starts from.
        self._seats_values: dict[int, int] | None = None
        self.bound = len(self.full.possible)
        if known_bound is not None:
            self.bound = min(self.bound, known_bound)
        # A roster meeting `known_bound` needs at least `known_sessions`.
        self._fewest_known = (
            (known_bound, known_sessions)
            if known_bound is not None and known_sessions is not None
            else None
        )
        # How many of the format's criteria have been searched (2 after steps 1-5, 3 after
        # step 6), and whether the best roster is proven best in them.
        self.searched = 0
        self.proven = False
        # What is left of the time the step running now was given.
        self._left: Callable[[], float] = lambda: 0.0

    def _limit(self, step: str | None) -> float:
        here = self._left()
        return here * SHARE[step] if step else here

    def _watch(self, bound: int, own_bound: bool) -> Watcher:
        return Watcher(self.location, self.progress, self.budget, bound, own_bound)

    @property
    def _improve(self) -> Search:
        """How the steps after the bound improve the roster they are given."""
        return Search.LOCAL if self.short else Search.FULL

    def most_met_fewest_sessions(self, allowance: float, *, then_preferred: bool = False) -> None:
        """Steps 1-5 within `allowance` (seconds or deterministic). With `then_preferred`,
        step 6 follows in the same allowance, so the sessions step leaves it a share;
        otherwise the sessions step may take all that is left (a track's search: 1 x 150 in
        30 s, its day track proved its fewest sessions in 8 of 8 runs, against 4 of 8 with
        a share kept back for nothing)."""
        full, budget = self.full, self.budget
        if not full.patients:
            self.proven = True
            return
        self._left = self.budget.allow(allowance)
        # Little time on one thread (a deterministic run, or one worker): the LP search
        # would share it with everything else.
        lean = self.short and budget.one_thread

        # 1. days and 2. seats, not needed when the roster it starts from already meets the
        # bound (a roster brought within the counselors' caps, `shared_caps.py`).
        if full.met_in(self.best) < self.bound:
            plan = self._days()
            if plan is not None and full.met_in(self.best) < self.bound:
                self._seats(plan, lean)

        # 3. bound: the full model from the best roster so far, LP search included, with all
        # of the met step's time. With steps 2 and 3 both searching neighbourhoods instead,
        # 12 x 150 in 60 s met 1506-1524 over eight runs, against 1512-1530 (more in each
        # pair of runs). A short run on one thread gives this step only the bound step's
        # share and improves the roster after it, locally or (deterministic) by
        # neighbourhoods; the LP search helps there too (deterministic, 1 x 150 in 3: 141
        # met, 138 without it; 6 x 150 in 30: 743, 741 without it).
        step = "bound" if lean else "met"
        met = full.met_in(self.best)
        optimal = met >= self.bound
        if not optimal:
            full.model.maximize(full.met_total)
            left = budget.allow(self._limit(step))
            restart = 0
            # After a run with no roster at all (too big a model for the seconds), the next
            # one takes all the time left.
            patient = False
            while not optimal and left() > 0.05:
                # A run that has not met the bound in a few seconds seldom does later, where
                # a run with another seed, from the best roster so far, often does at once
                # (1 x 150, the location whole, 13 s from the seats' roster: 150 met in 15
                # of 23 runs restarting every 3 s, against 11 of 23 in one run).
                here = left() if patient else restart_slice(left(), RESTART_SECONDS)
                # The first run starts from the seats step's roster even where the best so
                # far meets more (a roster brought within the caps, `shared_caps.py`), from
                # which the search often stays where it is (1 x 150 from such rosters,
                # meeting 137-147: all 150 met in 9 of 12 runs, against 4 of 12).
                first_run = restart == 0 and self._seats_values is not None
                full.hint(self._seats_values if first_run else self.best)
                solver, status = run(
                    full.model,
                    limit=here,
                    budget=budget,
                    callback=self._watch(self.bound, True),
                    restart=restart,
                )
                restart += 1
                if status in SOLVED and math.isfinite(solver.best_objective_bound):
                    self.bound = min(self.bound, floor_bound(solver.best_objective_bound))
                met = self._keep_if_meets(met, solver, status)
                optimal = status == cp_model.OPTIMAL or met >= self.bound
                patient = status not in SOLVED

        # 4. met: local search only, from the best roster so far.
        if self.short and not optimal:
            full.hint(self.best)
            solver, status = run(
                full.model,
                limit=self._limit("met"),
                budget=budget,
                callback=self._watch(self.bound, False),
                search=self._improve,
            )
            met = self._keep_if_meets(met, solver, status)
            optimal = met >= self.bound
        if optimal:
            self.bound = met

        # 5. sessions: as many met, as few sessions as possible.
        full.model.add(full.met_total >= met)
        if self._fewest_known is not None and met >= self._fewest_known[0]:
            # Proven elsewhere (the tracks searched apart): the search ends on reaching it.
            full.model.add(full.session_total >= self._fewest_known[1])
        if not self.short:
            # They prove the fewest sessions in seconds, but slow the neighbourhood search of
            # a short step down (measured: 12 x 150 in 60 s ends with about 5 more sessions).
            full.add_session_cuts(met)
        full.model.minimize(full.session_total)
        full.hint(self.best)
        solver, status = run(
            full.model,
            limit=self._limit("sessions" if then_preferred else None),
            budget=budget,
            search=self._improve,
        )
        # Without time to start from the hint, CP-SAT may return a worse first roster.
        if status in SOLVED and round(solver.objective_value) <= full.sessions_in(self.best):
            self.best = full.snapshot(solver)
        self.searched = 2
        self.proven = optimal and status == cp_model.OPTIMAL

    def _days(self) -> set[tuple[str, str]] | None:
        """Step 1: a proven bound on met, and a plan of days for the seats step (None if
        none was found in time). With the fewest days in the objective the bound often
        stays above the most met; then most met alone proves it in a tenth of a second
        (12 x 150: 1544 instead of 1548-1566)."""
        days = DaysModel(self.full)
        solver, status = run(days.model, limit=self._limit("days"), budget=self.budget)
        self.bound = min(self.bound, days.met_bound(solver, status))
        if status not in SOLVED:
            return None
        plan = days.plan(solver)
        if days.met_found(solver) < self.bound:
            days.most_met(solver)
            solver, status = run(days.model, limit=self._limit("days"), budget=self.budget)
            self.bound = min(self.bound, days.met_bound(solver, status))
        return plan

    def _keep_if_meets(self, met: int, solver: cp_model.CpSolver, status: Any) -> int:
        """A met search's roster becomes the best if it meets no fewer than `met`, the best
        so far; how many the best meets now."""
        if status in SOLVED and round(solver.objective_value) >= met:
            self.best = self.full.snapshot(solver)
            return round(solver.objective_value)
        return met

    def _seats(self, plan: Any, lean: bool) -> None:
        full = self.full
        classes = ClassModel(self.instance, self.location, plan)
        classes.model.maximize(classes.met_total)
        limit = self._limit("seats")
        # The full search, LP included, given a second or more: then it finds more than
        # neighbourhoods do, given step 3's full search after it (now and then its roster
        # is a poor one, which step 3 makes good; 12 x 150 in 60 s, about 1.2 s a
        # location: 1518.4 met over five runs, against 1508.0). With less it often returns
        # nobody met, or no roster at all, and neighbourhoods without the LP find far more
        # (150-patient locations alone, given 2.6 s: 3570 met over thirty runs, against
        # 3336; given 3.8 s, 2874 over twenty-four, against 2694; 12 x 150 in 30 s, better
        # in 8 of 11 interleaved pairs, `bench/roster.md`). So does a short run on one
        # thread (12 x 150 in 60: deterministic, 1492 met, 1476 with the full search; one
        # worker on the clock, 1473, 1393 with the full search).
        lean = lean or (not self.budget.deterministic and limit < SEATS_LP_SECONDS)
        solver, status = run(
            classes.model,
            limit=limit,
            budget=self.budget,
            callback=self._watch(self.bound, False),
            search=Search.NEIGHBOURHOODS if lean else Search.FULL,
            linearization=0 if lean else 2,
        )
        if status not in SOLVED:
            return
        sessions, unmet = classes.roster(classes.snapshot(solver))
        if not keeps_rules(self.instance, self.location, sessions, unmet):
            return
        values = full.values_of_roster(sessions, set(unmet))
        if values is None:
            return
        self._seats_values = values
        if full.met_in(values) > full.met_in(self.best):
            self.best = values

    def only_preferred_left(self, *, proven: bool) -> None:
        """Steps 1-5 were done elsewhere: step 6 keeps the met and the sessions of the roster
        it starts from, `proven` if they are the most and the fewest."""
        full = self.full
        met = len(full.patients) - len(self.start_unmet)
        if proven:
            self.bound = met
        self.searched = 2
        self.proven = proven
        full.model.add(full.met_total >= met)

    def most_preferred(self, allowance: float) -> None:
        """Step 6 within `allowance`: as many met and as few sessions, most patients with
        their preferred counselor. Its LP search uses the model's symmetries
        (interchangeable patients and sessions): 1 x 80 in 60 s proved this criterion in
        four of seven runs (in 44-58 s), against none of three without them."""
        full = self.full
        self.searched = 3
        if not full.patients:
            return
        self._left = self.budget.allow(allowance)
        full.add_preferences()
        if not full.preferred:
            return
        # Values taken before the preference variables existed do not say who sits with
        # their preferred counselor; taken again from the roster they stand for, they do (from
        # the start roster, if better: the model's values do not say who sits in which of a
        # slot's sessions of one kind).
        sessions, unmet, _, _ = self._best_roster()
        # Its search starts from the leaders chosen again for the preferred counselors: a
        # short step 6 (twelve locations in 60 s) ends with more patients with theirs than
        # from the leaders steps 1-5 left (3 runs of 12 x 150: 121-131, against 107-118).
        sessions = with_preferred_leaders(
            self.instance,
            self.location,
            sessions,
            unmet,
            limit=time_for_leaders(self._left()),
            budget=self.budget,
        )
        self.best = full.values_of_roster(sessions, set(unmet)) or self.best
        full.model.add(full.session_total <= full.sessions_in(self.best))
        full.model.maximize(sum(full.preferred.values()))
        full.hint(self.best)
        solver, status = run(
            full.model,
            limit=self._limit(None),
            budget=self.budget,
            search=self._improve,
            lp_symmetry=True,
        )
        if status in SOLVED:
            self.best = full.snapshot(solver)
        self.proven = self.proven and status == cp_model.OPTIMAL

    def search_all(self, allowance: float) -> LocationResult:
        """Steps 1-5, then step 6 with the time left of `allowance`; the result."""
        left = self.budget.allow(allowance)
        self.most_met_fewest_sessions(allowance, then_preferred=True)
        self.most_preferred(left())
        return self.result()

    def _best_roster(
        self,
    ) -> tuple[list[dict[str, Any]], list[str], tuple[int, int, int], tuple[int, int, int]]:
        """The best roster found, or the one the search started from if that is better; and
        the scores of both (found, then started from)."""
        sessions, unmet = self.full.roster(self.best)
        found = score(self.instance, self.location, sessions, unmet)
        begun = score(self.instance, self.location, self.start_sessions, self.start_unmet)
        if begun > found:
            sessions, unmet = self.start_sessions, self.start_unmet
        return sessions, unmet, found, begun

    def result(self) -> LocationResult:
        """The best roster found, or the one it started from if that is better."""
        if not self.full.patients:
            return LocationResult(self.location, [], [], 0, True)
        location = self.location
        sessions, unmet, found, begun = self._best_roster()
        proven = self.proven
        if begun > found:
            # Better in a criterion not searched yet (the preferred counselors after steps
            # 1-5), it keeps what is proven; better in one searched, the search got nowhere
            # (too little time), so nothing is proven.
            proven = proven and begun[: self.searched] == found[: self.searched]
        if self.progress is not None:
            met = len(self.full.patients) - len(unmet)
            self.progress(location, met, self.bound, self.budget.elapsed())
        return LocationResult(location, sessions, unmet, self.bound, proven)


def own_roster(
    instance: Instance, location: str, solution: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The sessions and unmet patients of `solution` that belong to `location` of
    `instance` (all of the location's week, or one track's)."""
    slots = {s.id for b in instance.blocks if b.location == location for s in b.slots}
    mine = {p.id for p in instance.patients if p.location == location}
    sessions = [s for s in solution["sessions"] if s["slot"] in slots]
    return sessions, sorted(mine & set(solution["unmet"]))


def part(
    instance: Instance, location: str, sessions: list[dict[str, Any]], unmet: list[str]
) -> dict[str, Any]:
    """One location's roster as a whole solution: everyone elsewhere unmet."""
    elsewhere = [p.id for p in instance.patients if p.location != location]
    return {"format": SOLUTION_FORMAT, "sessions": sessions, "unmet": unmet + elsewhere}


def keeps_rules(
    instance: Instance, location: str, sessions: list[dict[str, Any]], unmet: list[str]
) -> bool:
    """Whether one location's roster breaks no hard rule."""
    return validate(instance, part(instance, location, sessions, unmet)) == []


def with_preferred_leaders(
    instance: Instance,
    location: str,
    sessions: list[dict[str, Any]],
    unmet: list[str],
    *,
    limit: float,
    budget: Budget,
) -> list[dict[str, Any]]:
    """One location's roster, keeping the rules, with its leaders chosen again for the
    preferred counselors (`leaders.py`) if more patients then have theirs; else as it is."""
    chosen = preferred_leaders(instance, location, sessions, limit=limit, budget=budget)
    if chosen is None or not keeps_rules(instance, location, chosen, unmet):
        return sessions
    if score(instance, location, chosen, unmet) <= score(instance, location, sessions, unmet):
        return sessions
    return chosen


def score(
    instance: Instance, location: str, sessions: list[dict[str, Any]], unmet: list[str]
) -> tuple[int, int, int]:
    """The format's order as a tuple to compare (bigger is better), for one location."""
    measured = metrics(instance, part(instance, location, sessions, unmet))
    return (measured.met, -measured.sessions, measured.preferred_facilitator)
