"""Private calendar links (iCalendar feeds) of patients and staff."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from middlepath.care.models import Patient


class CalendarFeedQuerySet(models.QuerySet):
    def active(self) -> CalendarFeedQuerySet:
        return self.filter(revoked_at__isnull=True)


class CalendarFeed(models.Model):
    """A secret link to one person's schedule as an .ics feed; revocable.

    Only a hash of the secret is stored: whoever reads the table cannot subscribe. A feed
    belongs to a patient or to a member of staff, never both.
    """

    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_read_at = models.DateTimeField(null=True, blank=True)

    objects = CalendarFeedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(patient__isnull=True, user__isnull=False)
                | Q(patient__isnull=False, user__isnull=True),
                name="calendar_feed_has_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed {self.pk}"

    @property
    def audit_patient_id(self) -> int | None:
        return self.patient_id

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def new_key() -> str:
        return secrets.token_urlsafe(32)


class WeekPlanQuerySet(models.QuerySet):
    def for_week(self, location, week_start) -> WeekPlan:
        plan, _ = self.get_or_create(location=location, week_start=week_start)
        return plan


class WeekPlan(models.Model):
    """One location's week to roster: who is available when, and the rosters built for it."""

    location = models.ForeignKey(
        "clinic.Location", on_delete=models.CASCADE, related_name="week_plans"
    )
    week_start = models.DateField()
    closed_rooms = models.ManyToManyField(
        "clinic.Room", blank=True, related_name="closed_in", help_text="Rooms closed all week."
    )

    objects = WeekPlanQuerySet.as_manager()

    class Meta:
        ordering = ["-week_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "week_start"], name="one_plan_per_site_week"
            )
        ]

    def __str__(self) -> str:
        return f"{self.location} week of {self.week_start:%Y-%m-%d}"


class PatientDays(models.Model):
    """The days of their track a patient can come this week (work, transport, childcare)."""

    plan = models.ForeignKey(WeekPlan, on_delete=models.CASCADE, related_name="patient_days")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    days = models.JSONField(default=list, help_text="ISO weekday numbers (1 = Monday).")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "patient"], name="one_days_row_per_patient")
        ]

    def __str__(self) -> str:
        return f"Days of patient {self.patient_id}"

    @property
    def audit_patient_id(self) -> int:
        return self.patient_id


class StaffSlots(models.Model):
    """The slots a member of staff can lead a group in this week (default: all of them)."""

    plan = models.ForeignKey(WeekPlan, on_delete=models.CASCADE, related_name="staff_slots")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    slots = models.JSONField(default=list, help_text="Slot ids of the week's roster instance.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "user"], name="one_slots_row_per_staff")
        ]

    def __str__(self) -> str:
        return f"Slots of staff {self.user_id}"


class RosterRun(models.Model):
    """One build of a week's roster: the instance, the solver's progress and its proposal."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Building"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"
        APPLIED = "applied", "Applied"

    plan = models.ForeignKey(WeekPlan, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    seconds = models.PositiveSmallIntegerField(default=30)
    instance = models.JSONField(default=dict)
    solution = models.JSONField(null=True, blank=True)
    progress = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    edited = models.BooleanField(default=False, help_text="Changed by hand after the build.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        permissions = [("build_roster", "Can build and apply the weekly roster")]

    def __str__(self) -> str:
        return f"Roster run {self.pk} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    # Queued longer than this, the page says the builder may not be running.
    WAITING_LONG = dt.timedelta(minutes=1)

    @property
    def is_waiting_long(self) -> bool:
        return (
            self.status == self.Status.QUEUED
            and timezone.now() - self.created_at > self.WAITING_LONG
        )

    # A build whose process was restarted mid-build would say "building" for ever: past its
    # time limit and this grace, it failed. So would a run queued for a thread that never
    # started; a run queued for the roster worker waits for it, however long.
    STALE_AFTER = dt.timedelta(minutes=2)

    def give_up_if_stale(self, now: dt.datetime) -> bool:
        """Mark a build that can no longer be running as failed; True if it was."""
        if self.status == self.Status.RUNNING:
            since = self.started_at or self.created_at
        elif self.status == self.Status.QUEUED and settings.ROSTER_BUILDS != "worker":
            since = self.created_at
        else:
            return False
        if now < since + dt.timedelta(seconds=self.seconds) + self.STALE_AFTER:
            return False
        # Only if nobody has moved it on meanwhile (a worker claiming it, say).
        updated = RosterRun.objects.filter(pk=self.pk, status=self.status).update(
            status=self.Status.FAILED,
            finished_at=now,
            error="The build was interrupted (the server restarted). Build again.",
        )
        if updated:
            self.refresh_from_db()
        return bool(updated)
