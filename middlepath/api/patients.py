"""Patients and their episodes of care."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from middlepath.api.auth import require
from middlepath.api.schemas import Id, Input, Pages
from middlepath.care import services
from middlepath.care.access import get_patient_for_user, visible_patients
from middlepath.care.forms import PatientFilterForm
from middlepath.care.models import EpisodeChange, RecoveryStage
from middlepath.clinic.models import Location
from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction

router = Router(tags=["patients"])


class EpisodeSummary(Schema):
    id: int
    location_id: int
    program_id: int
    track_id: int
    phase_id: int
    level_of_care: str
    primary_counselor_id: int | None
    admitted_on: dt.date
    referral_source: str


class PatientOut(Schema):
    id: int
    mrn: str
    first_name: str
    last_name: str
    preferred_name: str
    date_of_birth: dt.date
    phone: str
    email: str
    ok_to_leave_message: bool
    address_line1: str
    address_line2: str
    city: str
    state: str
    postal_code: str
    emergency_contact_name: str
    emergency_contact_relationship: str
    emergency_contact_phone: str
    recovery_stage: str
    location_id: int
    current_episode: EpisodeSummary | None


class PatientListItem(Schema):
    id: int
    mrn: str
    first_name: str
    last_name: str
    preferred_name: str
    date_of_birth: dt.date
    location_id: int
    recovery_stage: str
    current_episode: EpisodeSummary | None


class PatientIn(Input):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    preferred_name: str = Field("", max_length=100)
    date_of_birth: dt.date
    phone: str = Field("", max_length=30)
    email: str = Field("", max_length=254)
    ok_to_leave_message: bool = False
    address_line1: str = Field("", max_length=200)
    address_line2: str = Field("", max_length=200)
    city: str = Field("", max_length=100)
    state: str = Field("", max_length=50)
    postal_code: str = Field("", max_length=20)
    emergency_contact_name: str = Field("", max_length=200)
    emergency_contact_relationship: str = Field("", max_length=80)
    emergency_contact_phone: str = Field("", max_length=30)
    recovery_stage: RecoveryStage = RecoveryStage.EARLY
    location_id: int


class PatientPatch(Input):
    first_name: str | None = Field(None, min_length=1, max_length=100)
    last_name: str | None = Field(None, min_length=1, max_length=100)
    preferred_name: str | None = Field(None, max_length=100)
    date_of_birth: dt.date | None = None
    phone: str | None = Field(None, max_length=30)
    email: str | None = Field(None, max_length=254)
    ok_to_leave_message: bool | None = None
    address_line1: str | None = Field(None, max_length=200)
    address_line2: str | None = Field(None, max_length=200)
    city: str | None = Field(None, max_length=100)
    state: str | None = Field(None, max_length=50)
    postal_code: str | None = Field(None, max_length=20)
    emergency_contact_name: str | None = Field(None, max_length=200)
    emergency_contact_relationship: str | None = Field(None, max_length=80)
    emergency_contact_phone: str | None = Field(None, max_length=30)
    recovery_stage: RecoveryStage | None = None
    location_id: int | None = None


class PatientFilters(Input):
    location: Id | None = None
    track: Id | None = None
    phase: Id | None = None
    status: str = Field("active", pattern="^(active|discharged|all)$")


class PatientSearch(PatientFilters):
    q: str = Field("", max_length=100, description="Name or MRN")


class EpisodeChangeOut(Schema):
    id: int
    kind: str
    effective_on: dt.date
    recorded_at: dt.datetime
    recorded_by_id: int | None
    from_level: str
    to_level: str
    from_phase_id: int | None
    to_phase_id: int | None
    from_track_id: int | None
    to_track_id: int | None
    direction: str
    reason: str


class EpisodeOut(EpisodeSummary):
    discharged_on: dt.date | None
    discharge_reason: str
    changes: list[EpisodeChangeOut]

    @staticmethod
    def resolve_changes(episode: Any) -> list[Any]:
        return list(episode.changes.all())


class ErrorOut(Schema):
    detail: str


def _filtered(request: HttpRequest, filters: PatientFilters, q: str = ""):
    user = require(request, "care.view_patient")
    form = PatientFilterForm({**filters.dict(exclude_none=True), "q": q}, user=user)
    if not form.is_valid():
        raise ValidationError({name: errors for name, errors in form.errors.items()})
    audit.record(actor=user, action=AuditAction.PATIENT_SEARCH, data={"api": True})
    return form.filter(visible_patients(user)).with_current_episode()


@router.get("/patients", response=list[PatientListItem])
@paginate(Pages)
def list_patients(request: HttpRequest, filters: Query[PatientFilters]):
    """Patients at your locations; filters by id only (search by name is POST /patients/search)."""
    return _filtered(request, filters)


@router.post("/patients/search", response=list[PatientListItem])
@paginate(Pages)
def search_patients(request: HttpRequest, body: PatientSearch):
    """Search by name or MRN in the request body, so PHI never sits in a URL."""
    return _filtered(request, body, body.q)


def _location(user: Any, location_id: int) -> Location:
    location = Location.objects.filter(pk=location_id, pk__in=user.location_ids()).first()
    if location is None:
        raise ValidationError({"location_id": "Not one of your locations."})
    return location


@router.post("/patients", response={201: PatientOut, 400: ErrorOut, 403: ErrorOut})
def create_patient(request: HttpRequest, body: PatientIn):
    user = require(request, "care.add_patient")
    fields = body.dict(exclude={"location_id"})
    patient = services.register_patient(
        by=user, location=_location(user, body.location_id), **fields
    )
    return Status(201, patient)


@router.get("/patients/{patient_id}", response={200: PatientOut, 404: ErrorOut})
def get_patient(request: HttpRequest, patient_id: int):
    patient = get_patient_for_user(request.auth, patient_id)
    audit.record(
        actor=request.auth, action=AuditAction.PATIENT_VIEW, obj=patient, data={"api": True}
    )
    return patient


@router.patch("/patients/{patient_id}", response={200: PatientOut, 400: ErrorOut, 404: ErrorOut})
def update_patient(request: HttpRequest, patient_id: int, body: PatientPatch):
    patient = get_patient_for_user(request.auth, patient_id, write=True)
    changes = body.dict(exclude_unset=True)
    if "location_id" in changes:
        changes["location"] = _location(request.auth, changes.pop("location_id"))
    if any(value is None for value in changes.values()):
        raise ValidationError('Fields cannot be set to null; send "" to clear a text field.')
    services.update_patient(patient=patient, by=request.auth, changes=changes)
    patient.refresh_from_db()
    return patient


@router.get("/patients/{patient_id}/episodes", response={200: list[EpisodeOut], 404: ErrorOut})
def list_episodes(request: HttpRequest, patient_id: int):
    user = require(request, "care.view_episode")
    patient = get_patient_for_user(user, patient_id)
    audit.record(actor=user, action=AuditAction.EPISODE_VIEW, obj=patient, data={"api": True})
    return patient.episodes.prefetch_related(
        Prefetch("changes", queryset=EpisodeChange.objects.select_related("from_phase", "to_phase"))
    )
