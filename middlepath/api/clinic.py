"""Read-only clinic set-up: locations, programs, tracks, phases, group types."""

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from middlepath.api.auth import require
from middlepath.api.schemas import Id
from middlepath.clinic.models import GroupType, Location, Phase, Program, Track

router = Router(tags=["clinic set-up"])


class LocationOut(Schema):
    id: int
    name: str
    code: str
    time_zone: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    postal_code: str
    phone: str
    has_aftercare_club: bool
    is_active: bool


class ProgramOut(Schema):
    id: int
    name: str
    minimum_weekly_minutes: int
    week_starts_on: int


class TrackOut(Schema):
    id: int
    name: str
    kind: str
    program_id: int
    location_id: int
    meeting_days: list[int]
    block_start: dt.time
    block_end: dt.time
    slot_minutes: int
    is_active: bool


class PhaseOut(Schema):
    id: int
    program_id: int
    name: str
    order: int
    weekly_target_minutes: int
    min_days: int
    max_days: int


class GroupTypeOut(Schema):
    id: int
    name: str
    kind: str
    code: str
    min_size: int
    max_size: int
    same_stage: bool


@router.get("/locations", response=list[LocationOut])
def list_locations(request: HttpRequest):
    require(request, "clinic.view_location")
    return Location.objects.all()


@router.get("/locations/{location_id}", response=LocationOut)
def get_location(request: HttpRequest, location_id: int):
    require(request, "clinic.view_location")
    return get_object_or_404(Location, pk=location_id)


@router.get("/programs", response=list[ProgramOut])
def list_programs(request: HttpRequest):
    require(request, "clinic.view_program")
    return Program.objects.all()


@router.get("/tracks", response=list[TrackOut])
def list_tracks(request: HttpRequest, location: Id | None = None, program: Id | None = None):
    require(request, "clinic.view_track")
    tracks = Track.objects.all()
    if location is not None:
        tracks = tracks.filter(location_id=location)
    if program is not None:
        tracks = tracks.filter(program_id=program)
    return tracks


@router.get("/tracks/{track_id}", response=TrackOut)
def get_track(request: HttpRequest, track_id: int):
    require(request, "clinic.view_track")
    return get_object_or_404(Track, pk=track_id)


@router.get("/phases", response=list[PhaseOut])
def list_phases(request: HttpRequest, program: Id | None = None):
    require(request, "clinic.view_phase")
    phases = Phase.objects.all()
    if program is not None:
        phases = phases.filter(program_id=program)
    return phases


@router.get("/group-types", response=list[GroupTypeOut])
def list_group_types(request: HttpRequest):
    require(request, "clinic.view_grouptype")
    return GroupType.objects.all()
