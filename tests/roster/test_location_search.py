from __future__ import annotations

from typing import Any

from middlepath.roster.cpsat_run import Budget
from middlepath.roster.location_model import LocationModel
from middlepath.roster.location_search import LocationSearch, part


def test_the_preferred_step_starts_from_who_sits_with_their_counselor(
    two_process_groups, monkeypatch
):
    # Eight of the sixteen sit with g1, as they asked: the hint of the preferred step says
    # so, though the start roster's values were taken before that step's variables existed.
    instance, sessions = two_process_groups
    hints: list[dict[int, int]] = []
    real_hint = LocationModel.hint

    def hint(self: LocationModel, values: Any) -> None:
        hints.append(dict(values))
        real_hint(self, values)

    monkeypatch.setattr(LocationModel, "hint", hint)
    search = LocationSearch(
        instance,
        "north",
        budget=Budget(seconds=5.0, deterministic=True, seed=0, workers=1),
        start=part(instance, "north", sessions, []),
        progress=None,
        short=False,
    )
    search.start_proven()
    search.most_preferred(0.5)

    hinted = hints[-1]
    preferred = search.full.preferred
    assert sum(hinted.get(var.index, 0) for var in preferred.values()) == 8
    assert search.result().optimal
