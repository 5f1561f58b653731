"""The weekly roster optimizer: pure Python and CP-SAT, from an instance to a solution.

Staff and rooms never cross locations, so each location is its own problem, searched
lexicographically (`location_search.py`: most met, then fewest sessions, then most with
their preferred counselor) in a share of the time proportional to its patients.

Within a location, tracks share only the counselors' weekly caps (`max_sessions`): their
slots, and so their rooms, are their own. With time for it, each track is first searched
alone with its counselors' whole caps, a relaxation of the location that is much faster to
prove (1 x 80: 11-18 s, where the location as one model proved its third criterion in 44-58
s, if at all). Its rosters together are the location's optimum whenever they keep the caps.
When they do not, what the tracks proved still holds: their bound on met, and the location's
most met and fewest sessions whenever choosing who leads keeps the caps (`leaders.py`), or
searching the tracks again in turn does, each within what the ones before it leave each
counselor (`shared_caps.tracks_in_turn`), so only the third criterion is left to search.
Where neither does, the same patients are seated within the caps in a few more sessions if
they can be (`shared_caps.py`; as many would need other days, which such a search did not
find), and then the whole location's search needs only its sessions step, which ends on
reaching the tracks' fewest if they proved it. Where they cannot be, the whole location is
searched from a roster within the caps that meets a few fewer. Either way the third
criterion is searched on each track in turn, within the caps the other leaves it: a track's
model is much smaller than the location's. Where the caps bind already in the location's
days relaxation (it meets fewer than its tracks alone, `shared_caps.caps_bind`), the tracks'
rosters would break them: the location is searched as one model from the start.

Last, whatever the path, who leads each of the location's sessions is chosen again for the
preferred counselors, the sessions and their members fixed (`leaders.py`).
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from middlepath.roster.baseline import baseline
from middlepath.roster.cpsat_run import Budget, Progress
from middlepath.roster.instance import SOLUTION_FORMAT, Instance, parse_instance
from middlepath.roster.leaders import preferred_leaders, time_for_leaders
from middlepath.roster.location_search import (
    SHORT_ALLOWANCE,
    LocationResult,
    LocationSearch,
    keeps_rules,
    own_roster,
    part,
    score,
    with_preferred_leaders,
)
from middlepath.roster.shared_caps import caps_bind, tracks_in_turn, within_caps
from middlepath.roster.validate import RosterInternalError, ensure_valid, metrics

# Share of a location's time for checking whether the counselors' caps bind its tracks
# (`shared_caps.caps_bind`); its runs end when proven (the location's days relaxation:
# 0.1-0.5 s for 100-150 patients, its tracks' much less), so it seldom takes it all.
SHARE_CAPS_CHECK = 0.1
# Share of a location's remaining time for searching its tracks apart, first for the most
# met and fewest sessions, then for the preferred counselors; the rest is for the location
# as one model when the tracks' rosters together break a counselor's cap.
SHARE_TRACKS = 0.7
# When no choice of leaders keeps the caps but the tracks proved their rosters, the share of
# the location's remaining time for searching the tracks again in turn, each within what the
# ones before it leave (`shared_caps.tracks_in_turn`); it ends when the last track reaches
# its own roster's met and sessions (1 x 150 in 30 s: 12.8-19.2 s after the start in five
# runs). Whole runs of 1 x 150 in 30 s, twenty-two interleaved pairs: all 150 met in 64
# sessions in 21 against 14 (a mean of 150.0 met against 149.6), 42.4 with their preferred
# counselor against 39.3.
SHARE_TRACKS_IN_TURN = 0.6
# When no choice of leaders keeps the caps (1 x 150 on a 2-core machine: about half the
# runs), nor do the tracks in turn, in up to this many more sessions, with the same patients
# met: then the whole location's search needs only its sessions step, which ends on reaching
# the tracks' fewest if they proved it. (A search for as many sessions came within the caps
# from none of 13 such rosters, in 1-4 s each: on their days the caps cannot be kept.) Six
# tracks' rosters over the caps, given 4 s: within them in 8 of 12 runs (65-66 sessions), 6
# of them within 2.3 s. In twelve runs of 22 s from such rosters, it met everyone in 5 of 5
# and proved the fewest sessions by 2.9-5 s in 3, where the search of the whole location
# from the start ended short of everyone in 3 of 12 and proved the fewest by 10-11 s in 2
# (better in 9 of 12 pairs). Whole runs of 1 x 150 in 30 s, eight interleaved pairs: better
# in eight; all met in 8 (6 before), 64 sessions in 7 (4), 44.0 with their preferred
# counselor (37.3). From four tracks' rosters the leaders cannot fix, given 8 s: within the
# caps from two in every run (three seeds), after 2.5-4.6 s, more than a share of 0.15
# leaves it (2.3-3.4 s); with 0.35, twelve interleaved pairs of whole runs met all 150 in 10
# against 8 (a mean of 149.3 against 149.0).
SPARE_SESSIONS = 4
SHARE_WITHIN_CAPS_MORE_SESSIONS = 0.35
# When not even in a few more, with fewer patients met (1 x 150: 1.5 s of about 20; local
# search first comes within the caps after 0.4-1 s).
SHARE_WITHIN_CAPS_MEETING_FEWER = 0.08


def solve_location(
    instance: Instance,
    location: str,
    *,
    allowance: float,
    budget: Budget,
    fallback: Mapping[str, Any],
    progress: Progress | None,
) -> LocationResult:
    """Lexicographic search of one location within `allowance` (seconds or deterministic),
    never worse than `fallback`, a valid roster."""

    def whole(start: Mapping[str, Any], seconds: float, **known: int | None) -> LocationSearch:
        """A search of the location as one model."""
        return LocationSearch(
            instance,
            location,
            budget=budget,
            start=start,
            progress=progress,
            short=seconds < SHORT_ALLOWANCE,
            **known,
        )

    tracks = instance.tracks_at(location)
    if allowance < SHORT_ALLOWANCE or len(tracks) < 2:
        return whole(fallback, allowance).search_all(allowance)
    rest = budget.allow(allowance)
    if caps_bind(instance, location, limit=rest() * SHARE_CAPS_CHECK, budget=budget):
        # The tracks' rosters searched apart would need more of a counselor than the week
        # has: the location as one model, from the start.
        return whole(fallback, rest()).search_all(rest())

    def within_the_caps(
        over: LocationResult, *, keep_met: bool, share: float, spare_sessions: int = 0
    ) -> tuple[list[dict[str, Any]], list[str]] | None:
        """`over`, a roster that breaks counselors' caps, brought within them
        (`shared_caps.within_caps`) in `share` of the time left; None if not."""
        roster = within_caps(
            instance,
            location,
            over.sessions,
            over.unmet,
            limit=rest() * share,
            budget=budget,
            keep_met=keep_met,
            spare_sessions=spare_sessions,
        )
        if roster is None or not keeps_rules(instance, location, *roster):
            return None
        return roster

    def leaders_within_caps(
        over: LocationResult,
    ) -> tuple[list[dict[str, Any]], list[str]] | None:
        """`over`, a roster that breaks counselors' caps, brought within them by changing
        only who leads (`leaders.py`), if that is enough: proven either way in milliseconds,
        where the search that may also move seats took 0.3-0.7 s to find it, and otherwise
        never brought the tracks' rosters of 1 x 150 within the caps (0 of 13, 1-4 s each)."""
        led = preferred_leaders(
            instance, location, over.sessions, limit=time_for_leaders(rest()), budget=budget
        )
        if led is None or not keeps_rules(instance, location, led, over.unmet):
            return None
        return led, over.unmet

    def most_preferred_from(
        sessions: list[dict[str, Any]],
        unmet: list[str],
        *,
        proven: bool,
        bound: int,
        most: int | None = None,
    ) -> LocationResult:
        """Step 6 from a roster within the caps, keeping its met and sessions (`proven` the
        most and the fewest, if so; `bound` a proven bound on met): each track in turn
        within the caps the others leave it; then, if each proved its best there with time
        to spare, the location as one model, which alone can move a counselor's sessions
        from one track to another (and prove the location's best). `most`, a proven bound
        on the criterion, proves a roster that reaches it."""
        sessions, unmet, tracks_proven = apart.most_preferred_in_turn(sessions, unmet, rest())
        reached = most is not None and score(instance, location, sessions, unmet)[2] >= most
        if reached or not tracks_proven:
            if progress is not None:
                met = len(apart.patients) - len(unmet)
                progress(location, met, bound, budget.elapsed())
            return LocationResult(location, sessions, unmet, bound, proven and reached)
        search = whole(part(instance, location, sessions, unmet), rest(), known_bound=bound)
        search.only_preferred_left(proven=proven)
        search.most_preferred(rest())
        return search.result()

    apart = _Tracks(instance, location, tracks, budget=budget, start=fallback, progress=progress)
    apart.step(lambda search, seconds: search.most_met_fewest_sessions(seconds), rest())
    first = apart.result()
    first_valid = keeps_rules(instance, location, first.sessions, first.unmet)
    # The tracks' fewest sessions, if proven: no roster of the location meeting as many as
    # they do has fewer, so the whole location's search ends on reaching them.
    known_sessions = len(first.sessions) if first.optimal else None
    if not first_valid:
        # Together the tracks' rosters need more of a counselor than the week has. The same
        # patients met in as many sessions within the caps are, if the tracks proved theirs,
        # the location's proven most met and fewest sessions, and only the preferred
        # counselors are left to search, each track within the caps the other leaves it
        # (the tracks' preferred rosters would break the caps again); if not, they are the
        # best start there is.
        shared = leaders_within_caps(first)
        if shared is not None and first.optimal:
            return most_preferred_from(*shared, proven=True, bound=first.bound_met)
        if shared is None and first.optimal:
            # Not by choosing who leads: the tracks again in turn, each within the caps the
            # ones before it leave, for their proven most met in their fewest sessions.
            turned = tracks_in_turn(
                instance,
                location,
                apart.results(),
                limit=rest() * SHARE_TRACKS_IN_TURN,
                budget=budget,
            )
            if turned is not None:
                return most_preferred_from(*turned, proven=True, bound=first.bound_met)
        if shared is None:
            # Neither by choosing who leads nor by the tracks in turn: in a few more
            # sessions, from which the whole location's search needs only its sessions step.
            shared = within_the_caps(
                first,
                keep_met=True,
                share=SHARE_WITHIN_CAPS_MORE_SESSIONS,
                spare_sessions=SPARE_SESSIONS,
            )
        if shared is None:
            # Not with the same patients met: with a few fewer, a start for the search of
            # the whole location much better than the baseline.
            shared = within_the_caps(first, keep_met=False, share=SHARE_WITHIN_CAPS_MEETING_FEWER)
        if shared is not None:
            first = LocationResult(location, *shared, first.bound_met, optimal=False)
            first_valid = True
    if not (first_valid and first.optimal):
        # The tracks' rosters need more of a counselor than the week has, or their most met
        # and fewest sessions are not proven: search the whole location, knowing the bound.
        start = fallback
        if first_valid and score(instance, location, first.sessions, first.unmet) > score(
            instance, location, *own_roster(instance, location, fallback)
        ):
            start = part(instance, location, first.sessions, first.unmet)
        search = whole(start, rest(), known_bound=first.bound_met, known_sessions=known_sessions)
        search.most_met_fewest_sessions(rest(), then_preferred=True)
        steps = search.result()
        return most_preferred_from(
            steps.sessions, steps.unmet, proven=steps.optimal, bound=steps.bound_met
        )

    # The location's most met and fewest sessions are proven; now the preferred counselors.
    apart.step(lambda search, seconds: search.most_preferred(seconds), rest())
    second = apart.result()
    most = None
    if keeps_rules(instance, location, second.sessions, second.unmet):
        if second.optimal:
            return second
        first = second
    elif second.optimal:
        # The tracks' proven most with their preferred counselor, each with whole caps: no
        # roster within the caps has more.
        most = score(instance, location, second.sessions, second.unmet)[2]
    return most_preferred_from(
        first.sessions, first.unmet, proven=True, bound=first.bound_met, most=most
    )


class _Tracks:
    """The location's tracks, each searched alone (a `LocationSearch` of its week) with its
    counselors' whole weekly caps; progress is reported for the location as a whole."""

    def __init__(
        self,
        instance: Instance,
        location: str,
        tracks: tuple[str, ...],
        *,
        budget: Budget,
        start: Mapping[str, Any],
        progress: Progress | None,
    ) -> None:
        self.location = location
        self.budget = budget
        self.progress = progress
        self.weeks = weeks = {track: instance.one_track(location, track) for track in tracks}
        self.sizes = {track: len(week.patients) for track, week in weeks.items()}
        self.patients = [p for week in weeks.values() for p in week.patients]
        # Smaller tracks first: time they do not need goes to the bigger ones after them.
        self.order = sorted(tracks, key=lambda track: (self.sizes[track], track))
        self.latest = {track: (0, self.sizes[track]) for track in tracks}
        self.searches = {
            track: LocationSearch(
                week,
                location,
                budget=budget,
                start=start,
                progress=self._reporter(track),
                # The steps suit the location's allowance, which is not short.
                short=False,
            )
            for track, week in ((track, weeks[track]) for track in self.order)
        }

    def _reporter(self, track: str) -> Progress:
        def report(_location: str, met: int, bound: int, seconds: float) -> None:
            self.latest[track] = (met, bound)
            if self.progress is not None:
                met_here = sum(m for m, _ in self.latest.values())
                bound_here = sum(b for _, b in self.latest.values())
                self.progress(self.location, met_here, bound_here, seconds)

        return report

    def step(self, search: Callable[[LocationSearch, float], None], allowance: float) -> None:
        """`search` on each track in turn, sharing `SHARE_TRACKS` of `allowance` by size."""
        left = self.budget.allow(allowance * SHARE_TRACKS)
        for index, track in enumerate(self.order):
            here = left()
            waiting = sum(self.sizes[t] for t in self.order[index:])
            search(self.searches[track], here * self.sizes[track] / waiting)

    def most_preferred_in_turn(
        self, sessions: list[dict[str, Any]], unmet: list[str], allowance: float
    ) -> tuple[list[dict[str, Any]], list[str], bool]:
        """Step 6 from (`sessions`, `unmet`), a roster of the location within the caps and
        proven to meet the most in the fewest sessions: each track in turn, smaller first,
        sharing `allowance` by size, within the caps the other tracks' sessions leave it. A
        track's model is much smaller than the location's (1 x 150 in 24 s from six rosters
        within the caps: 36-49 patients with their preferred counselor, a mean of 43.5,
        against 32-44 and 38 searching the location as one model; given a quarter of the
        time first, the location's search still cost three of them). The roster, and
        whether each track's is proven best within the caps left it."""
        left = self.budget.allow(allowance)
        proven = True
        for index, track in enumerate(self.order):
            week = self.weeks[track]
            slots = {slot.id for block in week.blocks for slot in block.slots}
            mine = {p.id for p in week.patients}
            elsewhere = Counter(s["facilitator"] for s in sessions if s["slot"] not in slots)
            search = LocationSearch(
                week.less_caps(elsewhere),
                self.location,
                budget=self.budget,
                start={"sessions": sessions, "unmet": unmet},
                progress=None,
                short=False,
            )
            search.only_preferred_left(proven=True)
            waiting = sum(self.sizes[t] for t in self.order[index:])
            search.most_preferred(left() * self.sizes[track] / waiting)
            found = search.result()
            sessions = [s for s in sessions if s["slot"] not in slots] + found.sessions
            unmet = [p for p in unmet if p not in mine] + found.unmet
            proven = proven and found.optimal
        return sessions, unmet, proven

    def results(self) -> dict[str, LocationResult]:
        """Each track's roster and what its search proved, by track."""
        return {track: search.result() for track, search in self.searches.items()}

    def result(self) -> LocationResult:
        """The tracks' rosters together; proven if each is (for the location too, if they
        keep the counselors' caps)."""
        results = list(self.results().values())
        return LocationResult(
            self.location,
            [s for result in results for s in result.sessions],
            [p for result in results for p in result.unmet],
            sum(result.bound_met for result in results),
            all(result.optimal for result in results),
        )


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
    budget = Budget(
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
        # Kept back for choosing the location's leaders again at the end, if anyone there
        # asked for a counselor.
        asking = any(p.prefer_facilitator for p in instance.patients if p.location == location)
        leaders = time_for_leaders(allowance) if asking else 0.0
        result = solve_location(
            instance,
            location,
            allowance=allowance - leaders,
            budget=budget,
            fallback=fallback,
            progress=progress,
        )
        results.append(_with_preferred_leaders(instance, result, limit=leaders, budget=budget))

    solution = _assemble(instance, results)
    solution["seconds"] = round(budget.elapsed(), 3)
    ensure_valid(instance, solution, producer="solver")
    if solution["objective"]["met"] > solution["bound"]["met"]:
        raise RosterInternalError("the solver's bound on met is below a roster it found")
    return solution


def _with_preferred_leaders(
    instance: Instance, result: LocationResult, *, limit: float, budget: Budget
) -> LocationResult:
    """`result` with its leaders chosen again for the preferred counselors if that is
    better (a roster proven best is left as it is); what it proves stays as it is."""
    if result.optimal or limit <= 0:
        return result
    sessions = with_preferred_leaders(
        instance, result.location, result.sessions, result.unmet, limit=limit, budget=budget
    )
    return dataclasses.replace(result, sessions=sessions)


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
