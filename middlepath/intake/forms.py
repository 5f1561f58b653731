"""Forms for the consultation request and the intake pipeline.

They validate input and hand cleaned data to services.py; they never save.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from middlepath.accounts.models import User
from middlepath.accounts.roles import Role
from middlepath.care.forms import counselors_at
from middlepath.care.models import EPISODE_LEVELS, ReferralSource, phone_validator
from middlepath.clinic.models import Location, Phase, Track
from middlepath.intake import recommend
from middlepath.intake.models import (
    LEVEL_CHOICES,
    OPEN_STATUSES,
    SUBSTANCE_CHOICES,
    BenefitsVerification,
    BestTime,
    CloseReason,
    ContactMethod,
    ContactOutcome,
    ForWhom,
    Inquiry,
    InquiryStatus,
    Insurance,
    PaymentKind,
    SchedulePreference,
    Screening,
    normalize_name,
    validate_person_name,
)
from middlepath.intake.services import BENEFITS_FIELDS, SCREENING_FIELDS
from middlepath.web.forms import DateField

YES_NO = [("yes", "Yes"), ("no", "No")]
YES_NO_UNKNOWN = [("true", "Yes"), ("false", "No"), ("unknown", "Not known")]


def yes_no(label: str, **kwargs: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        **kwargs,
    )


class NameField(forms.CharField):
    """A person's name: normalised, then held to the model's rule (any script, no markup)."""

    default_validators = [validate_person_name]

    def to_python(self, value: Any) -> str:
        return normalize_name(super().to_python(value))


class InquiryFields(forms.Form):
    """What a person (or staff taking their call) tells us about a request for help."""

    first_name = NameField(label="First name", max_length=100)
    last_name = NameField(label="Last name", max_length=100, required=False)
    phone = forms.CharField(
        label="Phone",
        max_length=30,
        required=False,
        validators=[phone_validator],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(
        label="Email", max_length=254, required=False, widget=forms.EmailInput()
    )
    best_time = forms.ChoiceField(
        label="Best time to reach", choices=BestTime.choices, initial=BestTime.ANY
    )
    ok_to_leave_message = yes_no(
        "May we leave a message that mentions the program?",
        initial="no",
        help_text="If you say no, we only speak to you in person on the phone.",
    )
    for_whom = forms.ChoiceField(
        label="Who is the help for?",
        choices=ForWhom.choices,
        initial=ForWhom.SELF,
        widget=forms.RadioSelect,
    )
    loved_one_name = NameField(label="Their first name", max_length=200, required=False)
    relationship = forms.CharField(
        label="How you know them", max_length=80, required=False, help_text="e.g. son, partner."
    )
    needs = forms.CharField(
        label="What would help?",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="A few words are enough. Share only what you are comfortable with.",
    )
    location = forms.ModelChoiceField(
        label="Preferred location",
        queryset=Location.objects.none(),
        required=False,
        empty_label="No preference",
    )
    schedule_preference = forms.ChoiceField(
        label="Schedule",
        choices=SchedulePreference.choices,
        initial=SchedulePreference.EITHER,
        widget=forms.RadioSelect,
    )
    insurance = forms.ChoiceField(
        label="Insurance",
        choices=Insurance.choices,
        initial=Insurance.UNSURE,
        widget=forms.RadioSelect,
    )
    payer_name = forms.CharField(
        label="Insurance company", max_length=120, required=False, help_text="Optional."
    )
    member_id = forms.CharField(
        label="Member ID", max_length=60, required=False, help_text="Optional."
    )

    def __init__(self, *args: Any, locations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = (
            locations if locations is not None else Location.objects.filter(is_active=True)
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "phone" in data and "email" in data and not data["phone"] and not data["email"]:
            message = "Give a phone number or an email address, so that we can reach you."
            self.add_error("phone", message)
            self.add_error("email", message)
        if data.get("for_whom") != ForWhom.LOVED_ONE:
            data["loved_one_name"], data["relationship"] = "", ""
        if data.get("insurance") in (Insurance.NONE, Insurance.UNSURE):
            data["payer_name"], data["member_id"] = "", ""
        return data

    def inquiry_data(self) -> dict[str, Any]:
        """The cleaned data as submit_inquiry() and update_inquiry() take it."""
        return {name: self.cleaned_data[name] for name in InquiryFields.base_fields}


class ConsultationForm(InquiryFields):
    """The public form. `website` is a honeypot: people never see it, some robots fill it."""

    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    @property
    def is_robot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class StaffInquiryForm(InquiryFields):
    date_of_birth = DateField(label="Date of birth", required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(
            *args,
            locations=Location.objects.filter(pk__in=user.location_ids(), is_active=True),
            **kwargs,
        )
        self.fields["ok_to_leave_message"].help_text = ""
        self.fields["needs"].help_text = ""

    def clean_date_of_birth(self) -> Any:
        born = self.cleaned_data.get("date_of_birth")
        if born and born > timezone.localdate():
            raise ValidationError("The date of birth is in the future.")
        return born

    def inquiry_data(self) -> dict[str, Any]:
        return {**super().inquiry_data(), "date_of_birth": self.cleaned_data["date_of_birth"]}

    @classmethod
    def initial_for(cls, inquiry: Inquiry) -> dict[str, Any]:
        initial = {name: getattr(inquiry, name) for name in InquiryFields.base_fields}
        initial["ok_to_leave_message"] = "yes" if inquiry.ok_to_leave_message else "no"
        initial["location"] = inquiry.location_id
        initial["date_of_birth"] = inquiry.date_of_birth
        return initial


class QueueFilterForm(forms.Form):
    OPEN = "open"
    ALL = "all"
    STATUS_CHOICES = [(OPEN, "Open"), *InquiryStatus.choices, (ALL, "All")]

    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), required=False, empty_label="All my locations"
    )
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False, initial=OPEN)
    mine = forms.BooleanField(label="Only mine", required=False)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["location"].queryset = Location.objects.filter(pk__in=user.location_ids())

    def filter(self, inquiries: Any) -> Any:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        status = data.get("status") or self.OPEN
        if status == self.OPEN:
            inquiries = inquiries.filter(status__in=OPEN_STATUSES)
        elif status != self.ALL:
            inquiries = inquiries.filter(status=status)
        if data.get("location"):
            inquiries = inquiries.for_locations([data["location"].pk])
        if data.get("mine"):
            inquiries = inquiries.filter(assigned_to=self.user)
        return inquiries


class ContactForm(forms.Form):
    method = forms.ChoiceField(
        choices=ContactMethod.choices, initial=ContactMethod.CALL, widget=forms.RadioSelect
    )
    outcome = forms.ChoiceField(choices=ContactOutcome.choices)
    note = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    attempted_at = forms.DateTimeField(
        label="When",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave empty for now.",
    )


class ScreeningForm(forms.ModelForm):
    """The structured screening. The suggestion is shown as the answers come in (htmx)."""

    substances = forms.MultipleChoiceField(
        choices=SUBSTANCE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    safe_housing = yes_no("Has a safe, stable place to live?")
    others_using_at_home = yes_no("Does anyone at home drink heavily or use drugs?")
    obligations = yes_no("Has work, school or family obligations to keep?")
    chosen_level = forms.ChoiceField(
        label="Level of care to plan for",
        choices=[("", "The suggested level"), *LEVEL_CHOICES],
        required=False,
    )
    override_reason = forms.CharField(
        label="Why another level",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed only when you choose a level other than the suggestion.",
    )

    class Meta:
        model = Screening
        fields = SCREENING_FIELDS
        widgets = {
            "last_use": forms.RadioSelect,
            "withdrawal": forms.RadioSelect,
            "medical": forms.RadioSelect,
            "psychiatric": forms.RadioSelect,
            "suicidal_thoughts": forms.RadioSelect,
            "sober_support": forms.RadioSelect,
            "readiness": forms.RadioSelect,
            "stepping_down": forms.RadioSelect,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Radio buttons: none ticked is "not answered yet"; a blank radio would only confuse.
        for field in self.fields.values():
            if isinstance(field.widget, forms.RadioSelect):
                field.choices = [choice for choice in field.choices if choice[0] != ""]

    def _answers(self) -> recommend.Answers | None:
        if any(name in self._errors for name in SCREENING_FIELDS):
            return None
        data = self.cleaned_data
        return Screening(**{name: data[name] for name in SCREENING_FIELDS}).answers()

    def suggestion(self) -> recommend.Recommendation | None:
        """The suggestion for the answers given, once every question is answered validly."""
        self.is_valid()
        answers = self._answers()
        return recommend.recommend(answers) if answers else None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        answers = self._answers()
        chosen = data.get("chosen_level")
        overridden = answers and chosen and chosen != recommend.recommend(answers).level
        if overridden and not (data.get("override_reason") or "").strip():
            self.add_error(
                "override_reason", "Say why you chose a level other than the suggested one."
            )
        return data

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **{name: data[name] for name in SCREENING_FIELDS},
            "chosen_level": data.get("chosen_level") or "",
            "override_reason": data.get("override_reason") or "",
        }


class BenefitsForm(forms.ModelForm):
    """The verification-of-benefits checklist, or a self-pay arrangement."""

    class Meta:
        model = BenefitsVerification
        fields = BENEFITS_FIELDS
        widgets = {
            "payment": forms.RadioSelect,
            "method": forms.RadioSelect,
            "in_network": forms.RadioSelect(choices=YES_NO_UNKNOWN),
            "iop_covered": forms.RadioSelect(choices=YES_NO_UNKNOWN),
            "prior_auth_required": forms.RadioSelect(choices=YES_NO_UNKNOWN),
            "self_pay_option": forms.RadioSelect,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        field_classes = {"coverage_from": DateField, "coverage_to": DateField}

    def __init__(self, *args: Any, inquiry: Inquiry, **kwargs: Any) -> None:
        data = args[0] if args else kwargs.get("data")
        if data is None:
            kwargs.setdefault("initial", self.initial_for(inquiry))
        super().__init__(*args, **kwargs)
        # Radio buttons: none ticked is the "no answer"; a blank radio would only confuse.
        for name in ("payment", "method", "self_pay_option"):
            field = self.fields[name]
            field.choices = [choice for choice in field.choices if choice[0] != ""]
        self.fields["self_pay_option"].label = "How they will pay"
        self.fields["plan_frequency"].label = "How often"

    @staticmethod
    def initial_for(inquiry: Inquiry) -> dict[str, Any]:
        payer_type = {
            Insurance.MEDICAID: "medicaid",
            Insurance.MEDICARE: "medicare",
            Insurance.PRIVATE: "commercial",
        }.get(inquiry.insurance, "")
        return {
            "payment": PaymentKind.SELF_PAY if inquiry.is_self_pay else PaymentKind.INSURANCE,
            "payer_type": payer_type,
            "payer_name": inquiry.payer_name,
            "member_id": inquiry.member_id,
        }

    def estimate(self) -> Any:
        """The estimate for the figures typed so far, when they are complete and valid."""
        if not self.is_valid():
            return None
        verification = BenefitsVerification(
            **{name: self.cleaned_data[name] for name in BENEFITS_FIELDS}
        )
        try:
            verification.clean()
            return verification.estimate()
        except (ValidationError, ValueError):
            return None

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in BENEFITS_FIELDS}


class ScheduleForm(forms.Form):
    on = DateField(label="Admission date")
    override_reason = forms.CharField(
        label="Override: why a step is skipped",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Program directors only, when screening or benefits verification is skipped.",
    )

    def __init__(self, *args: Any, may_override: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_override:
            del self.fields["override_reason"]


class AdmitForm(forms.Form):
    first_name = NameField(max_length=100, help_text="Legal name, as on the chart.")
    last_name = NameField(max_length=100)
    date_of_birth = DateField(
        help_text="With the name, finds an existing chart so that no duplicate is made.",
    )
    phone = forms.CharField(
        max_length=30,
        required=False,
        validators=[phone_validator],
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    email = forms.EmailField(max_length=254, required=False)
    ok_to_leave_message = forms.BooleanField(label="May leave a message", required=False)
    track = forms.ModelChoiceField(
        queryset=Track.objects.none(), help_text="Sets the location and program."
    )
    phase = forms.ModelChoiceField(queryset=Phase.objects.none())
    level_of_care = forms.ChoiceField(
        choices=[(level.value, level.label) for level in EPISODE_LEVELS]
    )
    admitted_on = DateField()
    referral_source = forms.ChoiceField(choices=ReferralSource.choices)
    primary_counselor = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    override_reason = forms.CharField(
        label="Override: why a step is skipped",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Program directors only: admitting without screening or benefits "
        "verification, or against a residential suggestion.",
    )

    def __init__(self, *args: Any, user: User, may_override: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locations = Location.objects.filter(pk__in=user.location_ids())
        self.fields["track"].queryset = Track.objects.filter(
            location__in=locations, is_active=True
        ).select_related("location")
        self.fields["phase"].queryset = Phase.objects.all()
        self.fields["primary_counselor"].queryset = counselors_at(locations)
        if not may_override:
            del self.fields["override_reason"]

    @staticmethod
    def initial_for(inquiry: Inquiry, screening: Screening | None, today: Any) -> dict[str, Any]:
        """Defaults from the inquiry: the person's name only when they asked for themselves."""
        initial: dict[str, Any] = {"admitted_on": today, "date_of_birth": inquiry.date_of_birth}
        if inquiry.for_whom == ForWhom.SELF:
            initial.update(
                first_name=inquiry.first_name,
                last_name=inquiry.last_name,
                phone=inquiry.phone,
                email=inquiry.email,
                ok_to_leave_message=inquiry.ok_to_leave_message,
                referral_source=ReferralSource.SELF,
            )
        else:
            initial.update(
                first_name=inquiry.loved_one_name.split(" ")[0] if inquiry.loved_one_name else "",
                referral_source=ReferralSource.FAMILY,
            )
        if screening is not None:
            if screening.episode_level:
                initial["level_of_care"] = screening.episode_level
            if screening.referral_source:
                initial["referral_source"] = screening.referral_source
        tracks = Track.objects.filter(is_active=True)
        if inquiry.location_id:
            tracks = tracks.filter(location=inquiry.location_id)
        if inquiry.schedule_preference != SchedulePreference.EITHER:
            tracks = tracks.filter(kind=inquiry.schedule_preference)
        track = tracks.order_by("pk").first()
        if track is not None:
            initial["track"] = track.pk
            phase = Phase.objects.filter(program=track.program_id).order_by("order").first()
            initial["phase"] = phase.pk if phase else None
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        track, phase = data.get("track"), data.get("phase")
        if track and phase and track.program_id != phase.program_id:
            self.add_error("phase", "This phase belongs to another program than the track.")
        counselor = data.get("primary_counselor")
        if track and counselor and not counselor.locations.filter(pk=track.location_id).exists():
            self.add_error("primary_counselor", f"{counselor} does not work at {track.location}.")
        born = data.get("date_of_birth")
        if born and born > timezone.localdate():
            self.add_error("date_of_birth", "The date of birth is in the future.")
        return data


class CloseForm(forms.Form):
    reason = forms.ChoiceField(choices=CloseReason.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Where they were referred, or why (needed for “Other”).",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("reason") == CloseReason.OTHER and not (data.get("note") or "").strip():
            self.add_error("note", "Say why the inquiry is closed.")
        return data


class ReopenForm(forms.Form):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


def handlers_for(inquiry: Inquiry) -> Any:
    """Active staff who work the queue and may handle this inquiry."""
    users = User.objects.filter(
        is_active=True,
        groups__name__in=[Role.INTAKE.value, Role.DIRECTOR.value],
    )
    if inquiry.location_id:
        users = users.filter(locations=inquiry.location_id)
    return users.distinct()


class AssignForm(forms.Form):
    assigned_to = forms.ModelChoiceField(
        label="Handled by", queryset=User.objects.none(), required=False, empty_label="Nobody yet"
    )

    def __init__(self, *args: Any, inquiry: Inquiry, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = handlers_for(inquiry)
