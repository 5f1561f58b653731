from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_not_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from middlepath.care.models import Episode
from middlepath.clinic.models import Location, Phase, Track


@login_not_required
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "web/home.html", {"locations": Location.objects.filter(is_active=True)})


def _chosen_location(request: HttpRequest) -> tuple[Location | None, list[Location]]:
    locations = list(Location.objects.filter(pk__in=request.user.location_ids(), is_active=True))
    wanted = request.GET.get("location", "")
    chosen = next((loc for loc in locations if str(loc.pk) == wanted), None)
    return chosen or (locations[0] if locations else None), locations


def dashboard(request: HttpRequest) -> HttpResponse:
    """Today at one location: who is enrolled on each track, and the week's movement."""
    location, locations = _chosen_location(request)
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
    return render(request, "web/dashboard.html", context)
