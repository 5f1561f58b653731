"""Groups, the day's schedule, the attendance screen, notes in thirds, and chart panels."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from middlepath.care.access import get_patient_for_user
from middlepath.care.models import Episode, Patient
from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction
from middlepath.sessions import chart, hours, services
from middlepath.sessions.access import (
    get_group_for_user,
    get_note_for_user,
    get_session_for_user,
    may_read_notes,
    visible_groups,
    visible_sessions,
)
from middlepath.sessions.forms import (
    AddendumForm,
    AddMemberForm,
    AttendanceRowForm,
    CancelForm,
    DateRangeForm,
    GroupEditForm,
    GroupForm,
    GroupNoteForm,
    GuestForm,
    HomeworkForm,
    ScheduleForm,
    VisitForm,
    VisitNoteForm,
)
from middlepath.sessions.models import Attendance, Homework, Membership, Note, Session
from middlepath.web.converters import record_id
from middlepath.web.forms import add_service_error, posted


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


# --- groups -----------------------------------------------------------------------------


def group_list(request: HttpRequest) -> HttpResponse:
    _require(request, "therapy.view_therapygroup")
    locations = request.user.sites()
    wanted = request.GET.get("location")
    location = request.user.site(wanted, locations) if wanted else None
    groups = visible_groups(request.user).active()
    if location is not None:
        groups = groups.filter(track__location=location)
    today = dt.date.today()
    # Explicit order: Meta.ordering does not apply to a query with an aggregate.
    groups = (
        groups.with_member_count(today)
        .select_related("group_type", "track__location", "facilitator", "room")
        .order_by("track__location__name", "track__kind", "group_type__name", "name")
    )
    return render(
        request,
        "sessions/group_list.html",
        {"groups": groups, "locations": locations, "location": location},
    )


def group_create(request: HttpRequest) -> HttpResponse:
    _require(request, "therapy.add_therapygroup")
    form = GroupForm(posted(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.create_group(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"{group.name} created. Generate its sessions below.")
            return redirect("sessions:group_detail", pk=group.pk)
    return render(request, "sessions/group_form.html", {"form": form, "group": None})


def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_group_for_user(request.user, pk, permission="therapy.change_therapygroup")
    form = GroupEditForm(posted(request), instance=group, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.update_group(group=group, by=request.user, changes=form.cleaned_data)
        except ValidationError as error:
            group.refresh_from_db()
            add_service_error(form, error)
        else:
            messages.success(
                request,
                "Group saved; future sessions follow the new pattern."
                if changed
                else "Nothing changed.",
            )
            return redirect("sessions:group_detail", pk=group.pk)
    return render(request, "sessions/group_form.html", {"form": form, "group": group})


def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_group_for_user(request.user, pk)
    today = group.location.today()
    members = list(
        Membership.objects.filter(group=group)
        .current()
        .select_related("patient")
        .prefetch_related(
            Prefetch(
                "patient__homework",
                queryset=Homework.objects.filter(session__group=group).order_by("-due_on"),
                to_attr="group_homework",
            ),
            Prefetch("patient__episodes", queryset=_open_episodes(), to_attr="open_episodes"),
        )
        .order_by("patient__last_name", "patient__first_name")
    )
    audit.record(
        actor=request.user, action=AuditAction.GROUP_VIEW, obj=group, data={"members": len(members)}
    )
    upcoming = group.sessions.filter(date__gte=today).order_by("date")[:10]
    size = len(members)
    context = {
        "group": group,
        "members": members,
        "size": size,
        "under_minimum": size < group.group_type.min_size,
        "full": size >= group.group_type.max_size,
        "upcoming": upcoming,
        "guests": group.guests.filter(left_on__isnull=True).select_related("patient")
        if group.is_family
        else [],
        "add_form": AddMemberForm(group=group),
        "guest_form": GuestForm(group=group) if group.is_family else None,
        "generate_form": DateRangeForm(
            initial={"first": today, "last": today + dt.timedelta(days=27)}
        ),
        "today": today,
    }
    return render(request, "sessions/group_detail.html", context)


def _open_episodes():
    return Episode.objects.open().select_related("phase")


@require_POST
def group_add_member(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_group_for_user(request.user, pk, permission="therapy.add_membership")
    form = AddMemberForm(request.POST, group=group)
    if form.is_valid():
        try:
            services.add_member(group=group, patient=form.cleaned_data["patient"], by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, f"{form.cleaned_data['patient'].display_name} joined {group.name}."
            )
    else:
        messages.error(request, "Pick a patient enrolled on this group's track.")
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("sessions:group_detail", pk=group.pk)


@require_POST
def group_remove_member(request: HttpRequest, pk: int, patient_pk: int) -> HttpResponse:
    group = get_group_for_user(request.user, pk, permission="therapy.change_membership")
    patient = get_object_or_404(Patient, pk=patient_pk, memberships__group=group)
    try:
        services.remove_member(group=group, patient=patient, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"{patient.display_name} left {group.name}; past sessions keep their attendance.",
        )
    return redirect("sessions:group_detail", pk=group.pk)


@require_POST
def group_add_guest(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_group_for_user(request.user, pk, permission="therapy.add_membership")
    form = GuestForm(request.POST, group=group)
    if form.is_valid():
        try:
            services.add_guest(group=group, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Guest added.")
    else:
        messages.error(request, "Give the guest's name, relationship and whose guest they are.")
    return redirect("sessions:group_detail", pk=group.pk)


@require_POST
def group_generate(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_group_for_user(request.user, pk, permission="therapy.add_session")
    form = DateRangeForm(request.POST)
    if form.is_valid():
        try:
            created = services.generate_sessions(group=group, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, "No sessions were made: " + " ".join(error.messages))
        else:
            messages.success(
                request, f"{len(created)} session{'s' if len(created) != 1 else ''} added."
            )
    else:
        messages.error(request, "Enter a valid date range.")
    return redirect("sessions:group_detail", pk=group.pk)


# --- the day's schedule -----------------------------------------------------------------


def schedule(request: HttpRequest) -> HttpResponse:
    """The sessions of one day at one location: where a counselor opens today's group."""
    _require(request, "therapy.view_schedule")
    form = ScheduleForm(request.GET or None, user=request.user)
    location = day = None
    mine = False
    if form.is_valid():
        location, day, mine = (
            form.cleaned_data["location"],
            form.cleaned_data["date"],
            form.cleaned_data["mine"],
        )
    location = location or form.fields["location"].queryset.first()
    if location is None:
        return render(request, "sessions/schedule.html", {"form": form, "sessions": []})
    day = day or location.today()
    sessions = (
        visible_sessions(request.user)
        .filter(location=location, date=day)
        .select_related("group__group_type", "patient", "room", "facilitator")
        .annotate(
            recorded=Count("attendance", distinct=True),
            attended=Count(
                "attendance", filter=Q(attendance__status__in=Attendance.ATTENDED), distinct=True
            ),
        )
        .order_by("start_time", "pk")
    )
    if mine:
        sessions = sessions.filter(Q(facilitator=request.user) | Q(co_facilitator=request.user))
    return render(
        request,
        "sessions/schedule.html",
        {
            "form": form,
            "location": location,
            "day": day,
            "sessions": sessions,
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "mine": mine,
        },
    )


# --- one session: attendance ------------------------------------------------------------


@dataclass
class AttendanceRow:
    patient: Patient
    attendance: Attendance | None
    homework: list[Homework] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    pending: str = ""  # a status chosen but not saved yet (late / left early without minutes)
    saved: bool = False

    @property
    def status(self) -> str:
        """The status the row shows as chosen."""
        return self.pending or (self.attendance.status if self.attendance else "")


def _rows(session: Session, patient_ids: list[int] | None = None) -> list[AttendanceRow]:
    expected = services.expected_patients(session)
    if patient_ids is not None:
        expected = expected.filter(pk__in=patient_ids)
    # Homework due by this session and not yet marked: reviewed here, "at the next session".
    open_homework = Homework.objects.open().filter(due_on__lte=session.date).order_by("due_on")
    if session.group_id:
        open_homework = open_homework.filter(session__group_id=session.group_id)
    patients = expected.order_by("last_name", "first_name").prefetch_related(
        Prefetch("attendance", queryset=Attendance.objects.filter(session=session), to_attr="here"),
        Prefetch("homework", queryset=open_homework, to_attr="open_homework"),
    )
    return [
        AttendanceRow(
            patient, patient.here[0] if patient.here else None, list(patient.open_homework)
        )
        for patient in patients
    ]


def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The attendance screen: one row per expected patient, each saved on its own (htmx)."""
    session = get_session_for_user(request.user, pk)
    rows = _rows(session)
    audit.record(
        actor=request.user,
        action=AuditAction.ATTENDANCE_VIEW,
        obj=session,
        data={"session_id": session.pk, "patients": len(rows)},
    )
    note = Note.objects.filter(session=session).only("status", "cosigned_at", "cosigner_id").first()
    context = {
        "session": session,
        "rows": rows,
        "note": note,
        "can_record": request.user.has_perm("therapy.add_attendance")
        and not session.is_cancelled
        and session.date <= session.location.today(),
        "future": session.date > session.location.today(),
        "statuses": Attendance.Status.choices,
        "cancel_form": CancelForm(),
        "guests": session.group.guests.filter(left_on__isnull=True)
        if session.group_id and session.group.is_family
        else [],
        "may_read_notes": may_read_notes(request.user),
    }
    return render(request, "sessions/session_detail.html", context)


@require_POST
def attendance_row(request: HttpRequest, pk: int, patient_pk: int) -> HttpResponse:
    """Save one patient's attendance; answers with that row only (htmx) or the page."""
    session = get_session_for_user(request.user, pk, permission="therapy.add_attendance")
    form = AttendanceRowForm(request.POST)
    errors: list[str] = []
    pending = ""
    if not form.is_valid():
        errors = ["Pick a status (and minutes for late or left early)."]
    elif form.cleaned_data["status"] in Attendance.PARTIAL and not form.cleaned_data["minutes"]:
        # Late or left early: wait for the minutes before saving anything.
        pending = form.cleaned_data["status"]
    else:
        status = form.cleaned_data["status"]
        minutes = form.cleaned_data["minutes"] if status in Attendance.PARTIAL else None
        try:
            services.record_attendance(
                session=session,
                by=request.user,
                entries=[services.AttendanceEntry(patient_pk, status, minutes)],
            )
        except ValidationError as error:
            errors = error.messages
    if not request.htmx:
        for message in errors or (["Enter the minutes attended."] if pending else []):
            messages.error(request, message)
        return redirect("sessions:session_detail", pk=session.pk)
    rows = _rows(session, [patient_pk])
    if not rows:
        return HttpResponse("This patient is not expected at this session.", status=404)
    row = rows[0]
    row.errors, row.pending, row.saved = errors, pending, not errors and not pending
    return render(
        request,
        "sessions/session_detail.html#row",
        {"session": session, "row": row, "can_record": True, "statuses": Attendance.Status.choices},
    )


@require_POST
def attendance_all_present(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark everyone not yet recorded as present: the common case in one tap."""
    session = get_session_for_user(request.user, pk, permission="therapy.add_attendance")
    recorded = set(session.attendance.values_list("patient_id", flat=True))
    entries = [
        services.AttendanceEntry(patient_id, Attendance.Status.PRESENT)
        for patient_id in services.expected_patients(session).values_list("pk", flat=True)
        if patient_id not in recorded
    ]
    try:
        services.record_attendance(session=session, by=request.user, entries=entries)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{len(entries)} marked present.")
    return redirect("sessions:session_detail", pk=session.pk)


@require_POST
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request.user, pk, permission="therapy.change_session")
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.cancel_session(
                session=session, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, "Session cancelled; everyone expected is marked 'cancelled by program'."
            )
    else:
        messages.error(request, "Say why the session is cancelled.")
    return redirect("sessions:session_detail", pk=session.pk)


@require_POST
def homework_review(request: HttpRequest, pk: int) -> HttpResponse:
    homework = get_object_or_404(Homework.objects.select_related("patient", "session"), pk=pk)
    session = get_session_for_user(
        request.user,
        record_id(request.POST.get("session")) or 0,
        permission="therapy.change_homework",
    )
    if homework.patient_id not in set(
        services.expected_patients(session).values_list("pk", flat=True)
    ):
        raise PermissionDenied
    services.review_homework(
        homework=homework, by=request.user, done=request.POST.get("done") == "1", session=session
    )
    if request.htmx:
        row = _rows(session, [homework.patient_id])[0]
        return render(
            request,
            "sessions/session_detail.html#row",
            {
                "session": session,
                "row": row,
                "can_record": True,
                "statuses": Attendance.Status.choices,
            },
        )
    return redirect("sessions:session_detail", pk=session.pk)


# --- notes ------------------------------------------------------------------------------


def note_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Write (or read, once signed) the session's note: in thirds for a group."""
    session = get_session_for_user(request.user, pk)
    note = get_note_for_user(request.user, session)
    present = list(
        Patient.objects.filter(
            attendance__session=session, attendance__status__in=Attendance.ATTENDED
        ).order_by("last_name", "first_name")
    )
    audit.record(
        actor=request.user,
        action=AuditAction.NOTE_VIEW,
        obj=session,
        data={"session_id": session.pk},
    )
    if note is not None and note.is_locked:
        return _signed_note(request, session, note, present)
    if not request.user.has_perm("therapy.add_note"):
        raise PermissionDenied
    if note is not None and note.author_id != request.user.pk:
        messages.warning(request, f"{note.author} is writing this note.")
    form_class = GroupNoteForm if session.group_id else VisitNoteForm
    kwargs = {"session": session, "present": present} if session.group_id else {}
    initial = _note_initial(note, present) if note else {}
    form = form_class(posted(request), initial=initial, **kwargs)
    homework_form = HomeworkForm(
        request.POST if "assign_homework" in request.POST else None,
        present=present,
        initial={
            "text": note.topic.homework_template if note and note.topic else "",
            "due_on": session.date + dt.timedelta(days=2),
        },
        prefix="homework",
    )
    if request.method == "POST" and "assign_homework" in request.POST:
        if homework_form.is_valid():
            try:
                services.assign_homework(
                    session=session,
                    by=request.user,
                    text=homework_form.cleaned_data["text"],
                    due_on=homework_form.cleaned_data["due_on"],
                    patients=homework_form.cleaned_data["patients"] or None,
                )
            except ValidationError as error:
                add_service_error(homework_form, error)
            else:
                messages.success(request, "Homework assigned.")
                return redirect("sessions:note", pk=session.pk)
    elif request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if session.group_id:
                note = services.save_note(
                    session=session,
                    by=request.user,
                    topic=data["topic"],
                    topic_text=data["topic_text"],
                    summary=data["summary"],
                    check_ins=form.check_ins(),
                )
            else:
                note = services.save_note(session=session, by=request.user, **data)
            if "sign" in request.POST:
                services.sign_note(note=note, by=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if "sign" in request.POST:
                messages.success(
                    request,
                    "Note signed."
                    + (
                        " It now waits for your supervisor's co-signature."
                        if note.cosigner_id
                        else ""
                    ),
                )
            else:
                messages.success(request, "Draft saved.")
            return redirect("sessions:note", pk=session.pk)
    return render(
        request,
        "sessions/note.html",
        {
            "session": session,
            "note": note,
            "form": form,
            "homework_form": homework_form,
            "present": present,
            "assigned": Homework.objects.filter(session=session).select_related("patient"),
        },
    )


def _note_initial(note: Note, present: list[Patient]) -> dict[str, object]:
    initial = {
        name: getattr(note, name)
        for name in ("topic_text", "summary", "focus", "interventions", "response", "plan")
    }
    initial["topic"] = note.topic_id
    texts = dict(note.check_ins.values_list("patient_id", "text"))
    for patient in present:
        initial[f"check_in_{patient.pk}"] = texts.get(patient.pk, "")
    return initial


def _signed_note(
    request: HttpRequest, session: Session, note: Note, present: list[Patient]
) -> HttpResponse:
    form = AddendumForm(posted(request))
    if request.method == "POST" and "cosign" in request.POST:
        try:
            services.cosign_note(note=note, by=request.user)
        except (ValidationError, PermissionDenied) as error:
            messages.error(
                request, str(error.messages[0] if isinstance(error, ValidationError) else error)
            )
        else:
            messages.success(request, "Co-signed.")
        return redirect("sessions:note", pk=session.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_addendum(note=note, by=request.user, text=form.cleaned_data["text"])
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Addendum added; the original note is unchanged.")
            return redirect("sessions:note", pk=session.pk)
    return render(
        request,
        "sessions/note_signed.html",
        {
            "session": session,
            "note": note,
            "check_ins": note.check_ins.select_related("patient").order_by("patient__last_name"),
            "addenda": note.addenda.select_related("author"),
            "assigned": Homework.objects.filter(session=session).select_related("patient"),
            "form": form,
            "may_cosign": note.awaiting_cosign and note.cosigner_id == request.user.pk,
        },
    )


def review_queue(request: HttpRequest) -> HttpResponse:
    """Signed notes of my supervisees that wait for my co-signature."""
    _require(request, "therapy.cosign_note")
    notes = (
        Note.objects.filter(
            cosigner=request.user, cosigned_at__isnull=True, status=Note.Status.SIGNED
        )
        .select_related("author", "session__group", "session__patient")
        .order_by("signed_at")
    )
    return render(request, "sessions/review_queue.html", {"notes": notes})


# --- visits and the chart's panels ------------------------------------------------------


def visit_new(request: HttpRequest, patient_pk: int) -> HttpResponse:
    _require(request, "therapy.add_session")
    patient = get_patient_for_user(request.user, patient_pk)
    episode = patient.current_episode
    if episode is None:
        messages.error(request, f"{patient.display_name} has no open episode of care.")
        return redirect("care:patient_detail", pk=patient.pk)
    form = VisitForm(posted(request), user=request.user, location=episode.location)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.schedule_visit(by=request.user, patient=patient, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"{session.get_kind_display()} booked.")
            return redirect("sessions:session_detail", pk=session.pk)
    return render(request, "sessions/visit_form.html", {"form": form, "patient": patient})


def chart_hours(request: HttpRequest, patient_pk: int) -> HttpResponse:
    """The chart's hours panel: this week against target and the last twelve weeks."""
    _require(request, "therapy.view_compliance")
    patient = get_patient_for_user(request.user, patient_pk)
    today = patient.location.today()
    history = hours.patient_recent_weeks(patient, today)
    audit.record(actor=request.user, action=AuditAction.HOURS_VIEW, obj=patient)
    return render(
        request,
        "sessions/chart_hours.html#panel" if request.htmx else "sessions/chart_hours.html",
        {
            "patient": patient,
            "this_week": history[-1],
            "history": history,
            "bars": chart.bars(history),
        },
    )


def chart_care(request: HttpRequest, patient_pk: int) -> HttpResponse:
    """The chart's groups, homework and notes panel; each group note shows only this
    patient's own check-in."""
    patient = get_patient_for_user(request.user, patient_pk)
    _require(request, "therapy.view_therapygroup")
    context = {
        "patient": patient,
        "memberships": Membership.objects.filter(patient=patient)
        .current()
        .select_related("group__group_type", "group__facilitator"),
        "homework": Homework.objects.filter(patient=patient).select_related("session__group")[:10],
        "may_read_notes": may_read_notes(request.user),
    }
    if may_read_notes(request.user):
        entries = chart.note_entries(patient, limit=10)
        context["entries"] = entries
        audit.record(
            actor=request.user,
            action=AuditAction.NOTE_VIEW,
            obj=patient,
            data={"notes": [entry.note.pk for entry in entries]},
        )
    template = "sessions/chart_care.html#panel" if request.htmx else "sessions/chart_care.html"
    return render(request, template, context)
