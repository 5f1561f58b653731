from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from middlepath.accounts.models import User
from middlepath.care.models import Patient
from middlepath.clinic.models import Location
from middlepath.privacy.models import AuditAction, AuditEventQuerySet, AuditOutcome
from middlepath.web.forms import DateField

MAX_REPORT_DAYS = 366


class AuditReportForm(forms.Form):
    """The audit report's period and filters (ONC 170.315(d)(3))."""

    SORTS = {
        "newest": ("-occurred_at", "-seq"),
        "oldest": ("occurred_at", "seq"),
        "user": ("actor_username", "-seq"),
        "patient": ("patient_id", "-seq"),
        "action": ("action", "-seq"),
    }

    start = DateField(label="From")
    end = DateField(label="To")
    user = forms.ModelChoiceField(queryset=User.objects.all(), required=False, empty_label="Anyone")
    mrn = forms.CharField(label="Patient MRN", required=False, max_length=12)
    action = forms.ChoiceField(choices=[("", "Any action"), *AuditAction.choices], required=False)
    outcome = forms.ChoiceField(
        choices=[("", "Any outcome"), *AuditOutcome.choices], required=False
    )
    sort = forms.ChoiceField(
        choices=[
            ("newest", "Newest first"),
            ("oldest", "Oldest first"),
            ("user", "User"),
            ("patient", "Patient"),
            ("action", "Action"),
        ],
        required=False,
    )
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        today = timezone.localdate()
        return {"start": today - dt.timedelta(days=6), "end": today, "sort": "newest"}

    def clean_mrn(self) -> int | None:
        mrn = self.cleaned_data["mrn"].strip().upper()
        if not mrn:
            return None
        patient_id = Patient.objects.filter(mrn=mrn).values_list("pk", flat=True).first()
        if patient_id is None:
            raise forms.ValidationError("No patient has this MRN.")
        return patient_id

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The period must end on or after its start.")
            elif (end - start).days > MAX_REPORT_DAYS:
                self.add_error("end", f"Report on at most {MAX_REPORT_DAYS} days at a time.")
        return data

    def filter(self, events: AuditEventQuerySet) -> AuditEventQuerySet:
        data = self.cleaned_data
        zone = timezone.get_current_timezone()
        since = dt.datetime.combine(data["start"], dt.time.min, tzinfo=zone)
        until = dt.datetime.combine(data["end"] + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        events = events.filter(occurred_at__gte=since, occurred_at__lt=until)
        if data.get("user"):
            events = events.filter(actor=data["user"])
        if data.get("mrn"):
            events = events.filter(patient_id=data["mrn"])
        if data.get("action"):
            events = events.filter(action=data["action"])
        if data.get("outcome"):
            events = events.filter(outcome=data["outcome"])
        return events.order_by(*self.SORTS[data.get("sort") or "newest"])


class ComplianceForm(forms.Form):
    """Week (any day in it) and location of the compliance report; ids and dates only."""

    week = DateField(required=False, help_text="Any day of the week.")
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), required=False, empty_label=None
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.filter(pk__in=user.location_ids())
