from __future__ import annotations

import pytest

from tests.clock import NOW


@pytest.fixture(autouse=True)
def clock_at_collection(time_machine):
    """Every care test runs at the moment its dates were taken (`tests/clock.py`)."""
    time_machine.move_to(NOW, tick=False)
