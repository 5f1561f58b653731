"""A few factory functions for tests; they go through the services like the UI does."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from middlepath.accounts.models import User
from middlepath.accounts.roles import Role
from middlepath.accounts.services import create_staff_user
from middlepath.care import services as care
from middlepath.care.models import Episode, Patient, ReferralSource
from middlepath.clinic.models import GroupType, Location, Phase, Program, Room, Track

_numbers = itertools.count(1)
PASSWORD = "correct horse battery staple"


def make_location(name: str = "", **fields: Any) -> Location:
    number = next(_numbers)
    defaults = {
        "name": name or f"Site {number}",
        "code": f"site-{number}",
        "time_zone": "America/New_York",
    }
    return Location.objects.create(**{**defaults, **fields})


def make_program(**fields: Any) -> Program:
    return Program.objects.create(**{"name": f"Adult IOP {next(_numbers)}", **fields})


def make_phases(program: Program) -> list[Phase]:
    return [
        Phase.objects.create(
            program=program,
            name="Phase 1",
            order=1,
            weekly_target_minutes=720,
            min_days=4,
            max_days=5,
        ),
        Phase.objects.create(
            program=program,
            name="Phase 2",
            order=2,
            weekly_target_minutes=540,
            min_days=3,
            max_days=4,
        ),
        Phase.objects.create(
            program=program,
            name="Step-down",
            order=3,
            weekly_target_minutes=360,
            min_days=2,
            max_days=3,
        ),
    ]


def make_track(location: Location, program: Program, kind: str = "evening", **fields: Any) -> Track:
    start, end = (dt.time(18), dt.time(21)) if kind == "evening" else (dt.time(9), dt.time(12))
    defaults = {
        "name": f"{kind.title()} track",
        "kind": kind,
        "meeting_days": [1, 2, 3, 4],
        "block_start": start,
        "block_end": end,
    }
    return Track.objects.create(program=program, location=location, **{**defaults, **fields})


def make_room(location: Location, **fields: Any) -> Room:
    return Room.objects.create(
        location=location, **{"name": f"Room {next(_numbers)}", "capacity": 15, **fields}
    )


def make_group_type(**fields: Any) -> GroupType:
    number = next(_numbers)
    defaults = {
        "name": f"Process {number}",
        "kind": "process",
        "code": f"process-{number}",
        "same_stage": True,
    }
    return GroupType.objects.create(**{**defaults, **fields})


def make_staff(role: Role | None, *locations: Location, username: str = "", **fields: Any) -> User:
    return create_staff_user(
        username=username or f"{role.value if role else 'norole'}{next(_numbers)}",
        roles=[role] if role else [],
        locations=locations,
        password=PASSWORD,
        **fields,
    )


def letters(number: int) -> str:
    """A number spelled in letters (0: "A", 25: "Z", 26: "BA"): names take no digits."""
    spelled = ""
    while True:
        number, digit = divmod(number, 26)
        spelled = chr(ord("A") + digit) + spelled
        if not number:
            return spelled


def make_patient(location: Location, by: User | None = None, **fields: Any) -> Patient:
    number = letters(next(_numbers))
    defaults = {
        "first_name": f"Pat{number}",
        "last_name": f"Example{number}",
        "date_of_birth": dt.date(1985, 5, 17),
        "location": location,
    }
    return care.register_patient(by=by, **{**defaults, **fields})


def admit(
    patient: Patient, track: Track, phase: Phase, by: User | None = None, **fields: Any
) -> Episode:
    defaults = {
        "admitted_on": timezone.localdate() - dt.timedelta(days=20),
        "referral_source": ReferralSource.SELF,
    }
    return care.open_episode(
        patient=patient, by=by, track=track, phase=phase, **{**defaults, **fields}
    )


def make_group(track: Track, facilitator: User, **fields: Any):
    from middlepath.sessions import services as sessions

    group_type = fields.pop("group_type", None) or make_group_type(
        kind="skills",
        same_stage=False,
        name=f"Skills {next(_numbers)}",
        code=f"skills-{next(_numbers)}",
    )
    defaults = {
        "name": f"{group_type.name} group {next(_numbers)}",
        "meeting_days": [1, 3],
        "start_time": track.block_start,
        "minutes": 90,
        "stage": "early" if group_type.same_stage else "",
    }
    values = {**defaults, **fields}
    room = values.pop("room", None) or make_room(track.location)
    return sessions.create_group(
        by=facilitator,
        group_type=group_type,
        track=track,
        facilitator=facilitator,
        room=room,
        **values,
    )


def enrolled_patient(clinic_track: Track, phase: Phase, **fields: Any) -> Patient:
    patient = make_patient(clinic_track.location, **fields)
    admit(patient, clinic_track, phase)
    return patient
