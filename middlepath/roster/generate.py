"""Deterministic, realistic roster instances for the benchmark and the tests.

The shape follows the sample weeks: every location runs a day and an evening track on five
weekdays, two 90-minute slots per block, two to four rooms, a handful of part-time
counselors, and patients on the usual 9-hour (sometimes 12- or 6-hour) weekly plan.
Each location draws from its own random stream, so location 0 of a 12-location instance is
the same as the single location of a 1-location instance with the same seed.
"""

from __future__ import annotations

import random
from typing import Any

from middlepath.roster.instance import INSTANCE_FORMAT

DAYS = ("mon", "tue", "wed", "thu", "fri")
TRACKS = {"day": ("09:00", "10:30"), "evening": ("18:00", "19:30")}
TYPES = ("psychoeducation", "skills", "process")
STAGES = (("early", 0.45), ("middle", 0.37), ("late", 0.18))
# (target_minutes, min_days, max_days, needs, weight): the 9-hour week is the IOP norm.
PLANS = (
    (540, 3, 5, {"process": 2, "psychoeducation": 1, "skills": 1}, 0.77),
    (720, 4, 5, {"process": 2, "psychoeducation": 1, "skills": 1}, 0.13),
    (360, 2, 5, {"process": 1, "skills": 1}, 0.10),
)


def generate_instance(*, locations: int, patients_per_location: int, seed: int) -> dict[str, Any]:
    """A `middlepath-roster/1` instance; the same arguments always give the same instance."""
    if locations < 0 or patients_per_location < 0:
        raise ValueError("locations and patients_per_location must not be negative")
    instance: dict[str, Any] = {
        "format": INSTANCE_FORMAT,
        "week_of": "2026-12-07",
        "group_types": {
            name: {"min_size": 8, "max_size": 15, "same_stage": name == "process"} for name in TYPES
        },
        "blocks": [],
        "rooms": [],
        "staff": [],
        "patients": [],
    }
    for index in range(locations):
        # A separate stream per location keeps locations independent of how many there are.
        rng = random.Random(seed * 1_000_003 + index)
        _add_location(instance, f"loc{index}", patients_per_location, rng)
    return instance


def _add_location(instance: dict[str, Any], loc: str, patients: int, rng: random.Random) -> None:
    block_ids: dict[str, list[str]] = {}
    slot_ids: list[str] = []
    for track, starts in TRACKS.items():
        block_ids[track] = []
        for day in DAYS:
            block_id = f"{loc}-{day}-{track}"
            slots = [
                {"id": f"{block_id}-{n}", "start": start, "minutes": 90}
                for n, start in enumerate(starts, start=1)
            ]
            instance["blocks"].append(
                {"id": block_id, "location": loc, "track": track, "day": day, "slots": slots}
            )
            block_ids[track].append(block_id)
            slot_ids.extend(slot["id"] for slot in slots)

    # Rooms grow with the census, but stay a scarce resource as in real clinics.
    room_count = min(4, max(2, 2 + patients // 70 + rng.choice((-1, 0, 0, 1))))
    for n in range(room_count):
        capacity = rng.choice((10, 12, 12, 14, 15, 15))
        instance["rooms"].append({"id": f"{loc}-room{n}", "location": loc, "capacity": capacity})

    # Counselors work shifts: whole blocks mostly, sometimes only one slot of one. Every
    # block gets at least two of them, as a program cannot run a block on one counselor.
    staff_count = max(3, round(patients / 20) + rng.choice((-1, 0, 0, 1)))
    shifts: list[list[str]] = []
    for _ in range(staff_count):
        share = rng.uniform(0.3, 0.7)
        shifts.append([b for track in TRACKS for b in block_ids[track] if rng.random() < share])
    for block_id in (b for track in TRACKS for b in block_ids[track]):
        while sum(block_id in worked for worked in shifts) < 2:
            rng.choice([w for w in shifts if block_id not in w]).append(block_id)
    leads_process: list[str] = []
    for n, worked in enumerate(shifts):
        staff_id = f"{loc}-staff{n}"
        facilitates = [
            name for name, p in zip(TYPES, (0.6, 0.6, 0.85), strict=True) if rng.random() < p
        ]
        # The first three cover every type, so each location can run every group somewhere.
        if n < len(TYPES) and TYPES[n] not in facilitates:
            facilitates.append(TYPES[n])
        facilitates.sort(key=TYPES.index)
        slots = [
            f"{block_id}-{part}"
            for block_id in sorted(worked, key=lambda b: slot_ids.index(f"{b}-1"))
            for part in (1, 2)
            if rng.random() < 0.93
        ]
        instance["staff"].append(
            {
                "id": staff_id,
                "location": loc,
                "facilitates": facilitates,
                "slots": slots,
                "max_sessions": rng.choice((8, 10, 12, 16)),
            }
        )
        if "process" in facilitates:
            leads_process.append(staff_id)

    for n in range(patients):
        track = "evening" if rng.random() < 0.6 else "day"
        stage = rng.choices([s for s, _ in STAGES], weights=[w for _, w in STAGES])[0]
        target, min_days, max_days, needs, _ = rng.choices(PLANS, weights=[p[-1] for p in PLANS])[0]
        available = rng.randint(max(3, min_days), 5)
        patient: dict[str, Any] = {
            "id": f"{loc}-p{n}",
            "location": loc,
            "track": track,
            "stage": stage,
            "target_minutes": target,
            "min_days": min_days,
            "max_days": max_days,
            "blocks": sorted(rng.sample(block_ids[track], available)),
            "needs": dict(needs),
        }
        if leads_process and rng.random() < 0.5:
            patient["prefer_facilitator"] = rng.choice(leads_process)
        instance["patients"].append(patient)
