"""Patients, their episodes of care, and the history of each episode.

An episode runs from admission to discharge at one location. While it is open the patient
can move between levels of care, phases and tracks in either direction (recovery is not
linear); every move is a row in EpisodeChange.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Prefetch, Q
from django.utils import timezone

from middlepath.clinic.models import Location, Phase, Program, Track

NAME_PUNCTUATION = frozenset(" '’.-")


def validate_person_name(value: str) -> None:
    """A person's name in any script: letters (and their marks), spaces, apostrophes,
    periods and hyphens, starting with a letter. Rejects markup and stray symbols."""
    for position, char in enumerate(value):
        kind = unicodedata.category(char)
        later = position > 0 and (kind.startswith("M") or char in NAME_PUNCTUATION)
        if not (kind.startswith("L") or later):
            raise ValidationError(
                "Use letters, spaces, hyphens, apostrophes and periods only.", code="invalid"
            )


phone_validator = RegexValidator(
    r"^\+?[0-9 ().-]{7,20}(?: ?(?:x|ext\.?) ?[0-9]{1,6})?$",
    "Enter a phone number of 7 to 20 digits, e.g. (555) 010-2345 or +1 555 010 2345.",
)


class RecoveryStage(models.TextChoices):
    EARLY = "early", "Early recovery"
    MIDDLE = "middle", "Middle recovery"
    LATE = "late", "Late recovery"


class LevelOfCare(models.TextChoices):
    """ASAM Criteria (3rd ed.) levels, by their public numbers and names."""

    EARLY_INTERVENTION = "0.5", "0.5 Early intervention"
    OUTPATIENT = "1", "1 Outpatient"
    INTENSIVE_OUTPATIENT = "2.1", "2.1 Intensive outpatient"
    PARTIAL_HOSPITALIZATION = "2.5", "2.5 Partial hospitalization"
    RESIDENTIAL_LOW = "3.1", "3.1 Clinically managed low-intensity residential"
    RESIDENTIAL_POPULATION_SPECIFIC = (
        "3.3",
        "3.3 Clinically managed population-specific residential",
    )
    RESIDENTIAL_HIGH = "3.5", "3.5 Clinically managed high-intensity residential"
    INPATIENT_MONITORED = "3.7", "3.7 Medically monitored intensive inpatient"
    INPATIENT_MANAGED = "4", "4 Medically managed intensive inpatient"

    @property
    def intensity(self) -> Decimal:
        return Decimal(self.value)


# The levels an outpatient program's episode can hold. Moving to residential or inpatient
# care ends the episode (a discharge, transferred to a higher level), it is not a change.
EPISODE_LEVELS = (
    LevelOfCare.OUTPATIENT,
    LevelOfCare.INTENSIVE_OUTPATIENT,
    LevelOfCare.PARTIAL_HOSPITALIZATION,
)


class ReferralSource(models.TextChoices):
    SELF = "self", "Self"
    FAMILY = "family", "Family or friend"
    INPATIENT_STEP_DOWN = "inpatient_step_down", "Step-down from inpatient / detox"
    RESIDENTIAL_STEP_DOWN = "residential_step_down", "Step-down from residential"
    PHYSICIAN = "physician", "Physician or hospital"
    EMPLOYER = "employer", "Employer / EAP"
    COURT = "court", "Court or criminal justice"
    COMMUNITY = "community", "Community or support group"
    OTHER = "other", "Other"


class DischargeReason(models.TextChoices):
    COMPLETED = "completed", "Completed treatment"
    STEP_DOWN = "step_down", "Stepped down to outpatient care elsewhere"
    HIGHER_LEVEL = "higher_level", "Transferred to a higher level of care"
    TRANSFERRED = "transferred", "Transferred to another provider"
    LEFT_AGAINST_ADVICE = "left_against_advice", "Left against clinical advice"
    STOPPED_ATTENDING = "stopped_attending", "Stopped attending"
    ADMINISTRATIVE = "administrative", "Administrative discharge"
    OTHER = "other", "Other"


def luhn_check_digit(digits: str) -> str:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def mrn_for(pk: int) -> str:
    """Medical record number: 'MP', seven digits of the record id, one Luhn check digit.

    The check digit catches a mistyped number before it finds the wrong chart.
    """
    digits = f"{pk:07d}"
    return f"MP{digits}{luhn_check_digit(digits)}"


class PatientQuerySet(models.QuerySet):
    def at(self, location_ids) -> PatientQuerySet:
        return self.filter(location_id__in=location_ids)

    def search(self, text: str) -> PatientQuerySet:
        """Match any word of `text` against names or the whole of it against the MRN."""
        text = text.strip()
        if not text:
            return self
        if text.upper().startswith("MP"):
            return self.filter(mrn__iexact=text)
        query = self
        for word in text.split()[:4]:
            query = query.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(preferred_name__icontains=word)
            )
        return query

    def with_current_episode(self) -> PatientQuerySet:
        """Prefetch each patient's open episode (or none) with what the lists show."""
        return self.prefetch_related(
            Prefetch(
                "episodes",
                queryset=Episode.objects.open().select_related("track", "phase", "location"),
                to_attr="open_episodes",
            )
        )

    def active(self) -> PatientQuerySet:
        """Patients with an open episode."""
        return self.filter(pk__in=Episode.objects.open().values("patient_id"))

    def inactive(self) -> PatientQuerySet:
        """Patients without an open episode: discharged, or not admitted yet."""
        return self.exclude(pk__in=Episode.objects.open().values("patient_id"))


class Patient(models.Model):
    mrn = models.CharField("MRN", max_length=12, unique=True, null=True, editable=False)
    first_name = models.CharField(max_length=100, validators=[validate_person_name])
    last_name = models.CharField(max_length=100, validators=[validate_person_name])
    preferred_name = models.CharField(max_length=100, blank=True, validators=[validate_person_name])
    date_of_birth = models.DateField()
    phone = models.CharField(max_length=30, blank=True, validators=[phone_validator])
    email = models.EmailField(blank=True)
    ok_to_leave_message = models.BooleanField(
        "may leave a message",
        default=False,
        help_text="Whether staff may leave a voicemail or text that mentions the program.",
    )
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=50, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_relationship = models.CharField(max_length=80, blank=True)
    emergency_contact_phone = models.CharField(
        max_length=30, blank=True, validators=[phone_validator]
    )
    recovery_stage = models.CharField(
        max_length=10, choices=RecoveryStage.choices, default=RecoveryStage.EARLY
    )
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        related_name="patients",
        help_text="The site responsible for this patient's care; staff see their sites' patients.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        indexes = [
            models.Index(fields=["location", "last_name", "first_name"], name="patient_site_name"),
            models.Index(fields=["last_name", "first_name"], name="patient_name"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def audit_patient_id(self) -> int:
        return self.pk

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def display_name(self) -> str:
        """How staff address the patient: preferred first name, if given."""
        first = self.preferred_name or self.first_name
        return f"{first} {self.last_name}"

    def age_on(self, day: dt.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def clean(self) -> None:
        today = timezone.localdate()
        if self.date_of_birth:
            if self.date_of_birth > today:
                raise ValidationError({"date_of_birth": "The date of birth is in the future."})
            if self.date_of_birth.year < 1900:
                raise ValidationError({"date_of_birth": "Enter a date of birth after 1900."})

    @property
    def current_episode(self) -> Episode | None:
        """The open episode; uses the prefetch of `with_current_episode()` when present."""
        if hasattr(self, "open_episodes"):
            return self.open_episodes[0] if self.open_episodes else None
        return self.episodes.open().select_related("track", "phase", "location", "program").first()


class EpisodeQuerySet(models.QuerySet):
    def open(self) -> EpisodeQuerySet:
        return self.filter(discharged_on__isnull=True)

    def discharged(self) -> EpisodeQuerySet:
        return self.filter(discharged_on__isnull=False)

    def at(self, location: Location | int) -> EpisodeQuerySet:
        return self.filter(location=location)

    def active_on(self, day: dt.date) -> EpisodeQuerySet:
        """Episodes a patient was enrolled in on `day` (admitted, not yet discharged)."""
        return self.filter(admitted_on__lte=day).filter(
            Q(discharged_on__isnull=True) | Q(discharged_on__gte=day)
        )


class Episode(models.Model):
    """One stay in the program, from admission to discharge."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="episodes")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="episodes")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="episodes")
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="episodes")
    phase = models.ForeignKey(Phase, on_delete=models.PROTECT, related_name="episodes")
    level_of_care = models.CharField(
        max_length=4, choices=LevelOfCare.choices, default=LevelOfCare.INTENSIVE_OUTPATIENT
    )
    primary_counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="primary_episodes",
    )
    admitted_on = models.DateField()
    referral_source = models.CharField(max_length=30, choices=ReferralSource.choices)
    discharged_on = models.DateField(null=True, blank=True)
    discharge_reason = models.CharField(max_length=30, choices=DischargeReason.choices, blank=True)
    discharge_note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = EpisodeQuerySet.as_manager()

    class Meta:
        ordering = ["-admitted_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(discharged_on__isnull=True),
                name="one_open_episode_per_patient",
                violation_error_message="This patient already has an open episode of care.",
            ),
            models.CheckConstraint(
                condition=Q(discharged_on__isnull=True) | Q(discharged_on__gte=F("admitted_on")),
                name="episode_discharge_after_admission",
            ),
            models.CheckConstraint(
                condition=(Q(discharged_on__isnull=True) & Q(discharge_reason=""))
                | (Q(discharged_on__isnull=False) & ~Q(discharge_reason="")),
                name="episode_discharge_has_reason",
            ),
        ]
        indexes = [
            models.Index(
                fields=["location", "discharged_on", "track"], name="episode_site_open_track"
            ),
            models.Index(fields=["patient", "discharged_on"], name="episode_patient_open"),
        ]
        permissions = [("discharge_episode", "Can discharge a patient")]

    def __str__(self) -> str:
        return f"Episode {self.pk} ({self.admitted_on:%Y-%m-%d})"

    @property
    def audit_patient_id(self) -> int:
        return self.patient_id

    @property
    def is_open(self) -> bool:
        return self.discharged_on is None

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.track_id and self.location_id and self.track.location_id != self.location_id:
            errors["track"] = "This track meets at another location."
        if self.track_id and self.program_id and self.track.program_id != self.program_id:
            errors["track"] = "This track belongs to another program."
        if self.phase_id and self.program_id and self.phase.program_id != self.program_id:
            errors["phase"] = "This phase belongs to another program."
        if self.level_of_care and self.level_of_care not in EPISODE_LEVELS:
            errors["level_of_care"] = (
                "An outpatient episode is at level 1, 2.1 or 2.5; residential or inpatient "
                "care is a transfer out of the program."
            )
        if self.discharged_on and self.admitted_on and self.discharged_on < self.admitted_on:
            errors["discharged_on"] = "Discharge cannot be before admission."
        if errors:
            raise ValidationError(errors)


class EpisodeChange(models.Model):
    """A row per event in an episode's life: admission, each move, discharge."""

    class Kind(models.TextChoices):
        ADMISSION = "admission", "Admitted"
        CHANGE = "change", "Changed"
        DISCHARGE = "discharge", "Discharged"

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    effective_on = models.DateField()
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    from_level = models.CharField(max_length=4, choices=LevelOfCare.choices, blank=True)
    to_level = models.CharField(max_length=4, choices=LevelOfCare.choices, blank=True)
    from_phase = models.ForeignKey(Phase, null=True, on_delete=models.PROTECT, related_name="+")
    to_phase = models.ForeignKey(Phase, null=True, on_delete=models.PROTECT, related_name="+")
    from_track = models.ForeignKey(Track, null=True, on_delete=models.PROTECT, related_name="+")
    to_track = models.ForeignKey(Track, null=True, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["effective_on", "recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.effective_on:%Y-%m-%d}"

    @property
    def direction(self) -> str:
        """'step down', 'step up' or '' for the intensity of care this change brought."""
        if self.kind != self.Kind.CHANGE:
            return ""
        if self.from_level and self.to_level and self.from_level != self.to_level:
            return "step up" if Decimal(self.to_level) > Decimal(self.from_level) else "step down"
        if self.from_phase_id and self.to_phase_id and self.from_phase_id != self.to_phase_id:
            # Higher phase numbers are the step-down phases.
            return "step down" if self.to_phase.order > self.from_phase.order else "step up"
        return ""


class CareTeamMember(models.Model):
    """Staff on a patient's care team for one episode, beside the primary counselor."""

    class Responsibility(models.TextChoices):
        THERAPIST = "therapist", "Individual therapist"
        CASE_MANAGER = "case_manager", "Case manager"
        PHYSICIAN = "physician", "Physician"
        FAMILY_THERAPIST = "family_therapist", "Family therapist"
        PEER_SUPPORT = "peer_support", "Peer recovery support"

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="care_team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_teams"
    )
    responsibility = models.CharField(max_length=20, choices=Responsibility.choices)
    since = models.DateField(default=timezone.localdate)

    class Meta:
        ordering = ["responsibility", "since"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "user", "responsibility"], name="care_team_member_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_responsibility_display()})"
