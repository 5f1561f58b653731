"""Therapy groups, sessions, attendance, weekly hours and the compliance report."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from middlepath.api.auth import require
from middlepath.api.schemas import Id, Input, Pages
from middlepath.care.access import get_patient_for_user
from middlepath.clinic.models import GroupType, Location, Room, Track
from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction
from middlepath.sessions import hours, services
from middlepath.sessions.access import (
    get_group_for_user,
    get_session_for_user,
    visible_groups,
    visible_sessions,
)
from middlepath.sessions.models import Attendance, Membership, Session

router = Router(tags=["groups and sessions"])


class ErrorOut(Schema):
    detail: str


class GroupOut(Schema):
    id: int
    name: str
    group_type_id: int
    group_type: str = Field(alias="group_type.kind")
    track_id: int
    location_id: int = Field(alias="track.location_id")
    stage: str
    facilitator_id: int
    co_facilitator_id: int | None
    room_id: int
    meeting_days: list[int]
    start_time: dt.time
    minutes: int
    is_active: bool
    min_size: int = Field(alias="group_type.min_size")
    max_size: int = Field(alias="group_type.max_size")
    member_ids: list[int]
    under_minimum: bool

    @staticmethod
    def resolve_member_ids(group) -> list[int]:
        return [membership.patient_id for membership in group.current_members]

    @staticmethod
    def resolve_under_minimum(group) -> bool:
        return len(group.current_members) < group.group_type.min_size


class GroupIn(Input):
    name: str = Field(min_length=1, max_length=120)
    group_type_id: int
    track_id: int
    stage: str = ""
    facilitator_id: int
    co_facilitator_id: int | None = None
    room_id: int
    meeting_days: list[int] = Field(min_length=1, max_length=7)
    start_time: dt.time
    minutes: int = Field(90, ge=15, le=480)


class GroupPatch(Input):
    name: str | None = Field(None, min_length=1, max_length=120)
    stage: str | None = None
    facilitator_id: int | None = None
    co_facilitator_id: int | None = None
    room_id: int | None = None
    meeting_days: list[int] | None = Field(None, min_length=1, max_length=7)
    start_time: dt.time | None = None
    minutes: int | None = Field(None, ge=15, le=480)
    is_active: bool | None = None


class MemberIn(Input):
    patient_id: int


class MembershipOut(Schema):
    group_id: int
    patient_id: int
    joined_on: dt.date
    left_on: dt.date | None


class DateRange(Input):
    first: dt.date
    last: dt.date


class AttendanceOut(Schema):
    patient_id: int
    status: str
    minutes: int


class SessionOut(Schema):
    id: int
    kind: str
    group_id: int | None
    patient_id: int | None
    location_id: int
    date: dt.date
    start_time: dt.time
    minutes: int
    room_id: int | None
    facilitator_id: int
    co_facilitator_id: int | None
    status: str
    starts_at: dt.datetime
    ends_at: dt.datetime


class SessionDetail(SessionOut):
    expected_patient_ids: list[int]
    attendance: list[AttendanceOut]

    @staticmethod
    def resolve_expected_patient_ids(session) -> list[int]:
        return list(services.expected_patients(session).values_list("pk", flat=True))

    @staticmethod
    def resolve_attendance(session) -> list[Attendance]:
        return list(session.attendance.order_by("patient_id"))


class SessionIn(Input):
    kind: Session.Kind
    date: dt.date
    group_id: int | None = Field(
        None, description="For kind 'group': the group whose pattern sets the time."
    )
    patient_id: int | None = Field(None, description="For a visit: the patient.")
    start_time: dt.time | None = None
    minutes: int | None = Field(None, ge=5, le=480)
    facilitator_id: int | None = None
    room_id: int | None = None


class SessionFilters(Input):
    start: dt.date | None = Field(None, description="First date (inclusive).")
    end: dt.date | None = Field(None, description="Last date (inclusive).")
    location: Id | None = None
    group: Id | None = None
    patient: Id | None = None


class AttendanceIn(Input):
    patient_id: int
    status: Attendance.Status
    minutes: int | None = Field(None, ge=0, le=480)


class SessionMinutesOut(Schema):
    id: int
    kind: str
    minutes: int


class HoursOut(Schema):
    week: dt.date
    minutes: int
    target_minutes: int
    days: int
    compliant: bool
    sessions: list[SessionMinutesOut]


class ComplianceRowOut(Schema):
    patient_id: int
    week: dt.date
    minutes: int
    target_minutes: int
    days: int
    compliant: bool
    status: str


def _groups(user):
    return (
        visible_groups(user)
        .select_related("group_type", "track")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.current().order_by("patient_id"),
                to_attr="current_members",
            )
        )
    )


def _one(model, user_locations, pk, what):
    obj = model.objects.filter(pk=pk).first()
    location_id = getattr(obj, "location_id", None)
    if obj is None or (location_id is not None and location_id not in user_locations):
        raise ValidationError(
            {what: f"No such {what.replace('_id', '').replace('_', ' ')} at your locations."}
        )
    return obj


def _staff(user, pk, what):
    from middlepath.accounts.models import User

    if pk is None:
        return None
    other = (
        User.objects.filter(pk=pk, is_active=True, locations__in=user.location_ids())
        .distinct()
        .first()
    )
    if other is None:
        raise ValidationError({what: "No such staff member at your locations."})
    return other


@router.get("/groups", response=list[GroupOut])
def list_groups(
    request: HttpRequest, location: Id | None = None, track: Id | None = None, active: bool = True
):
    require(request, "therapy.view_therapygroup")
    groups = _groups(request.auth)
    if active:
        groups = groups.filter(is_active=True)
    if location is not None:
        groups = groups.filter(track__location_id=location)
    if track is not None:
        groups = groups.filter(track_id=track)
    return groups


@router.post("/groups", response={201: GroupOut, 400: ErrorOut, 403: ErrorOut})
def create_group(request: HttpRequest, body: GroupIn):
    user = require(request, "therapy.add_therapygroup")
    locations = user.location_ids()
    track = _one(Track, locations, body.track_id, "track_id")
    group = services.create_group(
        by=user,
        name=body.name,
        group_type=get_object_or_404(GroupType, pk=body.group_type_id),
        track=track,
        stage=body.stage,
        facilitator=_staff(user, body.facilitator_id, "facilitator_id"),
        co_facilitator=_staff(user, body.co_facilitator_id, "co_facilitator_id"),
        room=_one(Room, locations, body.room_id, "room_id"),
        meeting_days=body.meeting_days,
        start_time=body.start_time,
        minutes=body.minutes,
    )
    return Status(201, _groups(user).get(pk=group.pk))


@router.get("/groups/{group_id}", response={200: GroupOut, 404: ErrorOut})
def get_group(request: HttpRequest, group_id: int):
    get_group_for_user(request.auth, group_id)
    group = _groups(request.auth).get(pk=group_id)
    audit.record(actor=request.auth, action=AuditAction.GROUP_VIEW, obj=group, data={"api": True})
    return group


@router.patch("/groups/{group_id}", response={200: GroupOut, 400: ErrorOut, 404: ErrorOut})
def update_group(request: HttpRequest, group_id: int, body: GroupPatch):
    user = request.auth
    group = get_group_for_user(user, group_id, permission="therapy.change_therapygroup")
    changes = body.dict(exclude_unset=True)
    if any(value is None for name, value in changes.items() if name != "co_facilitator_id"):
        raise ValidationError("Only co_facilitator_id can be set to null.")
    if "facilitator_id" in changes:
        changes["facilitator"] = _staff(user, changes.pop("facilitator_id"), "facilitator_id")
    if "co_facilitator_id" in changes:
        changes["co_facilitator"] = _staff(
            user, changes.pop("co_facilitator_id"), "co_facilitator_id"
        )
    if "room_id" in changes:
        changes["room"] = _one(Room, user.location_ids(), changes.pop("room_id"), "room_id")
    services.update_group(group=group, by=user, changes=changes)
    return _groups(user).get(pk=group.pk)


@router.post(
    "/groups/{group_id}/members",
    response={201: MembershipOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def add_member(request: HttpRequest, group_id: int, body: MemberIn):
    group = get_group_for_user(request.auth, group_id, permission="therapy.add_membership")
    patient = get_patient_for_user(request.auth, body.patient_id)
    return Status(201, services.add_member(group=group, patient=patient, by=request.auth))


@router.delete(
    "/groups/{group_id}/members/{patient_id}", response={204: None, 400: ErrorOut, 404: ErrorOut}
)
def remove_member(request: HttpRequest, group_id: int, patient_id: int):
    group = get_group_for_user(request.auth, group_id, permission="therapy.change_membership")
    patient = get_patient_for_user(request.auth, patient_id)
    services.remove_member(group=group, patient=patient, by=request.auth)
    return Status(204, None)


@router.post(
    "/groups/{group_id}/sessions",
    response={201: list[SessionOut], 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def generate_sessions(request: HttpRequest, group_id: int, body: DateRange):
    """Create the group's sessions between two dates from its weekly pattern."""
    group = get_group_for_user(request.auth, group_id, permission="therapy.add_session")
    return Status(
        201,
        services.generate_sessions(group=group, by=request.auth, first=body.first, last=body.last),
    )


@router.get("/sessions", response=list[SessionOut])
@paginate(Pages)
def list_sessions(request: HttpRequest, filters: Query[SessionFilters]):
    require(request, "therapy.view_session")
    sessions = visible_sessions(request.auth)
    if filters.start:
        sessions = sessions.filter(date__gte=filters.start)
    if filters.end:
        sessions = sessions.filter(date__lte=filters.end)
    if filters.location is not None:
        sessions = sessions.filter(location_id=filters.location)
    if filters.group is not None:
        sessions = sessions.filter(group_id=filters.group)
    if filters.patient is not None:
        sessions = sessions.expecting(get_patient_for_user(request.auth, filters.patient))
    return sessions.order_by("date", "start_time", "pk")


@router.post(
    "/sessions", response={201: SessionDetail, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut}
)
def create_session(request: HttpRequest, body: SessionIn):
    """A group session on one of its meeting days (time from its pattern), or a visit."""
    user = require(request, "therapy.add_session")
    if body.kind == Session.Kind.GROUP:
        if body.group_id is None:
            raise ValidationError({"group_id": "A group session needs group_id."})
        group = get_group_for_user(user, body.group_id, permission="therapy.add_session")
        if not group.meets_on(body.date):
            raise ValidationError({"date": f"{group.name} does not meet on {body.date:%A}s."})
        created = services.generate_sessions(group=group, by=user, first=body.date, last=body.date)
        if not created:
            raise ValidationError(
                f"{group.name} already has its session on {body.date}.", code="conflict"
            )
        session = created[0]
    else:
        missing = [
            name for name in ("patient_id", "start_time", "minutes") if getattr(body, name) is None
        ]
        if missing:
            raise ValidationError({name: "Required for a visit." for name in missing})
        patient = get_patient_for_user(user, body.patient_id)
        session = services.schedule_visit(
            by=user,
            kind=body.kind,
            patient=patient,
            date=body.date,
            start_time=body.start_time,
            minutes=body.minutes,
            facilitator=_staff(user, body.facilitator_id or user.pk, "facilitator_id"),
            room=_one(Room, user.location_ids(), body.room_id, "room_id") if body.room_id else None,
        )
    return Status(201, session)


@router.get("/sessions/{session_id}", response={200: SessionDetail, 404: ErrorOut})
def get_session(request: HttpRequest, session_id: int):
    session = get_session_for_user(request.auth, session_id)
    audit.record(
        actor=request.auth, action=AuditAction.ATTENDANCE_VIEW, obj=session, data={"api": True}
    )
    return session


@router.put(
    "/sessions/{session_id}/attendance",
    response={200: list[AttendanceOut], 400: ErrorOut, 404: ErrorOut},
)
def put_attendance(request: HttpRequest, session_id: int, body: list[AttendanceIn]):
    """Record attendance for the listed patients; all or nothing."""
    session = get_session_for_user(request.auth, session_id, permission="therapy.add_attendance")
    entries = [services.AttendanceEntry(row.patient_id, row.status, row.minutes) for row in body]
    services.record_attendance(session=session, by=request.auth, entries=entries)
    return session.attendance.order_by("patient_id")


def _hours_out(week_hours: hours.WeekHours) -> dict:
    return {
        "week": week_hours.week.start,
        "minutes": week_hours.minutes,
        "target_minutes": week_hours.target_minutes,
        "days": week_hours.days,
        "compliant": week_hours.compliant,
        "sessions": [
            {"id": s.id, "kind": s.kind, "minutes": s.minutes} for s in week_hours.sessions
        ],
    }


@router.get("/patients/{patient_id}/hours", response={200: HoursOut, 404: ErrorOut})
def patient_hours(request: HttpRequest, patient_id: int, week: dt.date | None = None):
    """Treatment minutes in the week holding `week` (any day of it; default this week)."""
    user = require(request, "therapy.view_compliance")
    patient = get_patient_for_user(user, patient_id)
    audit.record(actor=user, action=AuditAction.HOURS_VIEW, obj=patient, data={"api": True})
    return _hours_out(hours.patient_week(patient, week or patient.location.today()))


@router.get("/reports/compliance", response={200: list[ComplianceRowOut], 400: ErrorOut})
def compliance_report(request: HttpRequest, location: Id, week: dt.date | None = None):
    """One row per patient enrolled at the location in the week holding `week`."""
    user = require(request, "therapy.view_compliance")
    place = Location.objects.filter(pk=location, pk__in=user.location_ids()).first()
    if place is None:
        raise ValidationError({"location": "Not one of your locations."})
    reported, rows = hours.compliance(place, week or place.today())
    audit.record(
        actor=user,
        action=AuditAction.COMPLIANCE_REPORT_VIEW,
        data={"location_id": place.pk, "week": reported.start.isoformat(), "api": True},
    )
    return [
        {
            "patient_id": row.patient_id,
            "week": reported.start,
            "minutes": row.minutes,
            "target_minutes": row.target,
            "days": row.days,
            "compliant": row.compliant,
            "status": row.status,
        }
        for row in rows
    ]
