from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_not_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from middlepath.care.models import Episode
from middlepath.clinic.models import Location, Phase, Track
from middlepath.intake.access import dashboard_counts as inquiry_counts
from middlepath.sessions import hours
from middlepath.sessions.models import Attendance, Session, TherapyGroup


@login_not_required
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "web/home.html", {"locations": Location.objects.filter(is_active=True)})


def dashboard(request: HttpRequest) -> HttpResponse:
    """Today at one location: who is enrolled on each track, and the week's movement."""
    locations = request.user.sites()
    location = request.user.site(request.GET.get("location"), locations)
    context: dict[str, object] = {"location": location, "locations": locations}
    if location is None:
        return render(request, "web/dashboard.html", context)
    today = location.today()
    week_ago = today - dt.timedelta(days=6)
    enrolled = Episode.objects.active_on(today).at(location)
    counts = {
        (row["track_id"], row["phase_id"]): row["patients"]
        for row in enrolled.values("track_id", "phase_id").annotate(patients=Count("pk"))
    }
    tracks = list(Track.objects.filter(location=location, is_active=True).select_related("program"))
    phases = list(
        Phase.objects.filter(program__in={t.program_id for t in tracks}).order_by("order")
    )
    census = [
        {
            "track": track,
            "meets_today": track.meets_on(today),
            "by_phase": [
                (phase, counts.get((track.pk, phase.pk), 0))
                for phase in phases
                if phase.program_id == track.program_id
            ],
            "total": sum(n for (track_id, _), n in counts.items() if track_id == track.pk),
        }
        for track in tracks
    ]
    context.update(_sessions_today(request, location, today))
    context.update(
        today=today,
        census=census,
        census_total=sum(counts.values()),
        admitted_this_week=Episode.objects.at(location)
        .filter(admitted_on__range=(week_ago, today))
        .count(),
        discharged_this_week=Episode.objects.at(location)
        .filter(discharged_on__range=(week_ago, today))
        .count(),
    )
    context["inquiry_counts"] = inquiry_counts(request.user, location)
    return render(request, "web/dashboard.html", context)


ABSENCE_DAYS = 7
LIST_LIMIT = 25


def _sessions_today(request: HttpRequest, location: Location, today: dt.date) -> dict[str, object]:
    """Today's sessions and who needs outreach: absences, patients short of their hours."""
    user = request.user
    context: dict[str, object] = {}
    if user.has_perm("therapy.view_schedule"):
        context["sessions_today"] = (
            Session.objects.filter(location=location, date=today)
            .select_related("group", "patient", "room", "facilitator")
            .annotate(recorded=Count("attendance"))
            .order_by("start_time")[:LIST_LIMIT]
        )
        groups = (
            TherapyGroup.objects.active().filter(track__location=location).with_member_count(today)
        )
        context["small_groups"] = [
            group
            for group in groups.select_related("group_type", "track").order_by("name")
            if group.member_count < group.group_type.min_size
        ]
    if user.has_perm("therapy.view_compliance"):
        week, short = hours.shortfalls(location, today)
        context.update(week=week, shortfalls=short[:LIST_LIMIT], shortfall_count=len(short))
        context["absences"] = (
            Attendance.objects.absences()
            .filter(
                session__location=location,
                date__range=(today - dt.timedelta(days=ABSENCE_DAYS), today),
            )
            .select_related("patient", "session__group")
            .order_by("-date", "patient__last_name")[:LIST_LIMIT]
        )
    return context
