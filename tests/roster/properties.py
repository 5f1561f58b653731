"""Hypothesis settings shared by the roster's property tests."""

from __future__ import annotations

from hypothesis import HealthCheck, settings


def solver_examples(count: int) -> settings:
    """For property tests that run CP-SAT: an example may take seconds, so no deadline and
    no too-slow check, and no example database written beside the code."""
    return settings(
        max_examples=count,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
