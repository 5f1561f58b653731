"""Typed, checked views of a roster instance (`middlepath-roster/1`) and of a solution.

Everything that reads roster files goes through `parse_instance` / `parse_solution`, so a bad
file is rejected once, with one exception class whose message names the offending field or
id: the CLI prints that message instead of a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from types import MappingProxyType
from typing import Any

INSTANCE_FORMAT = "middlepath-roster/1"
SOLUTION_FORMAT = "middlepath-roster-solution/1"
STATUSES = ("optimal", "feasible", "infeasible")
# The third objective is about this group type only (see the format's "What is better").
PROCESS = "process"

_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class RosterInputError(ValueError):
    """An instance or solution that does not follow the format; the message is for people."""


@dataclass(frozen=True)
class GroupType:
    name: str
    min_size: int
    max_size: int
    same_stage: bool


@dataclass(frozen=True)
class Slot:
    id: str
    block: str
    start: str
    minutes: int


@dataclass(frozen=True)
class Block:
    id: str
    location: str
    track: str
    day: str
    slots: tuple[Slot, ...]

    @property
    def minutes(self) -> int:
        return sum(slot.minutes for slot in self.slots)


@dataclass(frozen=True)
class Room:
    id: str
    location: str
    capacity: int


@dataclass(frozen=True)
class Staff:
    id: str
    location: str
    facilitates: frozenset[str]
    slots: frozenset[str]
    max_sessions: int


@dataclass(frozen=True)
class Patient:
    id: str
    location: str
    track: str
    stage: str
    target_minutes: int
    min_days: int
    max_days: int
    blocks: tuple[str, ...]
    needs: Mapping[str, int]
    prefer_facilitator: str | None

    def with_preferred(self, process_leaders: Collection[str]) -> bool:
        """The format's third criterion for this patient, given who leads each of their
        process sessions: a preference, and every one led by that counselor. A patient with
        no process session has not "had" their preferred lead."""
        return (
            self.prefer_facilitator is not None
            and bool(process_leaders)
            and all(lead == self.prefer_facilitator for lead in process_leaders)
        )


@dataclass(frozen=True)
class Instance:
    week_of: str
    group_types: Mapping[str, GroupType]
    blocks: tuple[Block, ...]
    rooms: tuple[Room, ...]
    staff: tuple[Staff, ...]
    patients: tuple[Patient, ...]

    @cached_property
    def block_by_id(self) -> Mapping[str, Block]:
        return MappingProxyType({block.id: block for block in self.blocks})

    @cached_property
    def slot_by_id(self) -> Mapping[str, Slot]:
        return MappingProxyType({s.id: s for block in self.blocks for s in block.slots})

    @cached_property
    def room_by_id(self) -> Mapping[str, Room]:
        return MappingProxyType({room.id: room for room in self.rooms})

    @cached_property
    def staff_by_id(self) -> Mapping[str, Staff]:
        return MappingProxyType({member.id: member for member in self.staff})

    @cached_property
    def patient_by_id(self) -> Mapping[str, Patient]:
        return MappingProxyType({patient.id: patient for patient in self.patients})

    @cached_property
    def locations(self) -> tuple[str, ...]:
        found = {b.location for b in self.blocks} | {r.location for r in self.rooms}
        found |= {s.location for s in self.staff} | {p.location for p in self.patients}
        return tuple(sorted(found))

    def location_of_slot(self, slot_id: str) -> str:
        return self.block_by_id[self.slot_by_id[slot_id].block].location

    def tracks_at(self, location: str) -> tuple[str, ...]:
        """The tracks that have patients at `location`."""
        return tuple(sorted({p.track for p in self.patients if p.location == location}))

    def one_location(self, location: str) -> Instance:
        """One location's week: its blocks, rooms, staff and patients (nothing is shared
        between locations)."""
        return replace(
            self,
            blocks=tuple(b for b in self.blocks if b.location == location),
            rooms=tuple(r for r in self.rooms if r.location == location),
            staff=tuple(g for g in self.staff if g.location == location),
            patients=tuple(p for p in self.patients if p.location == location),
        )

    def one_track(self, location: str, track: str) -> Instance:
        """One track's week at one location: its blocks and patients, the location's rooms,
        and its staff with only this track's slots but their whole weekly `max_sessions`."""
        blocks = tuple(b for b in self.blocks if b.location == location and b.track == track)
        slots = {s.id for b in blocks for s in b.slots}
        return replace(
            self,
            blocks=blocks,
            rooms=tuple(r for r in self.rooms if r.location == location),
            staff=tuple(
                replace(g, slots=g.slots & slots) for g in self.staff if g.location == location
            ),
            patients=tuple(p for p in self.patients if p.location == location and p.track == track),
        )

    def less_caps(self, led_elsewhere: Mapping[str, int]) -> Instance:
        """The same week with each counselor's `max_sessions` less the sessions
        `led_elsewhere` counts for them (led in another part of the week, such as another
        track), and never below none."""
        return replace(
            self,
            staff=tuple(
                replace(g, max_sessions=max(0, g.max_sessions - led_elsewhere.get(g.id, 0)))
                for g in self.staff
            ),
        )


@dataclass(frozen=True)
class Session:
    id: str
    slot: str
    type: str
    stage: str | None
    room: str
    facilitator: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class Objective:
    met: int
    sessions: int
    preferred_facilitator: int


@dataclass(frozen=True)
class Solution:
    status: str | None
    sessions: tuple[Session, ...]
    unmet: tuple[str, ...]
    objective: Objective | None
    bound_met: int | None
    seconds: float | None


class _Reader:
    """Field access with error messages that say where in the file the problem is."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise RosterInputError(f"{where} must be a JSON object, not {_kind(data)}")
        self.data = data
        self.where = where

    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def raw(self, key: str) -> Any:
        if key not in self.data:
            raise RosterInputError(f"{self.where}: missing field '{key}'")
        return self.data[key]

    def text(self, key: str) -> str:
        value = self.raw(key)
        if not isinstance(value, str) or not value.strip():
            raise RosterInputError(f"{self.where}: '{key}' must be a non-empty string")
        return value

    def whole(self, key: str, *, minimum: int) -> int:
        value = self.raw(key)
        # bool is an int in Python; true/false in a size field is a mistake, not 1/0.
        if isinstance(value, bool) or not isinstance(value, int):
            raise RosterInputError(f"{self.where}: '{key}' must be a whole number")
        if value < minimum:
            rule = "positive" if minimum == 1 else f"at least {minimum}"
            raise RosterInputError(f"{self.where}: '{key}' must be {rule}, got {value}")
        return value

    def flag(self, key: str) -> bool:
        value = self.raw(key)
        if not isinstance(value, bool):
            raise RosterInputError(f"{self.where}: '{key}' must be true or false")
        return value

    def items(self, key: str) -> list[Any]:
        value = self.raw(key)
        if not isinstance(value, list):
            raise RosterInputError(f"{self.where}: '{key}' must be a list")
        return value

    def texts(self, key: str) -> list[str]:
        values = self.items(key)
        for value in values:
            if not isinstance(value, str) or not value:
                raise RosterInputError(f"{self.where}: '{key}' must list non-empty strings")
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            raise RosterInputError(f"{self.where}: '{key}' lists {duplicates[0]!r} twice")
        return values


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string"}.get(type(value), repr(value))


def _check_format(data: Any, expected: str, what: str) -> _Reader:
    reader = _Reader(data, what)
    tag = reader.data.get("format")
    if tag != expected:
        raise RosterInputError(f"{what}: 'format' must be {expected!r}, got {tag!r}")
    return reader


def _unique(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise RosterInputError(f"duplicate {what} id {item!r}")
        seen.add(item)


def parse_instance(data: Any) -> Instance:
    """Check a decoded `middlepath-roster/1` document and return it typed."""
    top = _check_format(data, INSTANCE_FORMAT, "instance")
    week_of = top.text("week_of")

    types_raw = top.raw("group_types")
    if not isinstance(types_raw, dict):
        raise RosterInputError("instance: 'group_types' must be an object of type name -> rules")
    group_types: dict[str, GroupType] = {}
    for name in sorted(types_raw):
        r = _Reader(types_raw[name], f"group type {name!r}")
        group_type = GroupType(
            name=name,
            min_size=r.whole("min_size", minimum=1),
            max_size=r.whole("max_size", minimum=1),
            same_stage=r.flag("same_stage"),
        )
        if group_type.min_size > group_type.max_size:
            raise RosterInputError(
                f"group type {name!r}: min_size ({group_type.min_size}) is greater than "
                f"max_size ({group_type.max_size})"
            )
        group_types[name] = group_type

    blocks = tuple(_parse_block(raw, i) for i, raw in enumerate(top.items("blocks")))
    _unique([b.id for b in blocks], "block")
    _unique([s.id for b in blocks for s in b.slots], "slot")
    days: dict[tuple[str, str, str], str] = {}
    for block in blocks:
        key = (block.location, block.track, block.day)
        if key in days:
            raise RosterInputError(
                f"block {block.id!r}: {days[key]!r} is already on {block.day!r} for track "
                f"{block.track!r} at {block.location!r} (one block per day and track)"
            )
        days[key] = block.id
    block_by_id = {b.id: b for b in blocks}
    slot_location = {s.id: b.location for b in blocks for s in b.slots}

    rooms = tuple(_parse_room(raw, i) for i, raw in enumerate(top.items("rooms")))
    _unique([r.id for r in rooms], "room")
    staff = tuple(
        _parse_staff(raw, i, group_types, slot_location) for i, raw in enumerate(top.items("staff"))
    )
    _unique([s.id for s in staff], "staff")
    staff_location = {s.id: s.location for s in staff}
    patients = tuple(
        _parse_patient(raw, i, group_types, block_by_id, staff_location)
        for i, raw in enumerate(top.items("patients"))
    )
    _unique([p.id for p in patients], "patient")
    return Instance(
        week_of=week_of,
        group_types=MappingProxyType(group_types),
        blocks=blocks,
        rooms=rooms,
        staff=staff,
        patients=patients,
    )


def _parse_block(raw: Any, index: int) -> Block:
    r = _Reader(raw, f"blocks[{index}]")
    block_id = r.text("id")
    r.where = f"block {block_id!r}"
    location, track, day = r.text("location"), r.text("track"), r.text("day")
    slots = []
    for j, slot_raw in enumerate(r.items("slots")):
        s = _Reader(slot_raw, f"block {block_id!r} slots[{j}]")
        slot_id = s.text("id")
        s.where = f"slot {slot_id!r}"
        start = s.text("start")
        if not _CLOCK.match(start):
            raise RosterInputError(f"slot {slot_id!r}: 'start' must look like 18:00, got {start!r}")
        slots.append(Slot(slot_id, block_id, start, s.whole("minutes", minimum=1)))
    if not slots:
        raise RosterInputError(f"block {block_id!r}: 'slots' must not be empty")
    return Block(block_id, location, track, day, tuple(slots))


def _parse_room(raw: Any, index: int) -> Room:
    r = _Reader(raw, f"rooms[{index}]")
    room_id = r.text("id")
    r.where = f"room {room_id!r}"
    return Room(room_id, r.text("location"), r.whole("capacity", minimum=1))


def _parse_staff(
    raw: Any, index: int, group_types: Mapping[str, GroupType], slot_location: Mapping[str, str]
) -> Staff:
    r = _Reader(raw, f"staff[{index}]")
    staff_id = r.text("id")
    r.where = f"staff {staff_id!r}"
    location = r.text("location")
    facilitates = r.texts("facilitates")
    for name in facilitates:
        if name not in group_types:
            raise RosterInputError(f"staff {staff_id!r}: facilitates unknown group type {name!r}")
    slots = r.texts("slots")
    for slot_id in slots:
        if slot_id not in slot_location:
            raise RosterInputError(f"staff {staff_id!r}: unknown slot {slot_id!r}")
        if slot_location[slot_id] != location:
            raise RosterInputError(
                f"staff {staff_id!r}: slot {slot_id!r} is at {slot_location[slot_id]!r}, "
                f"not at the staff member's location {location!r}"
            )
    return Staff(
        id=staff_id,
        location=location,
        facilitates=frozenset(facilitates),
        slots=frozenset(slots),
        max_sessions=r.whole("max_sessions", minimum=0),
    )


def _parse_patient(
    raw: Any,
    index: int,
    group_types: Mapping[str, GroupType],
    block_by_id: Mapping[str, Block],
    staff_location: Mapping[str, str],
) -> Patient:
    r = _Reader(raw, f"patients[{index}]")
    patient_id = r.text("id")
    r.where = f"patient {patient_id!r}"
    location, track, stage = r.text("location"), r.text("track"), r.text("stage")
    target = r.whole("target_minutes", minimum=1)
    min_days = r.whole("min_days", minimum=0)
    max_days = r.whole("max_days", minimum=1)
    if min_days > max_days:
        raise RosterInputError(
            f"patient {patient_id!r}: min_days ({min_days}) is greater than max_days ({max_days})"
        )
    blocks = r.texts("blocks")
    for block_id in blocks:
        block = block_by_id.get(block_id)
        if block is None:
            raise RosterInputError(f"patient {patient_id!r}: unknown block {block_id!r}")
        if (block.location, block.track) != (location, track):
            raise RosterInputError(
                f"patient {patient_id!r}: block {block_id!r} is {block.track!r} at "
                f"{block.location!r}, but the patient is {track!r} at {location!r}"
            )
    needs_raw = r.raw("needs")
    if not isinstance(needs_raw, dict):
        raise RosterInputError(f"patient {patient_id!r}: 'needs' must be an object type -> count")
    needs = _Reader(needs_raw, f"patient {patient_id!r} needs")
    for name in needs_raw:
        if name not in group_types:
            raise RosterInputError(f"patient {patient_id!r}: needs unknown group type {name!r}")
        needs.whole(name, minimum=0)
    prefer = None
    if r.has("prefer_facilitator"):
        prefer = r.text("prefer_facilitator")
        if prefer not in staff_location:
            raise RosterInputError(f"patient {patient_id!r}: unknown prefer_facilitator {prefer!r}")
        if staff_location[prefer] != location:
            raise RosterInputError(
                f"patient {patient_id!r}: prefer_facilitator {prefer!r} works at "
                f"{staff_location[prefer]!r}, not at {location!r}"
            )
    return Patient(
        id=patient_id,
        location=location,
        track=track,
        stage=stage,
        target_minutes=target,
        min_days=min_days,
        max_days=max_days,
        blocks=tuple(blocks),
        needs=MappingProxyType({name: needs_raw[name] for name in sorted(needs_raw)}),
        prefer_facilitator=prefer,
    )


def parse_solution(data: Any) -> Solution:
    """Check the shape of a decoded solution; ids are checked against an instance by validate."""
    top = _check_format(data, SOLUTION_FORMAT, "solution")
    status = None
    if top.has("status"):
        status = top.raw("status")
        if status not in STATUSES:
            raise RosterInputError(f"solution: 'status' must be one of {STATUSES}, got {status!r}")
    sessions = []
    for index, raw in enumerate(top.items("sessions")):
        r = _Reader(raw, f"sessions[{index}]")
        session_id = r.text("id")
        r.where = f"session {session_id!r}"
        stage = r.text("stage") if r.has("stage") else None
        members = r.items("members")
        for member in members:
            if not isinstance(member, str) or not member:
                raise RosterInputError(f"session {session_id!r}: 'members' must list patient ids")
        sessions.append(
            Session(
                id=session_id,
                slot=r.text("slot"),
                type=r.text("type"),
                stage=stage,
                room=r.text("room"),
                facilitator=r.text("facilitator"),
                members=tuple(members),
            )
        )
    unmet = top.items("unmet")
    for patient_id in unmet:
        if not isinstance(patient_id, str) or not patient_id:
            raise RosterInputError("solution: 'unmet' must list patient ids")
    objective = None
    if top.has("objective"):
        o = _Reader(top.raw("objective"), "solution objective")
        objective = Objective(
            met=o.whole("met", minimum=0),
            sessions=o.whole("sessions", minimum=0),
            preferred_facilitator=o.whole("preferred_facilitator", minimum=0),
        )
    bound_met = None
    if top.has("bound"):
        bound_met = _Reader(top.raw("bound"), "solution bound").whole("met", minimum=0)
    seconds = None
    if top.has("seconds"):
        seconds = top.raw("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise RosterInputError("solution: 'seconds' must be a non-negative number")
        seconds = float(seconds)
    return Solution(
        status=status,
        sessions=tuple(sessions),
        unmet=tuple(unmet),
        objective=objective,
        bound_met=bound_met,
        seconds=seconds,
    )
