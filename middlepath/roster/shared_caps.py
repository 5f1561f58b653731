"""The rosters of a location's tracks, searched apart, brought within the counselors' caps.

Each track is first searched alone with its counselors' whole weekly caps (`solver.py`), so
the tracks' rosters together may give a counselor more sessions than the week allows (1 x
150: two or three counselors over by one to five). With the caps soft, the same patients met
and no more sessions, neighbourhood search from the tracks' rosters moves seats and leaders
until nobody is over, but it succeeded exactly where changing who leads was enough (3 of 12
tracks' rosters of 1 x 150), which the choice of leaders (`leaders.py`) proves either way in
milliseconds; from 13 others it never did, in 1-4 s each: on the days of 7 of 9, no roster
within the caps meets everyone at all, so some patients must come on other days. Nor did
choosing group types with the leaders (a psychoeducation group run as skills, say), in 5 s,
from any of 7 such rosters; nor one track's roster searched again, met and sessions fixed,
to lead its sessions with what the other's roster leaves each counselor (over in 23 of 24
tries). Searching each track again in turn with its days free, for the fewest sessions a
counselor leads beyond what the other tracks' rosters leave them, stalled one or two over in
most of those.

What does (`tracks_in_turn`) is to keep one track's roster but have it lead as few of its
sessions as it can with the counselors the other tracks share, and then search the others
again from nobody met, their days free, within what it leaves. 1 x 150's evening track (the
tighter: 38 sessions in its 40 rooms and slots) does so in well under a second; then its day
track met all 60 in its proven fewest 26 sessions from 23 of 24 pairs of tracks' rosters
when each shared counselor was also kept near a share of their cap in proportion to their
slots (15 of 24 without the shares; the day track first, none of 12). The location's most
met and fewest sessions are then proven.

Where the caps bind already in the days relaxation (`caps_bind`), the location is searched
as one model from the start.

Where neither works, a roster may still meet the same patients within the caps in a few
more sessions: the whole location's search then starts from everyone met and needs only its
sessions step. When none meets the same patients, one that meets a few fewer is still the
best start the search of the whole location can have (the baseline's meets 99 of 1 x 150's
150).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from ortools.sat.python import cp_model

from middlepath.roster.cpsat_run import Budget, Search, restart_slice, run
from middlepath.roster.days_model import DaysModel
from middlepath.roster.instance import Instance
from middlepath.roster.location_model import SOLVED, LocationModel
from middlepath.roster.location_search import (
    LocationResult,
    LocationSearch,
    keeps_rules,
    part,
    score,
)

Roster = tuple[list[dict[str, Any]], list[str]]

# A search keeping the same patients met starts again with another seed after this long
# short of the caps (when it has at least half as long again left).
RESTART_SECONDS = 1.0
# Of the time for searching the tracks again in turn, the share a track's roster may take to
# spare the counselors the tracks after it share (1 x 150's evening track: its best found in
# well under a second).
SHARE_SPARING = 0.1


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


def tracks_in_turn(
    instance: Instance,
    location: str,
    tracks: Mapping[str, LocationResult],
    *,
    limit: float,
    budget: Budget,
) -> Roster | None:
    """The location's roster within the caps from its `tracks`' rosters, each searched
    alone with the whole caps: the track with the most sessions keeps its roster's met and
    sessions but leads as few of them as it can with counselors the later tracks may need,
    and the others are searched again in turn within what the tracks before them leave
    each counselor, for as many met in as few sessions as their own rosters. None if a
    track falls short of its own, or takes longer than `limit` in all. Where each track's
    roster was proven to meet the most in the fewest sessions, the one returned is the
    location's optimum in both."""
    left = budget.allow(limit)
    # The track with the most sessions first: it needs the most leaders and has the least
    # room to change them (1 x 150's evening track first, above; the day track first, its
    # evening track met 82-87 of 90 within what the day left, in 12 of 12 pairs of rosters).
    order = sorted(tracks, key=lambda track: (-len(tracks[track].sessions), track))
    weeks = {track: instance.one_track(location, track) for track in order}
    sizes = {track: len(weeks[track].patients) for track in order}
    led: Counter[str] = Counter()
    sessions: list[dict[str, Any]] = []
    unmet: list[str] = []
    for index, track in enumerate(order):
        week = weeks[track].less_caps(led)
        own = tracks[track]
        mine, short = own.sessions, own.unmet
        if index > 0:
            search = LocationSearch(
                week,
                location,
                budget=budget,
                # Nobody met: the track's own roster may need more of a counselor than is
                # left, and is no start.
                start=part(week, location, [], [p.id for p in week.patients]),
                progress=None,
                short=False,
                known_bound=own.bound_met,
                known_sessions=len(own.sessions) if own.optimal else None,
            )
            share = sizes[track] / sum(sizes[t] for t in order[index:])
            search.most_met_fewest_sessions(left() * share)
            found = search.result()
            # Most met, then fewest sessions: who has their preferred counselor comes later.
            if (
                score(week, location, found.sessions, found.unmet)[:2]
                < score(week, location, mine, short)[:2]
            ):
                return None
            mine, short = found.sessions, found.unmet
        later = [weeks[t] for t in order[index + 1 :]]
        if later:
            mine, short = _sparing(
                week, location, mine, short, later, limit=left() * SHARE_SPARING, budget=budget
            )
        sessions += mine
        unmet += short
        led.update(session["facilitator"] for session in mine)
    if not keeps_rules(instance, location, sessions, unmet):
        return None
    return sessions, unmet


def _sparing(
    week: Instance,
    location: str,
    sessions: list[dict[str, Any]],
    unmet: list[str],
    later: Sequence[Instance],
    *,
    limit: float,
    budget: Budget,
) -> Roster:
    """One track's roster (`sessions`, `unmet`) with as many met in as few sessions,
    leading as few of them as it can with the counselors the `later` tracks share with it,
    and of those, each as near as it can to a share of their cap in proportion to their
    slots here (one left nothing for the later tracks often leaves them short: 1 x 150's
    day track after the evening's met all 60 in its fewest 26 sessions from 15 of 24 pairs
    of rosters without the shares, 23 of 24 with them). The roster as it is if no better is
    found in `limit`."""
    full = LocationModel(week, location)
    values = full.values_of_roster(sessions, set(unmet))
    if values is None:
        return sessions, unmet
    later_slots: Counter[str] = Counter()
    for other in later:
        later_slots.update({g.id: len(g.slots) for g in other.staff})
    shared, over_share = [], []
    for g in week.staff:
        here = len(g.slots)
        if (
            g.id not in full.leads_of_counselor
            or not later_slots[g.id]
            or g.max_sessions >= here + later_slots[g.id]
        ):
            continue
        leads = sum(full.leads_of_counselor[g.id])
        shared.append(leads)
        over = full.model.new_int_var(0, here, "")
        full.model.add(
            over >= leads - math.ceil(g.max_sessions * here / (here + later_slots[g.id]))
        )
        over_share.append(over)
    if not shared:
        return sessions, unmet
    full.model.add(full.met_total >= full.met_in(values))
    full.model.add(full.session_total <= full.sessions_in(values))
    full.model.minimize((len(sessions) + 1) * sum(shared) + sum(over_share))
    full.hint(values)
    solver, status = run(full.model, limit=limit, budget=budget)
    if status not in SOLVED:
        return sessions, unmet
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
