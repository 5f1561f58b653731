from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    """Every auditable action, registered once. Names read as object.verb."""

    LOGIN = "auth.login", "Signed in"
    LOGIN_FAILED = "auth.login_failed", "Sign-in failed"
    LOCKED_OUT = "auth.locked_out", "Sign-in refused: locked out"
    LOGOUT = "auth.logout", "Signed out"
    API_TOKEN_CREATE = "api_token.create", "API token created"
    API_TOKEN_REVOKE = "api_token.revoke", "API token revoked"
    PATIENT_SEARCH = "patient.search", "Patient list viewed"
    PATIENT_VIEW = "patient.view", "Chart viewed"
    PATIENT_CREATE = "patient.create", "Patient registered"
    PATIENT_UPDATE = "patient.update", "Patient details changed"
    EPISODE_VIEW = "episode.view", "Episodes viewed"
    EPISODE_OPEN = "episode.open", "Episode opened (admission)"
    EPISODE_CHANGE = "episode.change", "Level of care / phase / track changed"
    EPISODE_DISCHARGE = "episode.discharge", "Patient discharged"
    CARE_TEAM_CHANGE = "care_team.change", "Care team changed"
    AUDIT_REPORT_VIEW = "audit.report_view", "Audit report viewed"
    DEMO_BUILD = "system.demo_build", "Demo clinic built"


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", "Success"
    DENIED = "denied", "Denied"
    FAILURE = "failure", "Failure"


class AuditEventQuerySet(models.QuerySet):
    def for_patient(self, patient_id: int) -> AuditEventQuerySet:
        return self.filter(patient_id=patient_id)


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained audit trail.

    `mac` is HMAC-SHA256 over this entry and the previous entry's mac, with a key kept
    outside the database. Database triggers refuse UPDATE and DELETE (see triggers.py).
    The patient is kept as a plain id, not a foreign key: the trail must outlive any
    record it mentions, and this app depends on no other.
    """

    seq = models.BigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    # Validated against AuditAction by audit.record(); not `choices=`, so that registering a
    # new action is a code change only, never a migration of this append-only table.
    action = models.CharField(max_length=64)
    outcome = models.CharField(max_length=10, default=AuditOutcome.SUCCESS)
    patient_id = models.BigIntegerField(null=True, blank=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    mac = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["occurred_at"], name="audit_occurred_at"),
            models.Index(fields=["patient_id", "occurred_at"], name="audit_patient_time"),
            models.Index(fields=["actor", "occurred_at"], name="audit_actor_time"),
            models.Index(fields=["action", "occurred_at"], name="audit_action_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_username or 'system'}"

    @property
    def action_label(self) -> str:
        try:
            return AuditAction(self.action).label
        except ValueError:  # an action retired from the code still shows in old entries
            return self.action
