"""The patient list and chart, and the forms that change a patient's care."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from middlepath.care import services
from middlepath.care.access import get_episode_for_user, get_patient_for_user, visible_patients
from middlepath.care.forms import (
    ChangeEpisodeForm,
    DischargeForm,
    OpenEpisodeForm,
    PatientFilterForm,
    PatientForm,
)
from middlepath.care.models import CareTeamMember, EpisodeChange
from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction
from middlepath.web.forms import add_service_error, posted

PAGE_SIZE = 25


def patient_list(request: HttpRequest) -> HttpResponse:
    """Patients at the user's sites, filtered and searched.

    Searching posts the form: a name typed into the search box is PHI and must not travel
    in a URL (browser history, server and proxy logs). Filters by id can be linked to.
    """
    if not request.user.has_perm("care.view_patient"):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET.copy()
    if request.method != "POST":
        data.pop("q", None)
    form = PatientFilterForm(data or None, user=request.user)
    patients = visible_patients(request.user)
    if form.is_bound and form.is_valid():
        patients = form.filter(patients)
        page_number = form.cleaned_data.get("page") or 1
    else:
        patients = patients.active()
        page_number = 1
    paginator = Paginator(patients.with_current_episode().select_related("location"), PAGE_SIZE)
    page = paginator.get_page(page_number)
    audit.record(
        actor=request.user,
        action=AuditAction.PATIENT_SEARCH,
        data={"results": paginator.count, "page": page.number},
    )
    context = {"form": form, "page": page, "paginator": paginator}
    template = "care/patient_list.html#results" if request.htmx else "care/patient_list.html"
    return render(request, template, context)


def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, pk)
    episodes = list(
        patient.episodes.select_related(
            "track", "phase", "location", "program", "primary_counselor"
        ).prefetch_related(
            Prefetch(
                "changes",
                queryset=EpisodeChange.objects.select_related(
                    "from_phase", "to_phase", "from_track", "to_track", "recorded_by"
                ),
            ),
            Prefetch("care_team", queryset=CareTeamMember.objects.select_related("user")),
        )
    )
    audit.record(actor=request.user, action=AuditAction.PATIENT_VIEW, obj=patient)
    current = next((episode for episode in episodes if episode.is_open), None)
    today = patient.location.today()
    return render(
        request,
        "care/patient_detail.html",
        {
            "patient": patient,
            "episodes": episodes,
            "current": current,
            "past": [episode for episode in episodes if not episode.is_open],
            "age": patient.age_on(today),
            "days_in_care": (today - current.admitted_on).days + 1 if current else None,
        },
    )


def patient_create(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("care.add_patient"):
        raise PermissionDenied
    form = PatientForm(posted(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.register_patient(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"{patient.display_name} registered with MRN {patient.mrn}.")
            return redirect("care:patient_detail", pk=patient.pk)
    return render(request, "care/patient_form.html", {"form": form, "patient": None})


def patient_edit(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, pk, write=True)
    form = PatientForm(posted(request), instance=patient, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                changed = services.update_patient(
                    patient=patient, by=request.user, changes=form.cleaned_data
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, "Details saved." if changed else "Nothing changed.")
                return redirect("care:patient_detail", pk=patient.pk)
    else:
        audit.record(
            actor=request.user, action=AuditAction.PATIENT_VIEW, obj=patient, data={"page": "edit"}
        )
    return render(request, "care/patient_form.html", {"form": form, "patient": patient})


def episode_open(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, pk)
    if not request.user.has_perm("care.add_episode"):
        raise PermissionDenied
    form = OpenEpisodeForm(posted(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.open_episode(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"{patient.display_name} admitted.")
            return redirect("care:patient_detail", pk=patient.pk)
    return render(
        request,
        "care/episode_form.html",
        {"form": form, "patient": patient, "title": "Admit", "submit_label": "Admit"},
    )


def episode_change(request: HttpRequest, pk: int) -> HttpResponse:
    episode = get_episode_for_user(request.user, pk, permission="care.change_episode")
    form = ChangeEpisodeForm(posted(request), episode=episode)
    if request.method == "POST" and form.is_valid():
        try:
            change = services.change_episode(episode=episode, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            what = change.direction or "change"
            messages.success(request, f"Care updated ({what}).")
            return redirect("care:patient_detail", pk=episode.patient_id)
    return render(
        request,
        "care/episode_form.html",
        {
            "form": form,
            "patient": episode.patient,
            "episode": episode,
            "title": "Change level of care, phase or track",
            "submit_label": "Save change",
        },
    )


def episode_discharge(request: HttpRequest, pk: int) -> HttpResponse:
    episode = get_episode_for_user(request.user, pk, permission="care.discharge_episode")
    form = DischargeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.discharge_episode(
                episode=episode,
                by=request.user,
                discharged_on=form.cleaned_data["discharged_on"],
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"{episode.patient.display_name} discharged.")
            return redirect("care:patient_detail", pk=episode.patient_id)
    return render(
        request,
        "care/episode_form.html",
        {
            "form": form,
            "patient": episode.patient,
            "episode": episode,
            "title": "Discharge",
            "submit_label": "Discharge",
        },
    )
