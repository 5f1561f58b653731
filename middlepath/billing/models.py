from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from middlepath.care.models import Patient


class PayerType(models.TextChoices):
    MEDICAID = "medicaid", "Medicaid"
    MEDICARE = "medicare", "Medicare"
    COMMERCIAL = "commercial", "Commercial (private)"
    OTHER = "other", "Other (TRICARE, VA, state program…)"


class PlanType(models.TextChoices):
    HMO = "hmo", "HMO"
    PPO = "ppo", "PPO"
    EPO = "epo", "EPO"
    POS = "pos", "POS"
    MANAGED = "managed", "Medicare Advantage / managed Medicaid"
    FEE_FOR_SERVICE = "fee_for_service", "Original Medicare / fee-for-service Medicaid"
    OTHER = "other", "Other or unknown"


class CoverageQuerySet(models.QuerySet):
    def active_on(self, day) -> CoverageQuerySet:
        return self.filter(Q(effective_from__isnull=True) | Q(effective_from__lte=day)).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=day)
        )


class Coverage(models.Model):
    """A health plan that pays for a patient's care, as verified with the payer."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="coverages")
    payer_type = models.CharField(max_length=20, choices=PayerType.choices)
    payer_name = models.CharField(max_length=120)
    member_id = models.CharField("member ID", max_length=60)
    plan_type = models.CharField(max_length=20, choices=PlanType.choices, blank=True)
    in_network = models.BooleanField(null=True, blank=True, help_text="Unknown until verified.")
    # Either date may be unknown: the payer does not always say, and a guess would mislead.
    effective_from = models.DateField(null=True, blank=True)
    effective_to = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = CoverageQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "-effective_from", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_from__isnull=True)
                | Q(effective_to__isnull=True)
                | Q(effective_to__gte=F("effective_from")),
                name="coverage_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=~Q(payer_name="") & ~Q(member_id=""),
                name="coverage_names_payer_and_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payer_name} ({self.get_payer_type_display()})"

    @property
    def audit_patient_id(self) -> int:
        return self.patient_id

    def clean(self) -> None:
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValidationError({"effective_to": "Coverage cannot end before it starts."})
