"""Helpers for the roster tests that run CP-SAT: one step of the solver on its own, the
hypothesis settings of their property tests, and a hand edit of a solved roster."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from ortools.sat.python import cp_model

from middlepath.roster import location_search
from middlepath.roster.cpsat_run import Budget, run


def run_alone(model: cp_model.CpModel, seconds: float) -> tuple[cp_model.CpSolver, Any]:
    """One CP-SAT run as the solver makes it, in deterministic time on one thread, so the
    test's outcome does not depend on the machine."""
    budget = Budget(seconds=60, deterministic=True, seed=0, workers=1)
    return run(model, limit=seconds, budget=budget)


def solver_examples(count: int) -> settings:
    """For property tests that run CP-SAT: an example may take seconds, so no deadline and
    no too-slow check, and no example database written beside the code."""
    return settings(
        max_examples=count,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


def watch_runs(
    monkeypatch: pytest.MonkeyPatch, record: Callable[[dict[str, Any], cp_model.CpSolver, Any], Any]
) -> list[Any]:
    """Records each CP-SAT run of a location's search as `record(options, solver, status)`
    gives it (None: not recorded)."""
    real_run = location_search.run
    runs: list[Any] = []

    def watched(model: cp_model.CpModel, **options: Any) -> tuple[cp_model.CpSolver, Any]:
        solver, status = real_run(model, **options)
        entry = record(options, solver, status)
        if entry is not None:
            runs.append(entry)
        return solver, status

    monkeypatch.setattr(location_search, "run", watched)
    return runs


def take_out_a_patient(solution: dict[str, Any]) -> str:
    """Takes the first member of the roster's first session out of every session, as a hand
    edit would, and lists them unmet (their seats are free again); their id."""
    patient = solution["sessions"][0]["members"][0]
    for session in solution["sessions"]:
        if patient in session["members"]:
            session["members"].remove(patient)
    solution["unmet"] = sorted([*solution["unmet"], patient])
    return patient
