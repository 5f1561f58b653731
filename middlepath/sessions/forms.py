"""Forms for groups, the day's schedule, attendance and notes. They only validate input."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from middlepath.accounts.models import User
from middlepath.accounts.roles import CLINICAL_ROLES
from middlepath.care.models import Patient
from middlepath.clinic.models import WEEKDAY_LABELS, CurriculumTopic, Location, Room, Track
from middlepath.sessions.models import Attendance, Session, TherapyGroup
from middlepath.web.forms import DateField


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


WEEKDAY_CHOICES = [(number, label) for number, label in enumerate(WEEKDAY_LABELS, start=1)]


def clinicians_at(location_ids) -> Any:
    return (
        User.objects.filter(
            is_active=True, groups__name__in=[role.value for role in CLINICAL_ROLES]
        )
        .filter(locations__in=location_ids)
        .distinct()
    )


class GroupForm(forms.ModelForm):
    meeting_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAY_CHOICES, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = TherapyGroup
        fields = [
            "name",
            "group_type",
            "track",
            "stage",
            "facilitator",
            "co_facilitator",
            "room",
            "meeting_days",
            "start_time",
            "minutes",
        ]
        widgets = {"start_time": TimeInput()}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locations = user.location_ids()
        if "track" in self.fields:
            self.fields["track"].queryset = Track.objects.filter(
                location__in=locations, is_active=True
            ).select_related("location")
        self.fields["room"].queryset = Room.objects.filter(
            location__in=locations, is_active=True
        ).select_related("location")
        self.fields["facilitator"].queryset = clinicians_at(locations)
        self.fields["co_facilitator"].queryset = clinicians_at(locations)
        if self.instance.pk:
            self.initial["meeting_days"] = self.instance.meeting_days


class GroupEditForm(GroupForm):
    class Meta(GroupForm.Meta):
        fields = [
            "name",
            "stage",
            "facilitator",
            "co_facilitator",
            "room",
            "meeting_days",
            "start_time",
            "minutes",
            "is_active",
        ]


class AddMemberForm(forms.Form):
    patient = forms.ModelChoiceField(queryset=Patient.objects.none(), label="Add a member")

    def __init__(self, *args: Any, group: TherapyGroup, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        eligible = Patient.objects.filter(
            episodes__discharged_on__isnull=True, episodes__track=group.track_id
        ).exclude(memberships__group=group, memberships__left_on__isnull=True)
        if group.group_type.same_stage:
            eligible = eligible.filter(recovery_stage=group.stage)
        self.fields["patient"].queryset = eligible.order_by("last_name", "first_name")
        self.fields["patient"].label_from_instance = lambda p: (
            f"{p.last_name}, {p.first_name} ({p.mrn})"
        )


class GuestForm(forms.Form):
    patient = forms.ModelChoiceField(queryset=Patient.objects.none(), label="Guest of")
    name = forms.CharField(max_length=120)
    relationship = forms.CharField(max_length=60, help_text="e.g. spouse, mother, son")

    def __init__(self, *args: Any, group: TherapyGroup, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = Patient.objects.filter(
            memberships__group=group, memberships__left_on__isnull=True
        ).order_by("last_name")


class DateRangeForm(forms.Form):
    first = DateField(label="From")
    last = DateField(label="To")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("first") and data.get("last") and data["last"] < data["first"]:
            self.add_error("last", "The end date is before the start date.")
        return data


class ScheduleForm(forms.Form):
    date = DateField(required=False)
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), required=False, empty_label=None
    )
    mine = forms.BooleanField(required=False, label="Only my sessions")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.filter(pk__in=user.location_ids())


class AttendanceRowForm(forms.Form):
    status = forms.ChoiceField(choices=Attendance.Status.choices)
    minutes = forms.IntegerField(required=False, min_value=0, max_value=480)


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=200, help_text="Staff illness, weather, holiday…")


class GroupNoteForm(forms.Form):
    topic = forms.ModelChoiceField(
        queryset=CurriculumTopic.objects.none(), required=False, label="Topic or skill (curriculum)"
    )
    topic_text = forms.CharField(
        max_length=200,
        required=False,
        label="…or in your words",
        help_text="When the group worked on something outside the curriculum.",
    )
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=8000,
        label="Summary",
        help_text="What the group did and how members took part.",
    )

    def __init__(self, *args: Any, session: Session, present: list[Patient], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = CurriculumTopic.objects.filter(
            group_type=session.group.group_type_id, is_active=True
        )
        self.present = present
        for patient in present:
            self.fields[f"check_in_{patient.pk}"] = forms.CharField(
                label=patient.display_name,
                required=False,
                max_length=600,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def check_ins(self) -> dict[int, str]:
        return {
            patient.pk: self.cleaned_data.get(f"check_in_{patient.pk}", "")
            for patient in self.present
        }

    def check_in_fields(self) -> list[forms.BoundField]:
        return [self[f"check_in_{patient.pk}"] for patient in self.present]


class VisitNoteForm(forms.Form):
    focus = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=8000,
        help_text="What the session addressed.",
    )
    interventions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=8000
    )
    response = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=8000,
        help_text="The patient's response and progress.",
    )
    plan = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=8000
    )


class HomeworkForm(forms.Form):
    text = forms.CharField(
        max_length=500, label="Homework", widget=forms.Textarea(attrs={"rows": 2})
    )
    due_on = DateField(label="Due")
    patients = forms.ModelMultipleChoiceField(
        queryset=Patient.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Only for",
        help_text="Leave empty to assign it to everyone present.",
    )

    def __init__(self, *args: Any, present: list[Patient], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["patients"].queryset = Patient.objects.filter(pk__in=[p.pk for p in present])
        self.fields["patients"].label_from_instance = lambda p: p.display_name


class AddendumForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=8000, label="Addendum"
    )


class VisitForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[c for c in Session.Kind.choices if c[0] != Session.Kind.GROUP]
    )
    date = DateField(initial=timezone.localdate)
    start_time = forms.TimeField(widget=TimeInput(), initial=dt.time(13, 0))
    minutes = forms.IntegerField(min_value=5, max_value=480, initial=60)
    facilitator = forms.ModelChoiceField(queryset=User.objects.none(), label="Clinician")
    room = forms.ModelChoiceField(
        queryset=Room.objects.none(),
        required=False,
        help_text="Leave empty for an office or telehealth.",
    )

    def __init__(self, *args: Any, user: User, location: Location, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facilitator"].queryset = clinicians_at([location.pk])
        self.fields["room"].queryset = Room.objects.filter(location=location, is_active=True)
        self.initial.setdefault("facilitator", user.pk)
