from __future__ import annotations

import csv
import datetime as dt

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from middlepath.care.models import Patient
from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction, AuditEvent
from middlepath.reports.forms import AuditReportForm, ComplianceForm
from middlepath.sessions import hours

PAGE_SIZE = 50


class _Echo:
    def write(self, value: str) -> str:
        return value


@permission_required("privacy.view_auditevent", raise_exception=True)
def audit_report(request: HttpRequest) -> HttpResponse:
    """Who did what to which record, over a period (ONC 170.315(d)(2), (d)(3)).

    The form posts: the patient filter is an MRN, which must not sit in a URL.
    """
    if request.method == "POST":
        form = AuditReportForm(request.POST)
    else:
        form = AuditReportForm(AuditReportForm.defaults())
    context: dict[str, object] = {"form": form}
    if form.is_valid():
        events = form.filter(AuditEvent.objects.all())
        audit.record(
            actor=request.user,
            action=AuditAction.AUDIT_REPORT_VIEW,
            patient_id=form.cleaned_data.get("mrn"),
            data={
                "start": form.cleaned_data["start"].isoformat(),
                "end": form.cleaned_data["end"].isoformat(),
            },
        )
        if request.POST.get("format") == "csv":
            return _csv(events)
        paginator = Paginator(events, PAGE_SIZE)
        page = paginator.get_page(form.cleaned_data.get("page") or 1)
        mrns = dict(
            Patient.objects.filter(pk__in={e.patient_id for e in page if e.patient_id}).values_list(
                "pk", "mrn"
            )
        )
        for event in page:
            event.mrn = mrns.get(event.patient_id, "")
        context.update(page=page, paginator=paginator)
    return render(request, "reports/audit_report.html", context)


def _csv(events) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    mrns = dict(
        Patient.objects.filter(
            pk__in=events.exclude(patient_id=None).values("patient_id")
        ).values_list("pk", "mrn")
    )

    def rows():
        yield writer.writerow(
            [
                "seq",
                "occurred_at_utc",
                "user",
                "action",
                "outcome",
                "patient_mrn",
                "record",
                "address",
            ]
        )
        for event in events.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    event.seq,
                    event.occurred_at.isoformat(),
                    event.actor_username,
                    event.action,
                    event.outcome,
                    mrns.get(event.patient_id, ""),
                    f"{event.object_type}:{event.object_id}" if event.object_type else "",
                    event.remote_addr or "",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="audit-report.csv"'
    return response


@permission_required("therapy.view_compliance", raise_exception=True)
def compliance_report(request: HttpRequest) -> HttpResponse:
    """Every enrolled patient's minutes, days, target and status for one week and location."""
    form = ComplianceForm(request.GET or None, user=request.user)
    valid = form.is_valid() if form.is_bound else False
    location = (form.cleaned_data.get("location") if valid else None) or form.fields[
        "location"
    ].queryset.first()
    context: dict[str, object] = {"form": form, "location": location}
    if location is None:
        return render(request, "reports/compliance.html", context)
    day = (form.cleaned_data.get("week") if valid else None) or location.today()
    week, rows = hours.compliance(location, day)
    audit.record(
        actor=request.user,
        action=AuditAction.COMPLIANCE_REPORT_VIEW,
        data={"location_id": location.pk, "week": week.start.isoformat(), "patients": len(rows)},
    )
    if request.GET.get("format") == "csv":
        return _compliance_csv(location, week, rows)
    context.update(
        week=week,
        rows=rows,
        met=sum(1 for row in rows if row.status == hours.MET),
        below=sum(1 for row in rows if row.status == hours.BELOW),
        partial=sum(1 for row in rows if row.status == hours.PARTIAL),
        previous=week.previous().start,
        next=week.start + dt.timedelta(days=7),
    )
    return render(request, "reports/compliance.html", context)


def _compliance_csv(location, week, rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = (
        f'attachment; filename="compliance-{location.code}-{week.start.isoformat()}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        [
            "week",
            "location",
            "mrn",
            "patient",
            "track",
            "phase",
            "minutes",
            "days",
            "target_minutes",
            "shortfall_minutes",
            "status",
        ]
    )
    for row in rows:
        writer.writerow(
            [
                week.start.isoformat(),
                location.code,
                row.mrn,
                row.name,
                row.track,
                row.phase,
                row.minutes,
                row.days,
                row.target,
                row.shortfall,
                row.status,
            ]
        )
    return response
