"""Weekly schedules and their private calendar links; the roster builder joins these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from middlepath.care.access import get_patient_for_user
from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction
from middlepath.roster import adapter, availability, calendars, proposal, runner
from middlepath.roster.adapter import week_start_of
from middlepath.roster.models import CalendarFeed, RosterRun, WeekPlan
from middlepath.sessions.hours import Week
from middlepath.web.forms import date_from_query


def _week(request: HttpRequest, today: dt.date) -> Week:
    return Week.containing(date_from_query(request.GET.get("week")) or today)


def _feed_url(request: HttpRequest, key: str) -> str:
    return request.build_absolute_uri(reverse("roster:feed", args=[key]))


def _render_week(request: HttpRequest, owner, week: Week, context: dict) -> HttpResponse:
    context.update(
        week=week,
        days=calendars.week_days(owner, week),
        previous=week.previous().start,
        next=week.start + dt.timedelta(days=7),
        new_feed_url=_feed_url(request, request.session.pop("new_feed_key"))
        if "new_feed_key" in request.session
        else "",
    )
    return render(request, "roster/week.html", context)


def patient_schedule(request: HttpRequest, patient_pk: int) -> HttpResponse:
    if not request.user.has_perm("therapy.view_session"):
        raise PermissionDenied
    patient = get_patient_for_user(request.user, patient_pk)
    week = _week(request, patient.location.today())
    audit.record(
        actor=request.user,
        action=AuditAction.SCHEDULE_VIEW,
        obj=patient,
        data={"week": week.start.isoformat()},
    )
    return _render_week(
        request,
        patient,
        week,
        {
            "patient": patient,
            "title": f"Schedule: {patient.display_name}",
            "has_feed": CalendarFeed.objects.active().filter(patient=patient).exists(),
            "feed_action": reverse("roster:patient_feed", args=[patient.pk]),
            "may_manage_feed": request.user.has_perm("care.change_patient"),
        },
    )


def my_schedule(request: HttpRequest) -> HttpResponse:
    user = request.user
    week = _week(request, timezone.localdate())
    return _render_week(
        request,
        user,
        week,
        {
            "title": "My schedule",
            "has_feed": CalendarFeed.objects.active().filter(user=user).exists(),
            "feed_action": reverse("roster:my_feed"),
            "may_manage_feed": True,
        },
    )


def _manage_feed(request: HttpRequest, owner, back: str) -> HttpResponse:
    if request.POST.get("action") == "revoke":
        calendars.revoke_feeds(owner=owner, by=request.user)
        messages.success(request, "The calendar link is revoked; calendars using it stop updating.")
    else:
        _, key = calendars.create_feed(owner=owner, by=request.user)
        # Shown once, on the next page, from the session: a secret never goes into a URL
        # the browser keeps in its history.
        request.session["new_feed_key"] = key
        messages.success(request, "New calendar link made; any earlier link no longer works.")
    return redirect(back)


@require_POST
def patient_feed(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_pk, write=True)
    return _manage_feed(request, patient, reverse("roster:patient_schedule", args=[patient.pk]))


@require_POST
def my_feed(request: HttpRequest) -> HttpResponse:
    return _manage_feed(request, request.user, reverse("roster:my_schedule"))


@login_not_required
def feed(request: HttpRequest, key: str) -> HttpResponse:
    """The .ics feed behind a private link (calendar apps cannot sign in)."""
    body = calendars.read_feed(key, remote_addr=request.META.get("REMOTE_ADDR"))
    if body is None:
        raise Http404("No such calendar.")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="schedule.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- the weekly roster --------------------------------------------------------------------


def _require_builder(request: HttpRequest) -> None:
    if not request.user.has_perm("roster.build_roster"):
        raise PermissionDenied


def _plan_for(request: HttpRequest) -> WeekPlan:
    data = request.POST if request.method == "POST" else request.GET
    location = request.user.site(data.get("location"))
    if location is None:
        raise Http404("You are not assigned to a location.")
    # Next week by default.
    day = date_from_query(data.get("week")) or location.today() + dt.timedelta(days=7)
    return WeekPlan.objects.for_week(location, week_start_of(day))


def roster(request: HttpRequest) -> HttpResponse:
    """Availability for a week at a location, the build, and the proposed roster."""
    _require_builder(request)
    plan = _plan_for(request)
    run = plan.runs.first()
    if run is not None:
        run.give_up_if_stale(timezone.now())
    audit.record(
        actor=request.user,
        action=AuditAction.ROSTER_VIEW,
        obj=plan.location,
        data={"week": plan.week_start.isoformat()},
    )
    context = {
        "plan": plan,
        "locations": request.user.sites(),
        "run": run,
        "previous": plan.week_start - dt.timedelta(days=7),
        "next": plan.week_start + dt.timedelta(days=7),
        "seconds": settings.ROSTER_DEFAULT_SECONDS,
        **availability.context(plan, find=request.GET.get("q", "")[:100]),
    }
    if run is not None and run.solution:
        context["proposal"] = proposal.build(
            plan.location, plan.week_start, run.instance, run.solution
        )
        context["change"] = adapter.compare(
            plan.location, plan.week_start, run.instance, run.solution
        )
    return render(request, "roster/roster.html", context)


@require_POST
def roster_build(request: HttpRequest) -> HttpResponse:
    _require_builder(request)
    plan = _plan_for(request)
    latest = plan.runs.first()
    if latest is not None and not latest.give_up_if_stale(timezone.now()) and latest.is_active:
        messages.info(request, "A roster for this week is already being built.")
        return redirect(_roster_url(plan))
    try:
        seconds = max(
            5, min(300, int(request.POST.get("seconds") or settings.ROSTER_DEFAULT_SECONDS))
        )
    except ValueError:
        seconds = settings.ROSTER_DEFAULT_SECONDS
    with transaction.atomic():
        run = RosterRun.objects.create(
            plan=plan,
            seconds=seconds,
            created_by=request.user,
            instance=adapter.build_instance([plan.location], plan.week_start),
        )
        audit.record(
            actor=request.user,
            action=AuditAction.ROSTER_BUILD,
            obj=plan.location,
            data={"run_id": run.pk, "week": plan.week_start.isoformat()},
        )
        runner.start(run)
    return redirect(_roster_url(plan))


def _roster_url(plan: WeekPlan) -> str:
    return (
        f"{reverse('roster:roster')}?location={plan.location_id}&week={plan.week_start.isoformat()}"
    )


def _run_for(request: HttpRequest, pk: int) -> RosterRun:
    _require_builder(request)
    run = (
        RosterRun.objects.select_related("plan__location")
        .filter(pk=pk, plan__location__in=request.user.location_ids())
        .first()
    )
    if run is None:
        raise Http404("No such roster.")
    return run


def roster_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """Polled while the roster builds; reloads the page when it is ready."""
    run = _run_for(request, pk)
    run.give_up_if_stale(timezone.now())
    response = render(request, "roster/roster.html#progress", {"run": run, "plan": run.plan})
    if not run.is_active:
        response["HX-Refresh"] = "true"
    return response


def roster_members(request: HttpRequest, pk: int) -> HttpResponse:
    """One session's members in a proposed roster, with a way to move each: asked for when
    the director opens the session in the grid (or, without scripts, as a page of its own)."""
    run = _run_for(request, pk)
    members = proposal.session_members(run.solution or {}, request.GET.get("session", ""))
    if members is None:
        raise Http404("No such session in this roster.")
    audit.record(
        actor=request.user,
        action=AuditAction.ROSTER_VIEW,
        obj=run.plan.location,
        data={"week": run.plan.week_start.isoformat(), "session": members.session["id"]},
    )
    context = {"run": run, "plan": run.plan, "members": members}
    if request.htmx:
        return render(request, "roster/roster.html#members", context)
    return render(request, "roster/members.html", context)


def _hand_edit(
    request: HttpRequest, pk: int, edit: Callable[[RosterRun], dict[str, Any]]
) -> HttpResponse:
    """Applies `edit` (the run to its edited solution) to a finished run's proposal; a
    refused edit shows its reason and changes nothing."""
    run = _run_for(request, pk)
    if run.solution is None or run.status != RosterRun.Status.DONE:
        raise Http404("Nothing to edit.")
    try:
        run.solution = edit(run)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        run.edited = True
        run.save(update_fields=["solution", "edited"])
    return redirect(_roster_url(run.plan) + "#proposal")


@require_POST
def roster_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a patient by hand; the validator's verdict shows at once."""
    return _hand_edit(
        request,
        pk,
        lambda run: proposal.move(
            run.instance,
            run.solution,
            patient=request.POST.get("patient", ""),
            slot=request.POST.get("slot", ""),
            to_session=request.POST.get("to", ""),
        ),
    )


@require_POST
def roster_seat(request: HttpRequest, pk: int) -> HttpResponse:
    """Seat a patient without a full week in the free seats that make it."""
    return _hand_edit(
        request,
        pk,
        lambda run: proposal.seat(
            run.instance, run.solution, patient=request.POST.get("patient", "")
        ),
    )


@require_POST
def roster_apply(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_for(request, pk)
    if run.solution is None or run.status != RosterRun.Status.DONE:
        messages.error(request, "There is no finished roster to apply.")
        return redirect(_roster_url(run.plan))
    try:
        applied = adapter.apply_solution(
            location=run.plan.location,
            week_start=run.plan.week_start,
            instance=run.instance,
            solution=run.solution,
            by=request.user,
        )
    except ValidationError as error:
        messages.error(request, "The roster was not applied: " + " ".join(error.messages))
        return redirect(_roster_url(run.plan))
    RosterRun.objects.filter(pk=run.pk).update(
        status=RosterRun.Status.APPLIED, applied_at=timezone.now(), applied_by=request.user
    )
    messages.success(
        request, f"Roster applied: {applied.sessions} sessions, {applied.seats} seats."
    )
    return redirect(
        f"{reverse('sessions:schedule')}?location={run.plan.location_id}&date={run.plan.week_start.isoformat()}"
    )


@require_POST
def availability_patient(request: HttpRequest, pk: int) -> HttpResponse:
    _require_builder(request)
    plan = get_object_or_404(WeekPlan, pk=pk, location__in=request.user.location_ids())
    row = availability.save_patient_days(
        plan=plan,
        by=request.user,
        patient_id=request.POST.get("patient", ""),
        days=request.POST.getlist("days"),
    )
    if request.htmx:
        return render(
            request, "roster/roster.html#patient_row", {"plan": plan, "row": row, "saved": True}
        )
    return redirect(_roster_url(plan))


def availability_find(request: HttpRequest, pk: int) -> HttpResponse:
    """The patients' days table, only the patients a name or MRN finds (typed on the
    Roster page)."""
    _require_builder(request)
    plan = get_object_or_404(WeekPlan, pk=pk, location__in=request.user.location_ids())
    days = availability.patient_days(plan, find=request.GET.get("q", "")[:100])
    audit.record(
        actor=request.user,
        action=AuditAction.ROSTER_VIEW,
        obj=plan.location,
        data={"week": plan.week_start.isoformat(), "patients_found": len(days["patient_rows"])},
    )
    return render(request, "roster/roster.html#patient_days", {"plan": plan, **days})


@require_POST
def availability_staff(request: HttpRequest, pk: int) -> HttpResponse:
    _require_builder(request)
    plan = get_object_or_404(WeekPlan, pk=pk, location__in=request.user.location_ids())
    availability.save_staff_slots(
        plan=plan,
        by=request.user,
        user_id=request.POST.get("user", ""),
        slots=request.POST.getlist("slots"),
    )
    messages.success(request, "Staff hours saved.")
    return redirect(_roster_url(plan) + "#staff")


@require_POST
def availability_rooms(request: HttpRequest, pk: int) -> HttpResponse:
    _require_builder(request)
    plan = get_object_or_404(WeekPlan, pk=pk, location__in=request.user.location_ids())
    availability.save_closed_rooms(
        plan=plan, by=request.user, room_ids=request.POST.getlist("closed")
    )
    messages.success(request, "Rooms saved.")
    return redirect(_roster_url(plan) + "#rooms")
