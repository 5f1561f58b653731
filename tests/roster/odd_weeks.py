"""A hypothesis strategy of odd roster weeks, for the property tests of the baseline and the
solver: the rules, rooms, staff and patients of the format at their edges."""

from __future__ import annotations

from hypothesis import strategies as st


@st.composite
def odd_weeks(draw: st.DrawFn) -> dict[str, object]:
    """Small weeks of one location with whatever rules, rooms, staff and patients: group
    sizes down to one, rooms smaller than a group, stages for any type, uneven blocks."""
    stages = ["early", "middle", "late"]

    def some(items: list[str]) -> list[str]:
        """All of them half the time (so that groups can run at all), else any of them."""
        if not items:
            return []
        return draw(st.one_of(st.just(items), st.lists(st.sampled_from(items), unique=True)))

    types = {
        name: {"min_size": low, "max_size": low + draw(st.integers(0, 8)), "same_stage": same}
        for name, low, same in (
            (name, draw(st.integers(1, 5)), draw(st.booleans()))
            for name in ("process", "skills", "psychoeducation")
        )
    }
    days = some(["mon", "tue", "wed", "thu", "fri"])
    blocks = [
        {
            "id": f"b-{day}",
            "location": "north",
            "track": "evening",
            "day": day,
            "slots": [
                {
                    "id": f"b-{day}-{n}",
                    "start": f"{17 + n}:00",
                    "minutes": draw(st.sampled_from([60, 90])),
                }
                for n in range(draw(st.integers(1, 3)))
            ],
        }
        for day in days
    ]
    slots = [s["id"] for b in blocks for s in b["slots"]]
    rooms = [
        {"id": f"r{n}", "location": "north", "capacity": draw(st.integers(1, 16))}
        for n in range(draw(st.integers(0, 4)))
    ]
    staff = [
        {
            "id": f"g{n}",
            "location": "north",
            "facilitates": some(sorted(types)),
            "slots": some(slots),
            "max_sessions": draw(st.integers(0, 8)),
        }
        for n in range(draw(st.integers(0, 4)))
    ]
    patients = []
    for n in range(draw(st.integers(0, 40))):
        available = some([b["id"] for b in blocks])
        low = draw(st.integers(0, 2))
        patient = {
            "id": f"p{n:02d}",
            "location": "north",
            "track": "evening",
            "stage": draw(st.sampled_from(stages)),
            "target_minutes": draw(st.sampled_from([30, 90, 180])),
            "min_days": low,
            "max_days": max(1, low + draw(st.integers(0, 2))),
            "blocks": available,
            "needs": {name: draw(st.integers(0, 1)) for name in types},
        }
        if staff and draw(st.booleans()):
            patient["prefer_facilitator"] = draw(st.sampled_from([g["id"] for g in staff]))
        patients.append(patient)
    return {
        "format": "middlepath-roster/1",
        "week_of": "2026-12-07",
        "group_types": types,
        "blocks": blocks,
        "rooms": rooms,
        "staff": staff,
        "patients": patients,
    }
