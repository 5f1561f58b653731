"""Weekly schedules and their private calendar links; the roster builder joins these."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from middlepath.care.access import get_patient_for_user
from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction
from middlepath.roster import calendars
from middlepath.roster.models import CalendarFeed
from middlepath.sessions.hours import Week


def _week(request: HttpRequest, today: dt.date) -> Week:
    try:
        day = dt.date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        day = today
    return Week.containing(day)


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
