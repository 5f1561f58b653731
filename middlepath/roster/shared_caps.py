"""The rosters of a location's tracks, searched apart, brought within the counselors' caps.

Each track is first searched alone with its counselors' whole weekly caps (`solver.py`), so
the tracks' rosters together may give a counselor more sessions than the week allows
(1 x 150: two or three counselors over by one to five). With the caps soft, the same
patients met and no more sessions, neighbourhood search from the tracks' rosters moves seats
and leaders until nobody is over, but it succeeded exactly where changing who leads was
enough (3 of 12 tracks' rosters of 1 x 150), which the choice of leaders (`leaders.py`)
proves either way in milliseconds; from 13 others it never did, in 1-4 s each: on the days
of 7 of 9, no roster within the caps meets everyone at all, so some patients must come on
other days. So the solver asks this search only for rosters in a few more sessions (below).
Searching each track again in turn with its days free, for the fewest sessions a counselor
leads beyond what the other tracks leave them, stalled one or two over in most of those.

Where the caps bind already in the days relaxation (`caps_bind`), the location is searched
as one model from the start.

Where the leaders cannot (1 x 150: about half the runs) a roster may still meet the same
patients within the caps in a few more sessions: the whole location's search then starts
from everyone met and needs only its sessions step. When none meets the same patients, one
that meets a few fewer is still the best start the search of the whole location can have
(the baseline's meets 99 of 1 x 150's 150).
"""

from __future__ import annotations

from typing import Any

from ortools.sat.python import cp_model

from middlepath.roster.cpsat_run import Budget, Search, restart_slice, run
from middlepath.roster.days_model import DaysModel
from middlepath.roster.instance import Instance
from middlepath.roster.location_model import SOLVED, LocationModel

# A search keeping the same patients met starts again with another seed after this long
# short of the caps (when it has at least half as long again left).
RESTART_SECONDS = 1.0


def caps_bind(instance: Instance, location: str, *, limit: float, budget: Budget) -> bool:
    """Whether the counselors' caps bind the location's days relaxation: its bound on met,
    found within `limit`, below the bounds of its tracks, each alone with the whole caps.
    Their rosters searched apart then meet more than the location can, and no search brings
    them within the caps. three-sites-300's loc1 (90 against 92), searched as one model, met
    84.7 in 20 s (a mean of seven runs, more in six) against 82.9 from the tracks' rosters,
    and 84.6 against 84.0 in ten runs of the whole sample; 3 x 100's loc1 (83 against 88),
    as many, more of them with their preferred counselor (in three runs of three). Any
    bound found in time is proven; the location's is found first, and meeting everyone who
    can be met at all it needs no more. It may take half of `limit`: it is the slow one
    (three-sites-300's loc1: proven in 0.2-0.5 s, its tracks' in 0.02-0.04 s), and cut
    short, its bound is no bound, so the check says the caps do not bind and the tracks'
    rosters, searched apart, are never brought within them (loc1 with a third of the
    0.4 s a 60-s run gave the check: wrong for one seed of four, whose run then met 81
    there, against 83-87 searched as one model)."""
    left = budget.allow(limit)

    def bound(week: Instance, seconds: float) -> tuple[int, int]:
        """The week's bound on met, and how many of its patients can be met at all."""
        days = DaysModel(LocationModel(week, location))
        days.most_met()
        solver, status = run(days.model, limit=seconds, budget=budget)
        return days.met_bound(solver, status), len(days.met)

    tracks = instance.tracks_at(location)
    most, possible = bound(instance, left() / 2)
    if most >= possible:
        return False
    by_tracks = 0
    for index, track in enumerate(tracks):
        by_tracks += bound(instance.one_track(location, track), left() / (len(tracks) - index))[0]
    return most < by_tracks


def within_caps(
    instance: Instance,
    location: str,
    sessions: list[dict[str, Any]],
    unmet: list[str],
    *,
    limit: float,
    budget: Budget,
    keep_met: bool = True,
    spare_sessions: int = 0,
) -> tuple[list[dict[str, Any]], list[str]] | None:
    """A roster of `location` that keeps every counselor's cap in no more sessions than
    (`sessions`, `unmet`), a roster that may break caps but no other rule, has, or than
    `spare_sessions` more: with `keep_met` the same patients met, else as many as it finds;
    None if none is found within `limit`."""
    full = LocationModel(instance, location, soft_caps=True)
    values = full.values_of_roster(sessions, set(unmet))
    if values is None:
        return None
    full.model.add(full.session_total <= full.sessions_in(values) + spare_sessions)
    overload = sum(full.over_caps.values())
    if keep_met:
        full.model.add(full.met_total >= full.met_in(values))
        full.model.minimize(overload)
        good_enough = 0
        search = Search.NEIGHBOURHOODS
    else:
        # Within the caps first, then the most met. Local search: the tracks' rosters of
        # 1 x 150 that no search brings within the caps with everyone met gave, in 1.5 s,
        # rosters meeting 140-148 in eight of eight runs; neighbourhoods, 141-149 in three
        # and none at all in five. Started from such a roster (138-147) the search of the
        # whole location met all 150 in 10 of 15 runs, against 6 of 15 from the baseline,
        # which met 15 then (its met search now starts from its own seats step's roster:
        # from this one it often stayed where it was).
        full.model.minimize((len(full.patients) + 1) * overload - full.met_total)
        good_enough = -full.met_in(values)
        search = Search.LOCAL
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
    left = budget.allow(limit)
    restart = 0
    while True:
        # A neighbourhood search that has not come within the caps in a second seldom does
        # later, where one with another seed often does at once (three tracks' rosters of
        # 1 x 150 that failed in a whole run, up to four more sessions, 4 s: within the caps
        # in 27 of 36 runs starting again every second, against 18 of 36 in one run). Local
        # search keeps improving what it has, so it runs once; and a proof that the caps
        # cannot be kept ends the search.
        here = restart_slice(left(), RESTART_SECONDS) if keep_met else left()
        solver, status = run(
            full.model,
            limit=here,
            budget=budget,
            callback=_StopAt(good_enough),
            search=search,
            restart=restart,
        )
        restart += 1
        within = status in SOLVED and not any(solver.value(v) for v in full.over_caps.values())
        if within or status == cp_model.OPTIMAL or not keep_met or left() < 0.05:
            break
    if not within:
        return None
    return full.roster(full.snapshot(solver))


class _StopAt(cp_model.CpSolverSolutionCallback):
    """Stops the search at a roster as good as `objective`, all it is asked for:
    neighbourhood and local searches prove no bound to stop at themselves."""

    def __init__(self, objective: int) -> None:
        super().__init__()
        self.objective = objective

    def on_solution_callback(self) -> None:
        if self.objective_value <= self.objective:
            self.stop_search()
