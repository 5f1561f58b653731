"""Inquiries: the intake queue and pipeline, for staff. Never public: the public path is the
consultation form. Every rule is intake's own (access.py, services.py, forms.py)."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from middlepath.accounts.models import User
from middlepath.api.auth import require
from middlepath.api.schemas import Id, Input, Pages
from middlepath.intake import access, services
from middlepath.intake.forms import AdmitForm, QueueFilterForm
from middlepath.intake.models import (
    BenefitsVerification,
    CloseReason,
    ContactMethod,
    ContactOutcome,
    Inquiry,
    InquiryStatus,
    Source,
)
from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction
from middlepath.sessions.placement import suggest_groups

router = Router(tags=["inquiries"])


class ErrorOut(Schema):
    detail: str


class ContactOut(Schema):
    id: int
    method: str
    outcome: str
    note: str
    attempted_at: dt.datetime
    by_id: int


class StatusChangeOut(Schema):
    from_status: str
    to_status: str
    changed_at: dt.datetime
    changed_by_id: int | None
    reason: str
    overridden: bool


class ReasonOut(Schema):
    code: str
    text: str


class ScreeningOut(Schema):
    id: int
    screened_at: dt.datetime
    by_id: int
    substances: list[str]
    substances_note: str
    last_use: str
    withdrawal: str
    medical: str
    psychiatric: str
    suicidal_thoughts: str
    safe_housing: bool
    others_using_at_home: bool
    sober_support: str
    obligations: bool
    readiness: str
    stepping_down: str
    notes: str
    recommended_level: str
    recommended_label: str = Field(description="Shown to users: a suggestion, not a diagnosis.")
    reasons: list[ReasonOut]
    cautions: list[ReasonOut]
    urgent: bool
    chosen_level: str
    override_reason: str

    @staticmethod
    def resolve_recommended_label(screening: Any) -> str:
        return screening.get_recommended_level_display()


class LineOut(Schema):
    label: str
    arithmetic: str
    amount: Decimal


class EstimateOut(Schema):
    days: int
    total_allowed: Decimal
    lines: list[LineOut]
    patient_pays: Decimal
    plan_pays: Decimal
    notes: list[str]


class BenefitsOut(Schema):
    id: int
    verified_at: dt.datetime
    by_id: int
    payment: str
    method: str
    reference: str
    payer_type: str
    payer_name: str
    member_id: str
    plan_type: str
    coverage_from: dt.date | None
    coverage_to: dt.date | None
    in_network: bool | None
    iop_covered: bool | None
    prior_auth_required: bool | None
    auth_days_approved: int | None
    deductible: Decimal | None
    deductible_met: Decimal | None
    coinsurance_percent: Decimal | None
    copay_per_day: Decimal | None
    out_of_pocket_max: Decimal | None
    out_of_pocket_met: Decimal | None
    day_rate: Decimal
    weeks: int
    days_per_week: int
    self_pay_option: str
    plan_amount: Decimal | None
    plan_frequency: str
    notes: str
    estimate: EstimateOut

    @staticmethod
    def resolve_estimate(verification: BenefitsVerification) -> Any:
        return verification.estimate()


class InquiryListItem(Schema):
    id: int
    status: str
    source: str
    first_name: str
    last_name: str
    for_whom: str
    location_id: int | None
    assigned_to_id: int | None
    received_at: dt.datetime
    status_changed_at: dt.datetime
    contact_count: int
    patient_id: int | None


class InquiryOut(Schema):
    id: int
    status: str
    source: str
    location_id: int | None
    first_name: str
    last_name: str
    phone: str
    email: str
    best_time: str
    ok_to_leave_message: bool
    for_whom: str
    loved_one_name: str
    relationship: str
    needs: str
    schedule_preference: str
    insurance: str
    payer_name: str
    member_id: str
    date_of_birth: dt.date | None
    close_reason: str
    admission_scheduled_for: dt.date | None
    assigned_to_id: int | None
    patient_id: int | None
    episode_id: int | None
    received_at: dt.datetime
    status_changed_at: dt.datetime
    next_statuses: list[str]
    contacts: list[ContactOut]
    status_changes: list[StatusChangeOut]
    screening: ScreeningOut | None
    benefits: BenefitsOut | None

    @staticmethod
    def resolve_next_statuses(inquiry: Inquiry) -> list[str]:
        return list(inquiry.next_statuses())

    @staticmethod
    def resolve_contacts(inquiry: Inquiry) -> list[Any]:
        return list(inquiry.contacts.order_by("attempted_at", "pk"))

    @staticmethod
    def resolve_status_changes(inquiry: Inquiry) -> list[Any]:
        return list(inquiry.status_changes.all())

    @staticmethod
    def resolve_screening(inquiry: Inquiry) -> Any:
        return inquiry.screenings.order_by("-screened_at", "-pk").first()

    @staticmethod
    def resolve_benefits(inquiry: Inquiry) -> Any:
        return inquiry.verifications.order_by("-verified_at", "-pk").first()


class InquiryFilters(Input):
    location: Id | None = None
    status: str = Field(
        "open", description="A status, 'open' (every status but admitted and closed) or 'all'."
    )


class InquiryIn(Input):
    location_id: int | None = None
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field("", max_length=100)
    phone: str = Field("", max_length=30)
    email: str = Field("", max_length=254)
    best_time: str = "any"
    ok_to_leave_message: bool = False
    for_whom: str = "self"
    loved_one_name: str = Field("", max_length=200)
    relationship: str = Field("", max_length=80)
    needs: str = Field("", max_length=2000)
    schedule_preference: str = "either"
    insurance: str = "unsure"
    payer_name: str = Field("", max_length=120)
    member_id: str = Field("", max_length=60)
    date_of_birth: dt.date | None = None


class InquiryPatch(Input):
    location_id: int | None = None
    first_name: str | None = Field(None, min_length=1, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=30)
    email: str | None = Field(None, max_length=254)
    best_time: str | None = None
    ok_to_leave_message: bool | None = None
    for_whom: str | None = None
    loved_one_name: str | None = Field(None, max_length=200)
    relationship: str | None = Field(None, max_length=80)
    needs: str | None = Field(None, max_length=2000)
    schedule_preference: str | None = None
    insurance: str | None = None
    payer_name: str | None = Field(None, max_length=120)
    member_id: str | None = Field(None, max_length=60)
    date_of_birth: dt.date | None = None
    assigned_to_id: int | None = Field(None, description="Who handles it; null: nobody.")
    status: InquiryStatus | None = Field(
        None,
        description="Only 'closed' (with close_reason), 'new' (reopen, with note) or "
        "'admission_scheduled' (with admission_scheduled_for). The other steps have their "
        "own endpoints: contacts, screening, benefits, admit.",
    )
    close_reason: CloseReason | None = None
    note: str = Field("", max_length=2000)
    admission_scheduled_for: dt.date | None = None
    override_reason: str = Field("", max_length=2000)


class ContactIn(Input):
    method: ContactMethod
    outcome: ContactOutcome
    note: str = Field("", max_length=2000)
    attempted_at: dt.datetime | None = None


class ScreeningIn(Input):
    substances: list[str] = []
    substances_note: str = Field("", max_length=200)
    last_use: str
    withdrawal: str
    medical: str
    psychiatric: str
    suicidal_thoughts: str
    safe_housing: bool
    others_using_at_home: bool
    sober_support: str
    obligations: bool
    readiness: str
    stepping_down: str
    notes: str = Field("", max_length=4000)
    chosen_level: str = Field("", description="Empty: the suggested level.")
    override_reason: str = Field("", max_length=2000)


class BenefitsIn(Input):
    payment: str
    method: str = ""
    reference: str = Field("", max_length=120)
    payer_type: str = ""
    payer_name: str = Field("", max_length=120)
    member_id: str = Field("", max_length=60)
    plan_type: str = ""
    coverage_from: dt.date | None = None
    coverage_to: dt.date | None = None
    in_network: bool | None = None
    iop_covered: bool | None = None
    prior_auth_required: bool | None = None
    auth_days_approved: int | None = Field(None, ge=0, le=366)
    deductible: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    deductible_met: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    coinsurance_percent: Decimal | None = Field(None, ge=0, le=100, decimal_places=2)
    copay_per_day: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    out_of_pocket_max: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    out_of_pocket_met: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    day_rate: Decimal = Field(gt=0, max_digits=10, decimal_places=2)
    weeks: int = Field(8, ge=1, le=52)
    days_per_week: int = Field(3, ge=1, le=7)
    self_pay_option: str = ""
    plan_amount: Decimal | None = Field(None, gt=0, max_digits=10, decimal_places=2)
    plan_frequency: str = ""
    notes: str = Field("", max_length=4000)


class AdmitIn(Input):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    date_of_birth: dt.date
    track_id: int
    phase_id: int
    admitted_on: dt.date | None = Field(None, description="Default: today at the location.")
    referral_source: str | None = Field(None, description="Default: from the screening.")
    level_of_care: str | None = Field(None, description="Default: from the screening.")
    primary_counselor_id: int | None = None
    phone: str = Field("", max_length=30)
    email: str = Field("", max_length=254)
    ok_to_leave_message: bool = False
    override_reason: str = Field("", max_length=2000)


class GroupSuggestionOut(Schema):
    group_id: int
    name: str
    group_type: str
    schedule: str
    members: int
    max_size: int


class EpisodeOut(Schema):
    id: int
    patient_id: int
    mrn: str
    location_id: int
    program_id: int
    track_id: int
    phase_id: int
    level_of_care: str
    primary_counselor_id: int | None
    admitted_on: dt.date
    referral_source: str

    suggested_groups: list[GroupSuggestionOut] = Field(
        description="Groups of the episode's track with a free seat that fits the patient."
    )

    @staticmethod
    def resolve_mrn(episode: Any) -> str:
        return episode.patient.mrn

    @staticmethod
    def resolve_suggested_groups(episode: Any) -> list[dict[str, Any]]:
        day = max(episode.admitted_on, episode.location.today())
        return [
            {
                "group_id": suggestion.group.pk,
                "name": suggestion.group.name,
                "group_type": suggestion.group.group_type.kind,
                "schedule": suggestion.group.schedule_label(),
                "members": suggestion.members,
                "max_size": suggestion.group.group_type.max_size,
            }
            for suggestion in suggest_groups(episode.patient, day=day)
        ]


def _inquiry(request: HttpRequest, inquiry_id: int, permission: str = access.VIEW) -> Inquiry:
    return access.get_inquiry_for_user(request.auth, inquiry_id, permission=permission)


def _location(user: User, location_id: int | None) -> Any:
    if location_id is None:
        return None
    location = access.queue_locations(user).filter(pk=location_id).first()
    if location is None:
        raise ValidationError({"location_id": "Not one of your locations."})
    return location


@router.get("/inquiries", response=list[InquiryListItem])
@paginate(Pages)
def list_inquiries(request: HttpRequest, filters: Query[InquiryFilters]):
    """The queue at your locations, new first; filter by status and location."""
    user = require(request, access.VIEW)
    form = QueueFilterForm(filters.dict(exclude_none=True), user=user)
    if not form.is_valid():
        raise ValidationError({name: errors for name, errors in form.errors.items()})
    audit.record(actor=user, action=AuditAction.INQUIRY_LIST, data={"api": True})
    return (
        form.filter(access.visible_inquiries(user))
        .annotate(contact_count=Count("contacts"))
        .in_queue_order()
    )


@router.post("/inquiries", response={201: InquiryOut, 400: ErrorOut, 403: ErrorOut})
def create_inquiry(request: HttpRequest, body: InquiryIn):
    """Record a request taken by phone or in person (staff only)."""
    user = require(request, access.ADD)
    fields = body.dict(exclude={"location_id"})
    inquiry = services.submit_inquiry(
        by=user,
        source=Source.STAFF,
        site_url=request.build_absolute_uri("/"),
        location=_location(user, body.location_id),
        **fields,
    )
    return Status(201, inquiry)


@router.get("/inquiries/{inquiry_id}", response={200: InquiryOut, 404: ErrorOut})
def get_inquiry(request: HttpRequest, inquiry_id: int):
    inquiry = _inquiry(request, inquiry_id)
    audit.record(
        actor=request.auth, action=AuditAction.INQUIRY_VIEW, obj=inquiry, data={"api": True}
    )
    return inquiry


STATUS_BY_PATCH = (InquiryStatus.CLOSED, InquiryStatus.NEW, InquiryStatus.ADMISSION_SCHEDULED)


@router.patch(
    "/inquiries/{inquiry_id}",
    response={200: InquiryOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def update_inquiry(request: HttpRequest, inquiry_id: int, body: InquiryPatch):
    """Correct details, assign, close, reopen or schedule the admission: all or nothing."""
    inquiry = _inquiry(request, inquiry_id, access.CHANGE)
    user = request.auth
    sent = body.dict(exclude_unset=True)
    workflow = {
        name: sent.pop(name)
        for name in (
            "assigned_to_id",
            "status",
            "close_reason",
            "note",
            "admission_scheduled_for",
            "override_reason",
        )
        if name in sent
    }
    if "location_id" in sent:
        sent["location"] = _location(user, sent.pop("location_id"))
    nulls = [name for name, value in sent.items() if value is None and name != "location"]
    if nulls and nulls != ["date_of_birth"]:
        raise ValidationError('Fields cannot be set to null; send "" to clear a text field.')
    status = workflow.get("status")
    if status is not None and status not in STATUS_BY_PATCH:
        raise ValidationError(
            {
                "status": "Use POST /contacts, /screening, /benefits or /admit for this step; "
                "PATCH closes, reopens or schedules the admission."
            }
        )
    with transaction.atomic():
        if sent:
            services.update_inquiry(inquiry=inquiry, by=user, changes=sent)
        if "assigned_to_id" in workflow:
            handler_id = workflow["assigned_to_id"]
            handler = User.objects.filter(pk=handler_id).first() if handler_id else None
            if handler_id and handler is None:
                raise ValidationError({"assigned_to_id": "No such user."})
            services.assign_inquiry(inquiry=inquiry, by=user, to=handler)
        if status == InquiryStatus.CLOSED:
            if workflow.get("close_reason") is None:
                raise ValidationError({"close_reason": "Say why the inquiry is closed."})
            services.close_inquiry(
                inquiry=inquiry,
                by=user,
                reason=workflow["close_reason"],
                note=workflow.get("note", ""),
            )
        elif status == InquiryStatus.NEW:
            services.reopen_inquiry(inquiry=inquiry, by=user, reason=workflow.get("note", ""))
        elif status == InquiryStatus.ADMISSION_SCHEDULED:
            if workflow.get("admission_scheduled_for") is None:
                raise ValidationError({"admission_scheduled_for": "Give the admission date."})
            services.schedule_admission(
                inquiry=inquiry,
                by=user,
                on=workflow["admission_scheduled_for"],
                override_reason=workflow.get("override_reason", ""),
            )
    inquiry.refresh_from_db()
    return inquiry


@router.post(
    "/inquiries/{inquiry_id}/contacts",
    response={201: ContactOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def log_contact(request: HttpRequest, inquiry_id: int, body: ContactIn):
    inquiry = _inquiry(request, inquiry_id, access.CHANGE)
    contact = services.log_contact(inquiry=inquiry, by=request.auth, **body.dict())
    return Status(201, contact)


@router.post(
    "/inquiries/{inquiry_id}/screening",
    response={201: ScreeningOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def record_screening(request: HttpRequest, inquiry_id: int, body: ScreeningIn):
    """Record a screening; the answer holds the suggested level of care and its reasons."""
    inquiry = _inquiry(request, inquiry_id, access.CHANGE)
    screening = services.record_screening(inquiry=inquiry, by=request.auth, **body.dict())
    return Status(201, screening)


@router.post(
    "/inquiries/{inquiry_id}/benefits",
    response={201: BenefitsOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def record_benefits(request: HttpRequest, inquiry_id: int, body: BenefitsIn):
    """Record a verification of benefits (or self-pay plan); the answer holds the estimate."""
    inquiry = _inquiry(request, inquiry_id, access.CHANGE)
    verification = services.record_benefits(inquiry=inquiry, by=request.auth, **body.dict())
    return Status(201, verification)


@router.post(
    "/inquiries/{inquiry_id}/admit",
    response={201: EpisodeOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def admit(request: HttpRequest, inquiry_id: int, body: AdmitIn):
    """Admit: find or register the patient, open the episode, carry coverage over."""
    inquiry = _inquiry(request, inquiry_id, access.CHANGE)
    user = request.auth
    for permission in access.ADMIT:
        require(request, permission)
    screening = inquiry.screenings.order_by("-screened_at", "-pk").first()
    today = inquiry.location.today() if inquiry.location_id else dt.date.today()
    defaults = AdmitForm.initial_for(inquiry, screening, today)
    data = {
        "first_name": body.first_name,
        "last_name": body.last_name,
        "date_of_birth": body.date_of_birth,
        "track": body.track_id,
        "phase": body.phase_id,
        "admitted_on": body.admitted_on or today,
        "referral_source": body.referral_source or defaults.get("referral_source", ""),
        "level_of_care": body.level_of_care or defaults.get("level_of_care", "2.1"),
        "primary_counselor": body.primary_counselor_id or "",
        "phone": body.phone,
        "email": body.email,
        "ok_to_leave_message": body.ok_to_leave_message,
        "override_reason": body.override_reason,
    }
    form = AdmitForm(data, user=user, may_override=user.has_perm(access.OVERRIDE))
    if not form.is_valid():
        raise ValidationError({name: errors for name, errors in form.errors.items()})
    if body.override_reason and "override_reason" not in form.cleaned_data:
        raise ValidationError({"override_reason": "Only a program director may override."})
    episode = services.admit_inquiry(inquiry=inquiry, by=user, **form.cleaned_data)
    return Status(201, episode)
