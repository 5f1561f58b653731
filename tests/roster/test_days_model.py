from __future__ import annotations

from ortools.sat.python import cp_model

from middlepath.roster.days_model import DaysModel
from middlepath.roster.generate import generate_instance
from middlepath.roster.instance import parse_instance
from middlepath.roster.location_model import LocationModel
from tests.roster.solving import run_alone


class TestDaysModel:
    def test_the_days_relaxation_proves_its_most_met_alone_where_the_fewest_days_do_not(self):
        # On this location, with the fewest days in the same objective, the bound stays one
        # above the most met for seconds; most met alone is proven at once.
        instance = parse_instance(
            generate_instance(locations=12, patients_per_location=150, seed=2026)
        )
        days = DaysModel(LocationModel(instance, "loc11"))
        solver, status = run_alone(days.model, 1.0)
        assert status == cp_model.FEASIBLE
        found, open_bound = days.met_found(solver), days.met_bound(solver, status)
        assert found < open_bound
        days.most_met(solver)
        solver, status = run_alone(days.model, 1.0)
        assert status == cp_model.OPTIMAL
        assert days.met_bound(solver, status) == days.met_found(solver) < open_bound
