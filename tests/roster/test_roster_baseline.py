from __future__ import annotations

import pytest

from middlepath.roster.baseline import baseline, choose_days
from middlepath.roster.generate import generate_instance
from middlepath.roster.instance import parse_instance
from middlepath.roster.validate import validate


class TestBaseline:
    def test_it_seats_a_group_that_fits_exactly(self, make_week):
        instance = make_week(stages=["early"] * 8)
        solution = baseline(instance)
        assert validate(instance, solution) == []
        assert solution["objective"] == {"met": 8, "sessions": 2, "preferred_facilitator": 0}
        assert solution["status"] == "feasible"

    def test_it_sends_home_the_members_of_groups_too_small_to_run(self, make_week):
        # The late patients start a process group of three that the repair must dissolve.
        instance = make_week(stages=["early"] * 8 + ["late"] * 3)
        solution = baseline(instance)
        assert validate(instance, solution) == []
        assert solution["unmet"] == ["p09", "p10", "p11"]
        assert solution["objective"]["met"] == 8

    def test_it_claims_no_bound_beyond_everyone(self, make_week):
        instance = make_week(stages=["early"] * 5)
        assert baseline(instance)["bound"] == {"met": 5}

    def test_it_takes_the_first_available_days(self, make_week):
        instance = parse_instance(
            make_week(stages=["early"], blocks=3, target_minutes=360, min_days=2, max_days=3)
        )
        days = choose_days(instance.patients[0], instance)
        assert days is not None
        assert [b.id for b in days] == ["eve-mon", "eve-tue"]

    def test_it_gives_up_on_a_plan_the_blocks_cannot_cover(self, make_week):
        instance = parse_instance(make_week(stages=["early"], target_minutes=360, max_days=2))
        assert choose_days(instance.patients[0], instance) is None

    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_it_always_returns_a_valid_roster(self, seed: int):
        instance = generate_instance(locations=2, patients_per_location=60, seed=seed)
        assert validate(instance, baseline(instance)) == []
