"""Small hand-made roster weeks for the roster tests (no Django, no database)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from middlepath.roster.instance import Instance, parse_instance

Builder = Callable[..., dict[str, Any]]


def week(
    *,
    stages: list[str],
    needs: dict[str, int] | None = None,
    prefer: dict[int, str] | None = None,
    rooms: list[tuple[str, int]] | None = None,
    staff: list[dict[str, Any]] | None = None,
    process_min: int = 8,
    target_minutes: int = 180,
    blocks: int = 1,
    patient_blocks: list[str] | None = None,
    min_days: int = 1,
    max_days: int = 1,
    day_stages: list[str] | None = None,
    day_prefer: dict[int, str] | None = None,
) -> dict[str, Any]:
    """One location ("north"), an evening track of `blocks` days with two 90-minute slots,
    and one patient per entry of `stages` (ids p01, p02, ...); with `day_stages`, a day
    track of the same days too, with one patient per entry (ids d01, d02, ...)."""
    days = ["mon", "tue", "wed", "thu", "fri"][:blocks]
    tracks = [("eve", "evening", ("18:00", "19:30"))]
    if day_stages:
        tracks.append(("day", "day", ("09:00", "10:30")))
    block_list = [
        {
            "id": f"{short}-{day}",
            "location": "north",
            "track": track,
            "day": day,
            "slots": [
                {"id": f"{short}-{day}-{n}", "start": start, "minutes": 90}
                for n, start in enumerate(starts, start=1)
            ],
        }
        for short, track, starts in tracks
        for day in days
    ]
    all_slots = [s["id"] for b in block_list for s in b["slots"]]
    if staff is None:
        staff = [
            {"id": "g1", "facilitates": ["process", "skills", "psychoeducation"]},
            {"id": "g2", "facilitates": ["process", "skills", "psychoeducation"]},
        ]
    staff_list = [
        {
            "id": member["id"],
            "location": "north",
            "facilitates": member["facilitates"],
            "slots": member.get("slots", all_slots),
            "max_sessions": member.get("max_sessions", 10),
        }
        for member in staff
    ]
    patients = []
    for prefix, track, their_stages, their_prefer in (
        ("p", "evening", stages, prefer),
        ("d", "day", day_stages or [], day_prefer),
    ):
        their_blocks = [b["id"] for b in block_list if b["track"] == track]
        for n, stage in enumerate(their_stages, start=1):
            patient: dict[str, Any] = {
                "id": f"{prefix}{n:02d}",
                "location": "north",
                "track": track,
                "stage": stage,
                "target_minutes": target_minutes,
                "min_days": min_days,
                "max_days": max_days,
                "blocks": patient_blocks if track == "evening" and patient_blocks else their_blocks,
                "needs": dict(needs if needs is not None else {"process": 1, "skills": 1}),
            }
            if their_prefer and n in their_prefer:
                patient["prefer_facilitator"] = their_prefer[n]
            patients.append(patient)
    return {
        "format": "middlepath-roster/1",
        "week_of": "2026-12-07",
        "group_types": {
            "psychoeducation": {"min_size": 8, "max_size": 15, "same_stage": False},
            "skills": {"min_size": 8, "max_size": 15, "same_stage": False},
            "process": {"min_size": process_min, "max_size": 15, "same_stage": True},
        },
        "blocks": block_list,
        "rooms": [
            {"id": room_id, "location": "north", "capacity": capacity}
            for room_id, capacity in (rooms or [("room-a", 15), ("room-b", 15)])
        ],
        "staff": staff_list,
        "patients": patients,
    }


@pytest.fixture
def make_week() -> Builder:
    return week


@pytest.fixture
def one_skills_session_a_week() -> dict[str, Any]:
    """Both tracks with early and late patients who need one process group each; g2 and g3
    lead process groups, g1, the only one for skills, one session a week. Alone, each
    track's fewest sessions (three) have g1 lead its skills group; together, one track's
    second slot has each stage's process group again: seven sessions, not six."""
    staff = [
        {"id": "g1", "facilitates": ["skills"], "max_sessions": 1},
        {"id": "g2", "facilitates": ["process"]},
        {"id": "g3", "facilitates": ["process"]},
    ]
    return week(
        stages=["early"] * 5 + ["late"] * 5,
        day_stages=["early"] * 4 + ["late"] * 4,
        needs={"process": 1},
        process_min=4,
        staff=staff,
    )


@pytest.fixture
def nine_early() -> dict[str, Any]:
    """Nine early-stage patients who all fit one process and one skills group."""
    return week(stages=["early"] * 9)


@pytest.fixture
def nine_early_roster(nine_early: dict[str, Any]) -> dict[str, Any]:
    """A valid roster for `nine_early`, to break one rule at a time."""
    members = [p["id"] for p in nine_early["patients"]]
    return {
        "format": "middlepath-roster-solution/1",
        "status": "optimal",
        "sessions": [
            {
                "id": "x1",
                "slot": "eve-mon-1",
                "type": "process",
                "stage": "early",
                "room": "room-a",
                "facilitator": "g1",
                "members": list(members),
            },
            {
                "id": "x2",
                "slot": "eve-mon-2",
                "type": "skills",
                "stage": None,
                "room": "room-a",
                "facilitator": "g1",
                "members": list(members),
            },
        ],
        "unmet": [],
        "objective": {"met": 9, "sessions": 2, "preferred_facilitator": 0},
        "bound": {"met": 9},
        "seconds": 0.1,
    }


@pytest.fixture
def copy_of() -> Callable[[dict[str, Any]], dict[str, Any]]:
    return copy.deepcopy


def two_groups_a_slot(instance: Instance, leaders: list[str]) -> list[dict[str, Any]]:
    """A roster of sixteen early-stage patients on Monday evening: two process groups in
    the first slot (the first eight, the last eight), then two skills groups of the same
    members in the second, led by `leaders` in that order."""
    ids = [p.id for p in instance.patients]
    layout = [
        ("eve-mon-1", "process", "room-a", ids[:8]),
        ("eve-mon-1", "process", "room-b", ids[8:]),
        ("eve-mon-2", "skills", "room-a", ids[:8]),
        ("eve-mon-2", "skills", "room-b", ids[8:]),
    ]
    return [
        {
            "id": f"x{n}",
            "slot": slot,
            "type": type_name,
            "stage": "early" if type_name == "process" else None,
            "room": room,
            "facilitator": leader,
            "members": members,
        }
        for n, ((slot, type_name, room, members), leader) in enumerate(
            zip(layout, leaders, strict=True)
        )
    ]


@pytest.fixture
def two_process_groups() -> tuple[Instance, list[dict[str, Any]]]:
    """Sixteen early-stage patients who all prefer g1, and their roster: two process groups
    in the same slot, p01-p08 with g1 and p09-p16 with g2, then two skills groups."""
    instance = parse_instance(week(stages=["early"] * 16, prefer={n: "g1" for n in range(1, 17)}))
    return instance, two_groups_a_slot(instance, ["g1", "g2", "g1", "g2"])
