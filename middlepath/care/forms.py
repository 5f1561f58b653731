"""Forms for the chart: they validate input and hand cleaned data to services.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from middlepath.accounts.models import User
from middlepath.accounts.roles import Role
from middlepath.care.models import (
    EPISODE_LEVELS,
    DischargeReason,
    Episode,
    Patient,
    PatientQuerySet,
    ReferralSource,
)
from middlepath.care.services import PATIENT_FIELDS
from middlepath.clinic.models import Location, Phase, Track
from middlepath.web.forms import DateField


class PatientFilterForm(forms.Form):
    STATUS_CHOICES = [("active", "Enrolled"), ("discharged", "Not enrolled"), ("all", "All")]

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        help_text="Name or MRN.",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), required=False, empty_label="All my locations"
    )
    track = forms.ModelChoiceField(
        queryset=Track.objects.none(), required=False, empty_label="Any track"
    )
    phase = forms.ModelChoiceField(
        queryset=Phase.objects.none(), required=False, empty_label="Any phase"
    )
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False, initial="active")
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locations = Location.objects.filter(pk__in=user.location_ids())
        self.fields["location"].queryset = locations
        self.fields["track"].queryset = Track.objects.filter(location__in=locations).select_related(
            "location"
        )
        self.fields["phase"].queryset = Phase.objects.all()

    def filter(self, patients: PatientQuerySet) -> PatientQuerySet:
        data = self.cleaned_data
        status = data.get("status") or "active"
        episodes = Episode.objects.all()
        if status == "active":
            patients = patients.active()
            episodes = episodes.open()
        elif status == "discharged":
            patients = patients.inactive()
        if data.get("location"):
            patients = patients.filter(location=data["location"])
        if data.get("track") or data.get("phase"):
            if data.get("track"):
                episodes = episodes.filter(track=data["track"])
            if data.get("phase"):
                episodes = episodes.filter(phase=data["phase"])
            patients = patients.filter(pk__in=episodes.values("patient_id"))
        return patients.search(data.get("q") or "")


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = PATIENT_FIELDS
        field_classes = {"date_of_birth": DateField}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.filter(pk__in=user.location_ids())
        self.fields["location"].label = "Responsible location"


def counselors_at(locations: Any) -> Any:
    return User.objects.with_role(Role.COUNSELOR).filter(locations__in=locations).distinct()


class OpenEpisodeForm(forms.Form):
    track = forms.ModelChoiceField(
        queryset=Track.objects.none(), help_text="Sets the location and program."
    )
    phase = forms.ModelChoiceField(queryset=Phase.objects.none())
    level_of_care = forms.ChoiceField(
        choices=[(level.value, level.label) for level in EPISODE_LEVELS], initial="2.1"
    )
    admitted_on = DateField(initial=timezone.localdate)
    referral_source = forms.ChoiceField(choices=ReferralSource.choices)
    primary_counselor = forms.ModelChoiceField(queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locations = Location.objects.filter(pk__in=user.location_ids())
        self.fields["track"].queryset = Track.objects.filter(
            location__in=locations, is_active=True
        ).select_related("location")
        self.fields["phase"].queryset = Phase.objects.all()
        self.fields["primary_counselor"].queryset = counselors_at(locations)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        track, phase = data.get("track"), data.get("phase")
        if track and phase and track.program_id != phase.program_id:
            self.add_error("phase", "This phase belongs to another program than the track.")
        counselor = data.get("primary_counselor")
        if track and counselor and not counselor.locations.filter(pk=track.location_id).exists():
            self.add_error("primary_counselor", f"{counselor} does not work at {track.location}.")
        return data


class ChangeEpisodeForm(forms.Form):
    level_of_care = forms.ChoiceField(
        choices=[(level.value, level.label) for level in EPISODE_LEVELS]
    )
    phase = forms.ModelChoiceField(queryset=Phase.objects.none())
    track = forms.ModelChoiceField(queryset=Track.objects.none())
    effective_on = DateField(initial=timezone.localdate)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Why care is changing: progress, a lapse, a schedule change. "
        "Up and down moves are both normal.",
    )

    def __init__(self, *args: Any, episode: Episode, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "level_of_care": episode.level_of_care,
                "phase": episode.phase_id,
                "track": episode.track_id,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["phase"].queryset = Phase.objects.filter(program=episode.program_id)
        self.fields["track"].queryset = Track.objects.filter(
            program=episode.program_id, location=episode.location_id, is_active=True
        )


class DischargeForm(forms.Form):
    discharged_on = DateField(initial=timezone.localdate)
    reason = forms.ChoiceField(choices=DischargeReason.choices)
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000
    )
