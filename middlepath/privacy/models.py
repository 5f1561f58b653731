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
    GROUP_CREATE = "group.create", "Therapy group created"
    GROUP_UPDATE = "group.update", "Therapy group changed"
    GROUP_VIEW = "group.view", "Group roster viewed"
    MEMBERSHIP_ADD = "membership.add", "Patient added to a group"
    MEMBERSHIP_END = "membership.end", "Patient left a group"
    GUEST_ADD = "guest.add", "Family guest added to a group"
    SESSION_SCHEDULE = "session.schedule", "Session scheduled"
    SESSION_CANCEL = "session.cancel", "Session cancelled"
    ATTENDANCE_RECORD = "attendance.record", "Attendance recorded"
    ATTENDANCE_VIEW = "attendance.view", "Attendance viewed"
    NOTE_VIEW = "note.view", "Note read"
    NOTE_SAVE = "note.save", "Note drafted"
    NOTE_SIGN = "note.sign", "Note signed"
    NOTE_COSIGN = "note.cosign", "Note co-signed"
    NOTE_ADDENDUM = "note.addendum", "Addendum added to a note"
    HOMEWORK_ASSIGN = "homework.assign", "Homework assigned"
    HOMEWORK_REVIEW = "homework.review", "Homework marked"
    HOURS_VIEW = "hours.view", "Weekly hours viewed"
    COMPLIANCE_REPORT_VIEW = "report.compliance_view", "Compliance report viewed"
    INQUIRY_CREATE = "inquiry.create", "Consultation request received"
    INQUIRY_LIST = "inquiry.list", "Inquiry queue viewed"
    INQUIRY_VIEW = "inquiry.view", "Inquiry viewed"
    INQUIRY_UPDATE = "inquiry.update", "Inquiry details changed"
    INQUIRY_ASSIGN = "inquiry.assign", "Inquiry assigned"
    INQUIRY_CONTACT = "inquiry.contact", "Contact attempt logged"
    INQUIRY_SCREEN = "inquiry.screen", "Screening recorded"
    INQUIRY_BENEFITS = "inquiry.benefits", "Benefits verification recorded"
    INQUIRY_STATUS = "inquiry.status", "Inquiry status changed"
    INQUIRY_ADMIT = "inquiry.admit", "Inquiry admitted"
    COVERAGE_CREATE = "coverage.create", "Coverage recorded"
    COVERAGE_VIEW = "coverage.view", "Coverage viewed"
    SCHEDULE_VIEW = "schedule.view", "Weekly schedule viewed"
    CALENDAR_FEED_CREATE = "calendar_feed.create", "Calendar link made"
    CALENDAR_FEED_REVOKE = "calendar_feed.revoke", "Calendar link revoked"
    CALENDAR_FEED_READ = "calendar_feed.read", "Calendar feed read by a calendar app"
    ROSTER_VIEW = "roster.view", "Weekly roster viewed"
    ROSTER_BUILD = "roster.build", "Weekly roster built"
    ROSTER_APPLY = "roster.apply", "Weekly roster applied"
    ROSTER_SEAT = "roster.seat", "Patient seated by the weekly roster"
    AVAILABILITY_CHANGE = "availability.change", "Availability for the roster changed"
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
