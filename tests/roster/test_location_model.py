from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from middlepath.roster.generate import generate_instance
from middlepath.roster.instance import parse_instance
from middlepath.roster.location_model import SOLVED, LocationModel
from middlepath.roster.solver import solve
from middlepath.roster.validate import RosterInternalError
from tests.roster.solving import run_alone, solver_examples


def fewest_sessions(
    instance: dict[str, Any], *, cuts: bool, seconds: float
) -> tuple[str, int, int]:
    """The sessions step of a one-location week on its own: most met, then fewest sessions,
    with or without the redundant session cuts (status, sessions found, bound)."""
    parsed = parse_instance(instance)
    model = LocationModel(parsed, parsed.locations[0])
    model.model.maximize(model.met_total)
    solver, status = run_alone(model.model, seconds)
    assert status == cp_model.OPTIMAL
    met = round(solver.objective_value)
    model.model.add(model.met_total >= met)
    if cuts:
        model.add_session_cuts(met)
    model.model.minimize(model.session_total)
    solver, status = run_alone(model.model, seconds)
    found = round(solver.objective_value) if status in SOLVED else -1
    return solver.status_name(status), found, round(solver.best_objective_bound)


def is_solution(model: LocationModel, values: dict[int, int]) -> bool:
    """Whether the values (0 where missing) keep every constraint of the model (to which
    they are then added: the model serves for nothing else after)."""
    for var in model.all_vars():
        model.model.add(var == values.get(var.index, 0))
    return run_alone(model.model, 5.0)[1] in SOLVED


class TestLocationModel:
    def test_a_stage_too_small_for_a_group_is_never_possible(self, make_week):
        instance = parse_instance(make_week(stages=["early"] * 8 + ["late"] * 7))
        model = LocationModel(instance, "north")
        assert model.possible == {f"p0{n}" for n in range(1, 9)}
        assert not any(kind.stage == "late" for _, kind in model.runnable)

    def test_without_the_late_stage_nobody_fills_the_skills_group_either(self, make_week):
        # Process groups of four: the early stage has one, the lone late-stage patient none,
        # so cannot be met; that leaves seven for the skills group of at least eight.
        instance = parse_instance(make_week(stages=["early"] * 7 + ["late"], process_min=4))
        model = LocationModel(instance, "north")
        assert model.possible == set()
        assert model.runnable == set()

    def test_the_fewest_blocks_follow_minutes_days_and_needed_seats(self, make_week):
        instance = parse_instance(
            make_week(stages=["early"], blocks=5, target_minutes=540, min_days=2, max_days=5)
        )
        model = LocationModel(instance, "north")
        patient = instance.patients[0]
        assert model.fewest_blocks(patient) == 3  # 540 minutes in blocks of 180
        more_days = parse_instance(
            make_week(stages=["early"], blocks=5, target_minutes=180, min_days=4, max_days=5)
        )
        assert model.fewest_blocks(more_days.patients[0]) == 4
        many_seats = parse_instance(
            make_week(
                stages=["early"],
                blocks=5,
                target_minutes=180,
                needs={"process": 3, "skills": 2},
            )
        )
        assert model.fewest_blocks(many_seats.patients[0]) == 3

    def test_the_session_cuts_prove_the_fewest_sessions_the_search_alone_does_not(self):
        # Its evening blocks need whole sessions per slot: the LP bound is one short.
        instance = generate_instance(locations=1, patients_per_location=40, seed=9)
        assert fewest_sessions(instance, cuts=True, seconds=3.0) == ("OPTIMAL", 14, 14)
        status, found, bound = fewest_sessions(instance, cuts=False, seconds=3.0)
        assert (status, found, bound) == ("FEASIBLE", 14, 13)

    @solver_examples(10)
    @given(patients=st.integers(min_value=8, max_value=30), seed=st.integers(0, 10_000))
    def test_the_session_cuts_never_cut_off_the_fewest_sessions(self, patients: int, seed: int):
        instance = generate_instance(locations=1, patients_per_location=patients, seed=seed)
        with_cuts = fewest_sessions(instance, cuts=True, seconds=5.0)
        without = fewest_sessions(instance, cuts=False, seconds=5.0)
        if with_cuts[0] == without[0] == "OPTIMAL":
            assert with_cuts[1] == without[1]
        else:
            assert with_cuts[2] <= without[1] and without[2] <= with_cuts[1]


class TestValuesOfARoster:
    @solver_examples(8)
    @given(patients=st.integers(min_value=16, max_value=45), seed=st.integers(0, 10_000))
    def test_every_valid_roster_is_a_solution_of_the_preferred_step(self, patients, seed):
        # The preferred step's redundant constraints (one decision per counselor and stage
        # for all who ask for them) must cut off no roster, and its values say who is
        # preferred as the format counts it.
        instance = parse_instance(
            generate_instance(locations=1, patients_per_location=patients, seed=seed)
        )
        solution = solve(instance, seconds=2.0, deterministic=True)
        model = LocationModel(instance, instance.locations[0])
        model.add_preferences()
        values = model.values_of_roster(solution["sessions"], set(solution["unmet"]))
        assert values is not None
        preferred = sum(values[var.index] for var in model.preferred.values())
        assert preferred == solution["objective"]["preferred_facilitator"]
        assert is_solution(model, values)

    def test_once_preferences_are_modelled_they_say_who_sits_with_whom(self, two_process_groups):
        # The model counts seats per slot and kind; which of the slot's two process groups
        # a patient is in only the preference variables keep.
        instance, sessions = two_process_groups
        model = LocationModel(instance, "north")
        model.add_preferences()
        values = model.values_of_roster(sessions, set())
        assert values is not None
        with_g1 = {p for p, var in model.preferred.items() if values[var.index]}
        assert with_g1 == {f"p{n:02d}" for n in range(1, 9)}
        assert is_solution(model, values)
        written, unmet = model.roster(values)
        assert unmet == []
        process = {s["facilitator"]: s["members"] for s in written if s["type"] == "process"}
        assert process["g1"] == [f"p{n:02d}" for n in range(1, 9)]

    def test_a_hint_gives_every_variable_its_value(self, two_process_groups):
        # Written straight into the model: every variable once, 0 where the values have none,
        # so a search held to the hint finds the roster itself.
        instance, sessions = two_process_groups
        model = LocationModel(instance, "north")
        values = model.values_of_roster(sessions, set())
        assert values is not None
        model.hint(values)
        model.hint(values)  # again: the earlier hint is replaced, not added to
        hint = model.model.proto.solution_hint
        variables = model.all_vars()
        assert list(hint.vars) == [var.index for var in variables]
        assert list(hint.values) == [values.get(var.index, 0) for var in variables]
        solver = cp_model.CpSolver()
        solver.parameters.fix_variables_to_their_hinted_value = True
        assert solver.solve(model.model) == cp_model.OPTIMAL
        assert model.roster(model.snapshot(solver))[1] == []

    def test_a_roster_the_model_cannot_hold_has_no_values(self, two_process_groups):
        # An empty roster is all zeros; a session of a counselor the model has no such
        # session for (here one who does not work there) fits no values at all.
        instance, sessions = two_process_groups
        model = LocationModel(instance, "north")
        assert model.values_of_roster([], {p.id for p in instance.patients}) == {}
        stranger = [{**sessions[0], "facilitator": "g9"}, *sessions[1:]]
        assert model.values_of_roster(stranger, set()) is None

    def test_soft_caps_count_what_a_counselor_leads_over_the_cap(
        self, make_week, two_process_groups
    ):
        _, sessions = two_process_groups
        capped = parse_instance(
            make_week(
                stages=["early"] * 16,
                staff=[
                    {"id": "g1", "facilitates": ["process", "skills"], "max_sessions": 1},
                    {"id": "g2", "facilitates": ["process", "skills"]},
                ],
            )
        )
        model = LocationModel(capped, "north", soft_caps=True)
        model.model.add(model.met_total >= 16)
        model.model.minimize(sum(model.over_caps.values()))
        values = model.values_of_roster(sessions, set())
        assert values is not None
        model.hint(values)
        solver, status = run_alone(model.model, 5.0)
        assert status == cp_model.OPTIMAL
        assert solver.objective_value == 1  # two slots need two sessions each: g1 leads both
        hard = LocationModel(capped, "north")
        hard.model.add(hard.met_total >= 16)
        with pytest.raises(RosterInternalError, match="INFEASIBLE"):
            run_alone(hard.model, 5.0)
