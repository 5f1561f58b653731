"""Inquiries and the intake pipeline: contact attempts, screenings, benefits verifications.

An inquiry is a request for help, from the public consultation form or taken by staff on
the phone. It moves through a pipeline whose allowed moves are declared once, on Inquiry
(TRANSITIONS); every move is an InquiryStatusChange row. Inquiry details are PHI: who may
see them is decided in access.py, and every view is audited.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.utils import timezone

from middlepath.billing.models import PayerType, PlanType
from middlepath.care.models import (
    Episode,
    LevelOfCare,
    Patient,
    ReferralSource,
    phone_validator,
    validate_person_name,
)
from middlepath.clinic.models import Location
from middlepath.intake import estimate as estimates
from middlepath.intake import recommend


def normalize_name(value: str) -> str:
    """NFC and single spaces, so that an accent typed as a separate mark compares equal to
    the composed letter when admission looks for an existing chart."""
    return " ".join(unicodedata.normalize("NFC", value).split())


class InquiryStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    SCREENED = "screened", "Screened"
    BENEFITS_VERIFIED = "benefits_verified", "Benefits verified"
    ADMISSION_SCHEDULED = "admission_scheduled", "Admission scheduled"
    ADMITTED = "admitted", "Admitted"
    CLOSED = "closed", "Closed"


S = InquiryStatus
OPEN_STATUSES = (S.NEW, S.CONTACTED, S.SCREENED, S.BENEFITS_VERIFIED, S.ADMISSION_SCHEDULED)
PIPELINE_ORDER = {status: rank for rank, status in enumerate(S)}


class CloseReason(models.TextChoices):
    REFERRED_ELSEWHERE = "referred_elsewhere", "Referred elsewhere"
    NOT_REACHABLE = "not_reachable", "Not reachable"
    DECLINED = "declined", "Declined"
    DUPLICATE = "duplicate", "Duplicate of another request"
    NOT_A_REQUEST = "not_a_request", "Not a request for help (wrong number, spam)"
    OTHER = "other", "Other"


class Source(models.TextChoices):
    WEB_FORM = "web_form", "Consultation form"
    STAFF = "staff", "Taken by staff (phone, walk-in, referral)"


class ForWhom(models.TextChoices):
    SELF = "self", "Myself"
    LOVED_ONE = "loved_one", "Someone I care about"


class BestTime(models.TextChoices):
    ANY = "any", "Any time"
    MORNING = "morning", "Morning"
    AFTERNOON = "afternoon", "Afternoon"
    EVENING = "evening", "Evening"


class SchedulePreference(models.TextChoices):
    EITHER = "either", "Either"
    DAY = "day", "Daytime"
    EVENING = "evening", "Evenings"


class Insurance(models.TextChoices):
    NONE = "none", "None: I would pay myself"
    MEDICAID = "medicaid", "Medicaid"
    MEDICARE = "medicare", "Medicare"
    PRIVATE = "private", "Private insurance (through work or bought myself)"
    UNSURE = "unsure", "Not sure"


def age_label(delta: dt.timedelta) -> str:
    """'35 min', '2 h', '3 d': how long something has waited, at a glance."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


class InquiryQuerySet(models.QuerySet):
    def open(self) -> InquiryQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def for_locations(self, location_ids) -> InquiryQuerySet:
        """Inquiries for these sites, and those that named no site (any site may take them)."""
        return self.filter(Q(location_id__in=location_ids) | Q(location__isnull=True))

    def in_queue_order(self) -> InquiryQuerySet:
        """New requests first, then along the pipeline; oldest first within a status."""
        rank = Case(
            *(When(status=status, then=Value(order)) for status, order in PIPELINE_ORDER.items()),
            output_field=IntegerField(),
        )
        return self.annotate(pipeline_rank=rank).order_by("pipeline_rank", "received_at", "pk")

    def count_by_status(self) -> dict[str, int]:
        rows = self.order_by().values("status").annotate(n=Count("pk"))
        return {row["status"]: row["n"] for row in rows}


class Inquiry(models.Model):
    """A request for help, and where it stands in the intake pipeline."""

    Status = InquiryStatus

    # The pipeline, declared once: the statuses each status may move to. `closed` can be
    # reopened (back to `new`) when someone closed it by mistake or the person calls back.
    TRANSITIONS: dict[str, tuple[str, ...]] = {
        S.NEW: (S.CONTACTED, S.CLOSED),
        S.CONTACTED: (S.SCREENED, S.CLOSED),
        S.SCREENED: (S.BENEFITS_VERIFIED, S.ADMISSION_SCHEDULED, S.ADMITTED, S.CLOSED),
        S.BENEFITS_VERIFIED: (S.ADMISSION_SCHEDULED, S.ADMITTED, S.CLOSED),
        S.ADMISSION_SCHEDULED: (S.ADMITTED, S.CLOSED),
        S.ADMITTED: (),
        S.CLOSED: (S.NEW,),
    }
    # Skipping benefits verification (screened -> scheduled/admitted) is allowed only for a
    # self-pay inquiry: insurance "none". There is no payer to verify with; the payment
    # plan may still be recorded as a verification. "Not sure" is not self-pay: find out.
    NEEDS_BENEFITS = frozenset({(S.SCREENED, S.ADMISSION_SCHEDULED), (S.SCREENED, S.ADMITTED)})
    # A program director may move any open inquiry straight to these, with a written
    # reason (e.g. a step-down arriving with the inpatient unit's own assessment). The
    # override is marked on the status change row and in the audit trail.
    OVERRIDE_TARGETS = frozenset({S.ADMISSION_SCHEDULED, S.ADMITTED})

    location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inquiries",
        help_text="The preferred location; empty when the person had no preference.",
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB_FORM)
    first_name = models.CharField(max_length=100, validators=[validate_person_name])
    last_name = models.CharField(max_length=100, blank=True, validators=[validate_person_name])
    phone = models.CharField(max_length=30, blank=True, validators=[phone_validator])
    email = models.EmailField(blank=True)
    best_time = models.CharField(
        "best time to reach", max_length=10, choices=BestTime.choices, default=BestTime.ANY
    )
    ok_to_leave_message = models.BooleanField(
        "may leave a message",
        default=False,
        help_text="Whether a voicemail, text or email may mention the program.",
    )
    for_whom = models.CharField(max_length=10, choices=ForWhom.choices, default=ForWhom.SELF)
    loved_one_name = models.CharField(
        "their name", max_length=200, blank=True, validators=[validate_person_name]
    )
    relationship = models.CharField(max_length=80, blank=True)
    needs = models.TextField("what they need", max_length=2000, blank=True)
    schedule_preference = models.CharField(
        max_length=10, choices=SchedulePreference.choices, default=SchedulePreference.EITHER
    )
    insurance = models.CharField(max_length=10, choices=Insurance.choices, default=Insurance.UNSURE)
    payer_name = models.CharField("insurance company", max_length=120, blank=True)
    member_id = models.CharField("member ID", max_length=60, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)

    status = models.CharField(max_length=20, choices=InquiryStatus.choices, default=S.NEW)
    status_changed_at = models.DateTimeField(default=timezone.now)
    close_reason = models.CharField(max_length=20, choices=CloseReason.choices, blank=True)
    admission_scheduled_for = models.DateField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_inquiries",
        help_text="Who is handling it.",
    )
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="inquiries"
    )
    episode = models.ForeignKey(
        Episode, null=True, blank=True, on_delete=models.PROTECT, related_name="inquiries"
    )
    received_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InquiryQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name_plural = "inquiries"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=InquiryStatus.values), name="inquiry_status_known"
            ),
            models.CheckConstraint(
                condition=~Q(phone="") | ~Q(email=""),
                name="inquiry_has_a_way_to_reach",
                violation_error_message="Give a phone number or an email address.",
            ),
            models.CheckConstraint(
                condition=(Q(status=S.CLOSED) & ~Q(close_reason=""))
                | (~Q(status=S.CLOSED) & Q(close_reason="")),
                name="inquiry_closed_with_reason",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=S.ADMITTED) & Q(patient__isnull=False) & Q(episode__isnull=False)
                )
                | (~Q(status=S.ADMITTED) & Q(episode__isnull=True)),
                name="inquiry_admitted_has_episode",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "received_at"], name="inquiry_status_received"),
            models.Index(fields=["location", "status"], name="inquiry_site_status"),
        ]
        permissions = [
            (
                "override_pipeline",
                "Can schedule or admit an inquiry without screening or benefits verification",
            )
        ]

    def __str__(self) -> str:
        return f"Inquiry {self.pk}"

    @property
    def audit_patient_id(self) -> int | None:
        return self.patient_id

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_self_pay(self) -> bool:
        return self.insurance == Insurance.NONE

    @property
    def time_zone_name(self) -> str:
        """Times are shown in the preferred location's zone (the default one without)."""
        return self.location.time_zone if self.location_id else settings.TIME_ZONE

    @property
    def waiting(self) -> str:
        return age_label(timezone.now() - self.received_at)

    @property
    def in_status_for(self) -> str:
        return age_label(timezone.now() - self.status_changed_at)

    def next_statuses(self) -> tuple[str, ...]:
        return self.TRANSITIONS[self.status]

    def transition_problem(self, to: str, *, override: bool = False) -> str | None:
        """Why the inquiry may not move to `to` now, or None if it may.

        `override` is a program director's override, with its reason checked by the caller.
        """
        current = InquiryStatus(self.status)
        target = InquiryStatus(to)
        problem: str | None = None
        if target == current:
            problem = f"The inquiry is already {current.label.lower()}."
        elif target not in self.TRANSITIONS[current]:
            problem = f"An inquiry cannot go from {current.label.lower()} to {target.label.lower()}"
            if current in (S.NEW, S.CONTACTED) and target in self.OVERRIDE_TARGETS:
                step = "record a contact and screen" if current == S.NEW else "screen"
                problem += f": {step} the person first."
            else:
                problem += "."
        elif (current, target) in self.NEEDS_BENEFITS and not self.is_self_pay:
            problem = (
                "Verify benefits first: the inquiry names insurance (or is not sure). "
                "Only a self-pay inquiry skips benefits verification."
            )
        if problem is None:
            return None
        if override and self.is_open and target in self.OVERRIDE_TARGETS:
            return None
        return problem


class InquiryStatusChange(models.Model):
    """A row per move along the pipeline (the first row records the inquiry's arrival)."""

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=InquiryStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=InquiryStatus.choices)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(blank=True)
    overridden = models.BooleanField(
        default=False, help_text="A program director moved it past a step, with a reason."
    )

    class Meta:
        ordering = ["changed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(overridden=False) | ~Q(reason=""),
                name="inquiry_override_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_status or 'arrived'} -> {self.to_status}"


class ContactMethod(models.TextChoices):
    CALL = "call", "Call"
    TEXT = "text", "Text"
    EMAIL = "email", "Email"


class ContactOutcome(models.TextChoices):
    REACHED = "reached", "Reached them"
    LEFT_MESSAGE = "left_message", "Left or sent a message"
    NO_ANSWER = "no_answer", "No answer, no message left"
    BAD_CONTACT = "bad_contact", "Wrong number or address"


class ContactAttempt(models.Model):
    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="contacts")
    method = models.CharField(max_length=10, choices=ContactMethod.choices)
    outcome = models.CharField(max_length=20, choices=ContactOutcome.choices)
    note = models.TextField(max_length=2000, blank=True)
    attempted_at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["attempted_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_method_display()}: {self.get_outcome_display()}"


# Choices for the screening, keyed by the values of the pure rules in recommend.py.
LAST_USE_CHOICES = [
    (recommend.LastUse.DAY, "In the last 24 hours"),
    (recommend.LastUse.WEEK, "1 to 7 days ago"),
    (recommend.LastUse.MONTH, "8 to 30 days ago"),
    (recommend.LastUse.LONGER, "More than 30 days ago"),
]
WITHDRAWAL_CHOICES = [
    (recommend.Withdrawal.NONE, "None expected"),
    (recommend.Withdrawal.MILD, "Mild symptoms (shaky, sweaty, poor sleep)"),
    (
        recommend.Withdrawal.SEVERE,
        "May need medical monitoring (seizures or DTs before, or heavy daily alcohol, "
        "sedative or opioid use)",
    ),
]
CONCERN_CHOICES = [
    (recommend.Concern.NONE, "None"),
    (recommend.Concern.STABLE, "Yes, stable or being treated"),
    (recommend.Concern.UNSTABLE, "Yes, needs care now"),
]
SUICIDAL_CHOICES = [
    (recommend.SuicidalThoughts.NONE, "No"),
    (recommend.SuicidalThoughts.PAST, "In the past, not now"),
    (recommend.SuicidalThoughts.CURRENT, "Now, without a plan"),
    (recommend.SuicidalThoughts.PLAN, "Now, with a plan or intent"),
]
SOBER_SUPPORT_CHOICES = [
    (recommend.SoberSupport.HAS, "Has people who support their recovery"),
    (recommend.SoberSupport.CAN_BUILD, "Could build one (family, mutual-help groups)"),
    (recommend.SoberSupport.NONE, "None"),
]
READINESS_CHOICES = [
    (recommend.Readiness.READY, "Wants to start treatment"),
    (recommend.Readiness.UNSURE, "Unsure"),
    (recommend.Readiness.NOT_READY, "Not ready (here because others insist)"),
]
STEPPING_DOWN_CHOICES = [
    (recommend.SteppingDown.NO, "No"),
    (recommend.SteppingDown.INPATIENT, "Yes, from inpatient care or detox"),
    (recommend.SteppingDown.RESIDENTIAL, "Yes, from residential treatment"),
]
LEVEL_CHOICES = [(level, label) for level, label in recommend.LEVEL_LABELS.items()]
SUBSTANCE_CHOICES = [
    ("alcohol", "Alcohol"),
    ("opioids", "Opioids (heroin, fentanyl, pain pills)"),
    ("stimulants", "Stimulants (cocaine, methamphetamine)"),
    ("cannabis", "Cannabis"),
    ("sedatives", "Benzodiazepines or other sedatives"),
    ("other", "Other"),
]

# The episode level an IOP program admits at for each screening level. Residential or
# inpatient care is not something this program admits to: that person is referred on.
EPISODE_LEVEL_FOR = {
    recommend.Level.IOP: LevelOfCare.INTENSIVE_OUTPATIENT,
    recommend.Level.OUTPATIENT: LevelOfCare.OUTPATIENT,
}


class Screening(models.Model):
    """A structured screening done in conversation, and the level of care it suggested.

    The suggestion (recommended_level and its reasons) is kept as it was made, so that a
    later change to the rules does not rewrite what the coordinator saw. It is a screening
    aid, never a diagnosis.
    """

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="screenings")
    screened_at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    substances = models.JSONField(default=list, blank=True)
    substances_note = models.CharField("other substances or details", max_length=200, blank=True)
    last_use = models.CharField("most recent use", max_length=10, choices=LAST_USE_CHOICES)
    withdrawal = models.CharField("withdrawal risk", max_length=10, choices=WITHDRAWAL_CHOICES)
    medical = models.CharField("medical concerns", max_length=10, choices=CONCERN_CHOICES)
    psychiatric = models.CharField("mental-health concerns", max_length=10, choices=CONCERN_CHOICES)
    suicidal_thoughts = models.CharField(
        "thoughts of suicide", max_length=10, choices=SUICIDAL_CHOICES
    )
    safe_housing = models.BooleanField("has a safe, stable place to live")
    others_using_at_home = models.BooleanField("people at home drink or use drugs")
    sober_support = models.CharField(
        "sober support network", max_length=10, choices=SOBER_SUPPORT_CHOICES
    )
    obligations = models.BooleanField("has work, school or family obligations to keep")
    readiness = models.CharField(max_length=10, choices=READINESS_CHOICES)
    stepping_down = models.CharField(
        "stepping down from inpatient or residential care",
        max_length=12,
        choices=STEPPING_DOWN_CHOICES,
    )
    notes = models.TextField(max_length=4000, blank=True)
    recommended_level = models.CharField(max_length=12, choices=LEVEL_CHOICES)
    reasons = models.JSONField(default=list)
    cautions = models.JSONField(default=list, blank=True)
    urgent = models.BooleanField(default=False)
    chosen_level = models.CharField(max_length=12, choices=LEVEL_CHOICES)
    override_reason = models.TextField(
        max_length=2000,
        blank=True,
        help_text="Why a level other than the suggested one was chosen.",
    )

    class Meta:
        ordering = ["screened_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(chosen_level=F("recommended_level")) | ~Q(override_reason=""),
                name="screening_override_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Screening {self.pk}"

    @property
    def audit_patient_id(self) -> int | None:
        return self.inquiry.patient_id

    def clean(self) -> None:
        known = [code for code, _ in SUBSTANCE_CHOICES]
        if not isinstance(self.substances, list) or not set(self.substances) <= set(known):
            raise ValidationError({"substances": "Pick substances from the list."})
        self.substances = [code for code in known if code in self.substances]

    def answers(self) -> recommend.Answers:
        return recommend.Answers(
            last_use=recommend.LastUse(self.last_use),
            withdrawal=recommend.Withdrawal(self.withdrawal),
            medical=recommend.Concern(self.medical),
            psychiatric=recommend.Concern(self.psychiatric),
            suicidal_thoughts=recommend.SuicidalThoughts(self.suicidal_thoughts),
            safe_housing=self.safe_housing,
            others_using_at_home=self.others_using_at_home,
            sober_support=recommend.SoberSupport(self.sober_support),
            obligations=self.obligations,
            readiness=recommend.Readiness(self.readiness),
            stepping_down=recommend.SteppingDown(self.stepping_down),
        )

    @property
    def is_overridden(self) -> bool:
        return self.chosen_level != self.recommended_level

    @property
    def episode_level(self) -> str | None:
        return EPISODE_LEVEL_FOR.get(recommend.Level(self.chosen_level))

    @property
    def referral_source(self) -> str | None:
        return {
            recommend.SteppingDown.INPATIENT: ReferralSource.INPATIENT_STEP_DOWN,
            recommend.SteppingDown.RESIDENTIAL: ReferralSource.RESIDENTIAL_STEP_DOWN,
        }.get(recommend.SteppingDown(self.stepping_down))

    def substance_labels(self) -> list[str]:
        labels = dict(SUBSTANCE_CHOICES)
        return [labels.get(code, code) for code in self.substances]


class PaymentKind(models.TextChoices):
    INSURANCE = "insurance", "Insurance"
    SELF_PAY = "self_pay", "Self-pay"


class CheckMethod(models.TextChoices):
    PHONE = "phone", "Call to the payer"
    PORTAL = "portal", "Payer's web portal"


class SelfPayOption(models.TextChoices):
    PAYMENT_PLAN = "payment_plan", "Payment plan"
    OTHER = "other", "Other arrangement"


class PlanFrequency(models.TextChoices):
    WEEKLY = "weekly", "weekly"
    BIWEEKLY = "biweekly", "every two weeks"
    MONTHLY = "monthly", "monthly"


def _money(**kwargs: object) -> models.DecimalField:
    return models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        **kwargs,
    )


class BenefitsVerification(models.Model):
    """The checklist of one verification of benefits (VOB) call or portal check.

    Or, for a self-paying person, the payment arrangement. The estimate is computed from
    these figures by estimate.py each time it is shown; nothing derived is stored.
    """

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="verifications")
    verified_at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    payment = models.CharField(max_length=10, choices=PaymentKind.choices)
    method = models.CharField("checked by", max_length=10, choices=CheckMethod.choices, blank=True)
    reference = models.CharField(
        "call reference", max_length=120, blank=True, help_text="Reference number, agent name."
    )
    payer_type = models.CharField(max_length=20, choices=PayerType.choices, blank=True)
    payer_name = models.CharField(max_length=120, blank=True)
    member_id = models.CharField("member ID", max_length=60, blank=True)
    plan_type = models.CharField(max_length=20, choices=PlanType.choices, blank=True)
    coverage_from = models.DateField("plan effective from", null=True, blank=True)
    coverage_to = models.DateField("plan effective to", null=True, blank=True)
    in_network = models.BooleanField(null=True, blank=True)
    iop_covered = models.BooleanField("IOP covered", null=True, blank=True)
    prior_auth_required = models.BooleanField("prior authorization needed", null=True, blank=True)
    auth_days_approved = models.PositiveSmallIntegerField(
        "days or units approved", null=True, blank=True
    )
    deductible = _money()
    deductible_met = _money(verbose_name="deductible met so far")
    coinsurance_percent = models.DecimalField(
        "coinsurance (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    copay_per_day = _money(verbose_name="copay per IOP day")
    out_of_pocket_max = _money(verbose_name="out-of-pocket maximum")
    out_of_pocket_met = _money(verbose_name="out-of-pocket met so far")
    day_rate = models.DecimalField(
        "amount per IOP day",
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="The payer's allowed amount for one IOP day, or the program's self-pay rate.",
    )
    weeks = models.PositiveSmallIntegerField(
        default=estimates.TYPICAL_WEEKS, validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    days_per_week = models.PositiveSmallIntegerField(
        default=estimates.TYPICAL_DAYS_PER_WEEK,
        validators=[MinValueValidator(1), MaxValueValidator(7)],
    )
    self_pay_option = models.CharField(max_length=20, choices=SelfPayOption.choices, blank=True)
    plan_amount = _money(verbose_name="payment amount")
    plan_frequency = models.CharField(max_length=10, choices=PlanFrequency.choices, blank=True)
    notes = models.TextField(max_length=4000, blank=True)

    class Meta:
        ordering = ["verified_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(coinsurance_percent__isnull=True) | Q(copay_per_day__isnull=True),
                name="vob_coinsurance_or_copay",
            ),
            models.CheckConstraint(
                condition=Q(deductible_met__isnull=True)
                | Q(deductible__isnull=True)
                | Q(deductible_met__lte=F("deductible")),
                name="vob_deductible_met_within",
            ),
            models.CheckConstraint(
                condition=Q(out_of_pocket_met__isnull=True)
                | Q(out_of_pocket_max__isnull=True)
                | Q(out_of_pocket_met__lte=F("out_of_pocket_max")),
                name="vob_out_of_pocket_met_within",
            ),
            models.CheckConstraint(
                condition=Q(payment=PaymentKind.SELF_PAY)
                | (~Q(payer_name="") & ~Q(member_id="") & Q(iop_covered__isnull=False)),
                name="vob_insurance_is_complete",
            ),
            models.CheckConstraint(condition=Q(day_rate__gt=0), name="vob_day_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"Benefits verification {self.pk}"

    @property
    def audit_patient_id(self) -> int | None:
        return self.inquiry.patient_id

    INSURANCE_ONLY = (
        "method",
        "reference",
        "payer_type",
        "payer_name",
        "member_id",
        "plan_type",
        "coverage_from",
        "coverage_to",
        "in_network",
        "iop_covered",
        "prior_auth_required",
        "auth_days_approved",
        "deductible",
        "deductible_met",
        "coinsurance_percent",
        "copay_per_day",
        "out_of_pocket_max",
        "out_of_pocket_met",
    )
    SELF_PAY_ONLY = ("self_pay_option", "plan_amount", "plan_frequency")

    def clean(self) -> None:
        # The figures of the other kind of payment (a form shows both) are dropped, so a
        # record never mixes a payer's terms with a self-pay plan.
        other = self.SELF_PAY_ONLY if self.payment == PaymentKind.INSURANCE else self.INSURANCE_ONLY
        for name in other:
            field = self._meta.get_field(name)
            setattr(self, name, None if field.null else "")
        errors: dict[str, str] = {}
        if self.payment == PaymentKind.INSURANCE:
            for name in ("payer_type", "payer_name", "member_id"):
                if not getattr(self, name):
                    errors[name] = "Needed for an insurance verification."
            if self.iop_covered is None:
                errors["iop_covered"] = "Say whether the plan covers IOP."
            if self.coinsurance_percent is not None and self.copay_per_day is not None:
                errors["copay_per_day"] = "Enter coinsurance or a copay per day, not both."
            if (
                self.deductible is not None
                and self.deductible_met is not None
                and self.deductible_met > self.deductible
            ):
                errors["deductible_met"] = "More than the deductible itself."
            if (
                self.out_of_pocket_max is not None
                and self.out_of_pocket_met is not None
                and self.out_of_pocket_met > self.out_of_pocket_max
            ):
                errors["out_of_pocket_met"] = "More than the out-of-pocket maximum itself."
            if not self.prior_auth_required and self.auth_days_approved is not None:
                errors["auth_days_approved"] = "Only with a prior authorization."
            if self.coverage_from and self.coverage_to and self.coverage_to < self.coverage_from:
                errors["coverage_to"] = "The plan cannot end before it starts."
        elif self.payment == PaymentKind.SELF_PAY:
            if not self.self_pay_option:
                errors["self_pay_option"] = "Pick how they will pay."
            elif self.self_pay_option == SelfPayOption.PAYMENT_PLAN:
                if not self.plan_amount:
                    errors["plan_amount"] = "How much is each payment?"
                if not self.plan_frequency:
                    errors["plan_frequency"] = "How often?"
            else:
                self.plan_amount, self.plan_frequency = None, ""
        if errors:
            raise ValidationError(errors)

    @property
    def deductible_remaining(self) -> Decimal:
        if self.deductible is None:
            return Decimal(0)
        return max(self.deductible - (self.deductible_met or 0), Decimal(0))

    @property
    def out_of_pocket_remaining(self) -> Decimal | None:
        if self.out_of_pocket_max is None:
            return None
        return max(self.out_of_pocket_max - (self.out_of_pocket_met or 0), Decimal(0))

    def estimate(self) -> estimates.Estimate:
        if self.payment == PaymentKind.SELF_PAY:
            is_plan = self.self_pay_option == SelfPayOption.PAYMENT_PLAN
            return estimates.estimate_self_pay(
                day_rate=self.day_rate,
                weeks=self.weeks,
                days_per_week=self.days_per_week,
                instalment=self.plan_amount if is_plan else None,
                instalment_label=self.get_plan_frequency_display() if is_plan else "",
            )
        return estimates.estimate_insured(
            day_rate=self.day_rate,
            weeks=self.weeks,
            days_per_week=self.days_per_week,
            covered=bool(self.iop_covered),
            deductible_remaining=self.deductible_remaining,
            coinsurance_percent=self.coinsurance_percent,
            copay_per_day=self.copay_per_day,
            out_of_pocket_remaining=self.out_of_pocket_remaining,
        )

    def auth_shortfall(self) -> int | None:
        """Days of the estimated course that the current authorization does not cover."""
        if not self.prior_auth_required or self.auth_days_approved is None:
            return None
        missing = self.weeks * self.days_per_week - self.auth_days_approved
        return missing if missing > 0 else None
