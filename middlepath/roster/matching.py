"""A matching of a few items to a few places, each item to a different place that fits it
(by augmenting paths): the baseline's counselors to a slot's groups, and the free seats that
cover a patient's needs (`explain.py`). Small enough for plain Python."""

from __future__ import annotations

from collections.abc import Callable


def match(items: int, places: int, fits: Callable[[int, int], bool]) -> dict[int, int] | None:
    """Each of `items` (by index) given a different one of `places` (by index) where
    `fits(item, place)`, trying places in order; None if no such matching exists."""
    item_at: dict[int, int] = {}  # place: item

    def assign(item: int, seen: set[int]) -> bool:
        for place in range(places):
            if place in seen or not fits(item, place):
                continue
            seen.add(place)
            if place not in item_at or assign(item_at[place], seen):
                item_at[place] = item
                return True
        return False

    if not all(assign(item, set()) for item in range(items)):
        return None
    return {item: place for place, item in item_at.items()}
