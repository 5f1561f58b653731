"""The chart's coverage panel: who pays for the patient's care."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from middlepath.billing.models import Coverage
from middlepath.care.access import get_patient_for_user
from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction


def chart_coverage(request: HttpRequest, patient_pk: int) -> HttpResponse:
    if not request.user.has_perm("billing.view_coverage"):
        raise PermissionDenied
    patient = get_patient_for_user(request.user, patient_pk)
    coverages = Coverage.objects.filter(patient=patient)
    audit.record(actor=request.user, action=AuditAction.COVERAGE_VIEW, obj=patient)
    template = (
        "billing/chart_coverage.html#panel" if request.htmx else "billing/chart_coverage.html"
    )
    return render(request, template, {"patient": patient, "coverages": coverages})
