from __future__ import annotations

from typing import Any

import pytest

from middlepath.roster import location_search
from middlepath.roster.baseline import baseline
from middlepath.roster.class_model import ClassModel
from middlepath.roster.cpsat_run import Budget, Search, Watcher
from middlepath.roster.generate import generate_instance
from middlepath.roster.instance import Instance, parse_instance
from middlepath.roster.location_model import LocationModel
from middlepath.roster.location_search import SHARE, LocationSearch, part, score
from tests.roster.conftest import two_groups_a_slot, week
from tests.roster.solving import watch_runs


def search_alone(
    instance: Instance, start: dict[str, Any], location: str = "loc0"
) -> LocationSearch:
    """A search of `location` from `start`, in deterministic time on one thread."""
    return LocationSearch(
        instance,
        location,
        budget=Budget(seconds=10.0, deterministic=True, seed=0, workers=1),
        start=start,
        progress=None,
        short=False,
    )


def record_hints(monkeypatch: pytest.MonkeyPatch) -> list[tuple[LocationModel, dict[int, int]]]:
    """Records each hint given to a location's model, with the model, in order."""
    hints: list[tuple[LocationModel, dict[int, int]]] = []
    real_hint = LocationModel.hint

    def hint(self: LocationModel, values: Any) -> None:
        hints.append((self, dict(values)))
        real_hint(self, values)

    monkeypatch.setattr(LocationModel, "hint", hint)
    return hints


def test_the_preferred_step_starts_from_who_sits_with_their_counselor(
    two_process_groups, monkeypatch
):
    # Eight of the sixteen sit with g1, as they asked: the hint of the preferred step says
    # so, though the start roster's values were taken before that step's variables existed.
    instance, sessions = two_process_groups
    hints = record_hints(monkeypatch)
    search = search_alone(instance, part(instance, "north", sessions, []), "north")
    search.only_preferred_left(proven=True)
    search.most_preferred(0.5)

    _, hinted = hints[-1]
    preferred = search.full.preferred
    assert sum(hinted.get(var.index, 0) for var in preferred.values()) == 8
    assert search.result().optimal


def test_the_preferred_step_starts_from_who_sits_with_their_counselor_in_the_roster_found(
    two_process_groups, monkeypatch
):
    # Nobody met at the start: steps 1-5 find the roster. Their values were taken before the
    # preferred step's variables existed; read again as the roster they stand for, they say
    # who sits in g1's process group, and the hint of the preferred step says so.
    instance, _ = two_process_groups
    hints = record_hints(monkeypatch)
    search = search_alone(
        instance, part(instance, "north", [], [p.id for p in instance.patients]), "north"
    )
    search.most_met_fewest_sessions(2.0)
    found = search.full.roster(search.best)
    search.most_preferred(0.5)

    _, hinted = hints[-1]
    with_g1 = score(instance, "north", *found)[2]
    assert with_g1 > 0
    assert sum(hinted.get(var.index, 0) for var in search.full.preferred.values()) == with_g1


def test_the_preferred_step_starts_from_leaders_chosen_for_the_preferred_counselors(
    monkeypatch,
):
    # p01-p08 asked for g1 and p09-p16 for g2, who lead each other's process group: the
    # preferred step's hint has them swapped, all sixteen with their counselor.
    prefer = {n: "g1" for n in range(1, 9)} | {n: "g2" for n in range(9, 17)}
    instance = parse_instance(week(stages=["early"] * 16, prefer=prefer))
    sessions = two_groups_a_slot(instance, ["g2", "g1", "g1", "g2"])
    hints = record_hints(monkeypatch)
    search = search_alone(instance, part(instance, "north", sessions, []), "north")
    search.only_preferred_left(proven=True)
    search.most_preferred(0.5)

    _, hinted = hints[-1]
    assert sum(hinted.get(var.index, 0) for var in search.full.preferred.values()) == 16


def test_the_preferred_step_alone_claims_no_proof_its_start_does_not_have(two_process_groups):
    # Eight of sixteen met, their met and sessions not proven: step 6 meets no fewer in no
    # more sessions, proves its own best, and still leaves the roster unproven and the
    # bound on met what the model proves (all sixteen could come), not what it started with.
    instance, sessions = two_process_groups
    ids = [p.id for p in instance.patients]
    eight = [s for s in sessions if s["facilitator"] == "g1"]
    search = search_alone(instance, part(instance, "north", eight, ids[8:]), "north")
    search.only_preferred_left(proven=False)
    search.most_preferred(1.0)

    result = search.result()
    assert len(result.unmet) <= 8 and len(result.sessions) <= 2
    assert not result.optimal
    assert result.bound_met == 16


def test_the_bound_step_starts_again_with_another_seed_from_its_best_roster(monkeypatch):
    # From the baseline (no seats step), with runs of a hundredth of a second: each run that
    # falls short of the bound is followed by one with the next seed, hinted with the best
    # roster so far, until the bound is met or the step's time is spent.
    instance = parse_instance(generate_instance(locations=1, patients_per_location=60, seed=3))
    monkeypatch.setattr(location_search, "RESTART_SECONDS", 0.01)
    monkeypatch.setattr(LocationSearch, "_seats", lambda self, plan, lean: None)

    def restart_limit_met(options: dict[str, Any], solver: Any, _status: Any) -> Any:
        callback = options.get("callback")
        if isinstance(callback, Watcher) and callback.own_bound:
            return options["restart"], options["limit"], round(solver.objective_value)
        return None

    runs = watch_runs(monkeypatch, restart_limit_met)
    search = search_alone(instance, baseline(instance))
    search.most_met_fewest_sessions(1.0)

    assert len(runs) >= 2
    assert [restart for restart, _, _ in runs] == list(range(len(runs)))
    assert all(limit <= 0.015 for _, limit, _ in runs[:-1])
    found = [met for _, _, met in runs]
    assert found == sorted(found)
    assert search.full.met_in(search.best) >= found[-1]


@pytest.mark.parametrize(
    ("lp_seconds", "expected"), [(0.05, Search.FULL), (5.0, Search.NEIGHBOURHOODS)]
)
def test_the_seats_step_searches_neighbourhoods_when_given_too_little_time_for_the_lp(
    monkeypatch, lp_seconds, expected
):
    # On the clock with two threads, the seats step (the only run given a linearization)
    # searches with the LP when it has at least SEATS_LP_SECONDS, else neighbourhoods.
    instance = parse_instance(generate_instance(locations=1, patients_per_location=60, seed=3))
    monkeypatch.setattr(location_search, "SEATS_LP_SECONDS", lp_seconds)

    def seats_search(options: dict[str, Any], _solver: Any, _status: Any) -> Any:
        return options["search"] if "linearization" in options else None

    runs = watch_runs(monkeypatch, seats_search)
    search = LocationSearch(
        instance,
        "loc0",
        budget=Budget(seconds=10.0, deterministic=False, seed=0, workers=2),
        start=baseline(instance),
        progress=None,
        short=True,
    )
    search.most_met_fewest_sessions(1.0)

    assert runs == [expected]


@pytest.mark.parametrize(("then_preferred", "share"), [(True, SHARE["sessions"]), (False, 1.0)])
def test_the_sessions_step_leaves_a_share_only_when_the_preferred_step_follows(
    monkeypatch, then_preferred, share
):
    # The sessions step is the last run of steps 1-5: it is given all that is left of their
    # allowance, or a share of it when step 6 is to follow in the same allowance.
    instance = parse_instance(generate_instance(locations=1, patients_per_location=60, seed=3))

    def limit_and_left(options: dict[str, Any], solver: Any, _status: Any) -> Any:
        spent_before = options["budget"].spent - solver.deterministic_time
        return options["limit"], spent_before

    runs = watch_runs(monkeypatch, limit_and_left)
    search = search_alone(instance, baseline(instance))
    search.most_met_fewest_sessions(1.0, then_preferred=then_preferred)

    limit, spent_before = runs[-1]
    assert limit == pytest.approx(share * (1.0 - spent_before))


def test_the_met_search_starts_from_the_seats_steps_roster_even_when_it_meets_fewer(
    monkeypatch,
):
    # The start meets 23; the seats step's roster (made to meet nobody here) meets fewer,
    # as after a start brought within the caps it may: the first run of the met search is
    # hinted with it all the same, and the start stays the best roster so far.
    instance = parse_instance(generate_instance(locations=1, patients_per_location=80, seed=7))
    start = baseline(instance)
    assert start["objective"]["met"] == 23
    monkeypatch.setattr(
        ClassModel, "roster", lambda self, values: ([], [p.id for p in self.patients])
    )
    hints = record_hints(monkeypatch)
    search = search_alone(instance, start)
    best_at_start = search.best
    search.most_met_fewest_sessions(1.0)

    first_hint = next(values for model, values in hints if model is search.full)
    assert first_hint == {} != best_at_start
    assert search.full.met_in(search.best) >= 23


@pytest.mark.parametrize(("known_bound", "told"), [(8, True), (9, False)])
def test_the_sessions_step_is_told_the_fewest_sessions_proven_for_as_many_met(
    make_week, known_bound, told
):
    # The fewest sessions proven elsewhere (the tracks searched apart) for meeting the known
    # bound are a lower bound on the sessions step once it meets as many; meeting fewer,
    # they say nothing.
    instance = parse_instance(make_week(stages=["early"] * 8))
    search = LocationSearch(
        instance,
        "north",
        budget=Budget(seconds=5.0, deterministic=True, seed=0, workers=1),
        start={"sessions": [], "unmet": [p.id for p in instance.patients]},
        progress=None,
        short=False,
        known_bound=known_bound,
        known_sessions=2,
    )
    search.most_met_fewest_sessions(2.0)

    leads = sorted(var.index for var in search.full.lead.values())
    lower_bounds = [
        constraint.linear.domain[0]
        for constraint in search.full.model.proto.constraints
        if sorted(constraint.linear.vars) == leads
    ]
    assert (2 in lower_bounds) is told
    assert search.full.sessions_in(search.best) == 2
