"""Therapy groups, sessions, attendance, notes in thirds, and homework.

A group meets on a weekly pattern; its sessions are generated from that pattern. Who is
expected at a group session is whoever was a member on its date, so membership changes
apply to future sessions and leave past ones (and their attendance) as they were.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from middlepath.care.models import Patient, RecoveryStage
from middlepath.clinic.models import (
    WEEKDAY_NAMES,
    CurriculumTopic,
    GroupType,
    Location,
    Room,
    Track,
    validate_weekdays,
)

MAX_SESSION_MINUTES = 480


class TherapyGroupQuerySet(models.QuerySet):
    def at(self, location_ids) -> TherapyGroupQuerySet:
        return self.filter(track__location_id__in=location_ids)

    def active(self) -> TherapyGroupQuerySet:
        return self.filter(is_active=True)

    def with_member_count(self, day: dt.date) -> TherapyGroupQuerySet:
        return self.annotate(
            member_count=models.Count(
                "memberships",
                filter=Q(memberships__joined_on__lte=day)
                & (Q(memberships__left_on__isnull=True) | Q(memberships__left_on__gt=day)),
            )
        )


class TherapyGroup(models.Model):
    """A standing group with a weekly pattern (days, start, length) on one track."""

    name = models.CharField(max_length=120)
    group_type = models.ForeignKey(GroupType, on_delete=models.PROTECT, related_name="groups")
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="groups")
    stage = models.CharField(
        max_length=10,
        choices=RecoveryStage.choices,
        blank=True,
        help_text="For groups whose members share a recovery stage (process groups).",
    )
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="facilitated_groups"
    )
    co_facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="co_facilitated_groups",
    )
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="groups")
    meeting_days = models.JSONField(
        default=list,
        validators=[validate_weekdays],
        help_text="ISO weekday numbers the group meets on (1 = Monday … 7 = Sunday).",
    )
    start_time = models.TimeField()
    minutes = models.PositiveSmallIntegerField(
        default=90, validators=[MinValueValidator(15), MaxValueValidator(MAX_SESSION_MINUTES)]
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TherapyGroupQuerySet.as_manager()

    class Meta:
        ordering = ["track__location__name", "track__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["track", "name"], name="group_name_unique_per_track"),
            models.CheckConstraint(
                condition=Q(minutes__gte=15, minutes__lte=MAX_SESSION_MINUTES),
                name="group_minutes_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def location(self) -> Location:
        return self.track.location

    @property
    def is_family(self) -> bool:
        return self.group_type.kind == GroupType.Kind.FAMILY

    def schedule_label(self) -> str:
        days = ", ".join(WEEKDAY_NAMES[day - 1].capitalize() for day in self.meeting_days)
        return f"{days} {self.start_time:%H:%M} ({self.minutes} min)"

    def meets_on(self, day: dt.date) -> bool:
        return day.isoweekday() in self.meeting_days

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.group_type_id:
            if self.group_type.same_stage and not self.stage:
                errors["stage"] = f"{self.group_type} groups are for one recovery stage: pick it."
            if not self.group_type.same_stage and self.stage:
                errors["stage"] = f"{self.group_type} groups mix recovery stages; leave it empty."
        if self.track_id and self.room_id and self.room.location_id != self.track.location_id:
            errors["room"] = "This room is at another location than the track."
        # Minutes out of range are the field's own error (and no timedelta at all).
        if self.start_time and self.minutes and self.minutes <= MAX_SESSION_MINUTES:
            start = dt.datetime.combine(dt.date.min, self.start_time)
            if (start + dt.timedelta(minutes=self.minutes)).date() != dt.date.min:
                errors["minutes"] = "A session must end on the day it starts."
        if self.facilitator_id and self.facilitator_id == self.co_facilitator_id:
            errors["co_facilitator"] = "The co-facilitator must be someone else."
        if errors:
            raise ValidationError(errors)


class MembershipQuerySet(models.QuerySet):
    def on(self, day: dt.date) -> MembershipQuerySet:
        """Memberships in force on `day` (joined by then, not yet left)."""
        return self.filter(joined_on__lte=day).filter(Q(left_on__isnull=True) | Q(left_on__gt=day))

    def current(self) -> MembershipQuerySet:
        return self.filter(left_on__isnull=True)


class Membership(models.Model):
    """A patient's seat in a group from `joined_on` until the day before `left_on`."""

    group = models.ForeignKey(TherapyGroup, on_delete=models.PROTECT, related_name="memberships")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="memberships")
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True, help_text="First day no longer a member.")

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["joined_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "patient"],
                condition=Q(left_on__isnull=True),
                name="one_current_membership_per_group",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gt=F("joined_on")),
                name="membership_leaves_after_joining",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "left_on"], name="membership_patient_current"),
            models.Index(fields=["group", "joined_on", "left_on"], name="membership_group_period"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} in {self.group}"

    @property
    def audit_patient_id(self) -> int:
        return self.patient_id


class GroupGuest(models.Model):
    """A family member who attends a family group as the guest of a patient."""

    group = models.ForeignKey(TherapyGroup, on_delete=models.CASCADE, related_name="guests")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="group_guests")
    name = models.CharField(max_length=120)
    relationship = models.CharField(max_length=60)
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.relationship})"

    @property
    def audit_patient_id(self) -> int:
        return self.patient_id


class SessionQuerySet(models.QuerySet):
    def at(self, location_ids) -> SessionQuerySet:
        return self.filter(location_id__in=location_ids)

    def between(self, first: dt.date, last: dt.date) -> SessionQuerySet:
        return self.filter(date__range=(first, last))

    def not_cancelled(self) -> SessionQuerySet:
        return self.exclude(status=Session.Status.CANCELLED)

    def overlapping(self, starts_at: dt.datetime, ends_at: dt.datetime) -> SessionQuerySet:
        return self.not_cancelled().filter(starts_at__lt=ends_at, ends_at__gt=starts_at)

    def expecting(self, patient: Patient) -> SessionQuerySet:
        """Sessions that expect the patient: their visits, and their groups' sessions on
        dates they were a member (joined on or before, not yet left)."""
        member_then = Membership.objects.filter(
            group_id=models.OuterRef("group_id"),
            patient=patient,
            joined_on__lte=models.OuterRef("date"),
        ).filter(Q(left_on__isnull=True) | Q(left_on__gt=models.OuterRef("date")))
        seat = Seat.objects.filter(session_id=models.OuterRef("pk"), patient=patient)
        return self.filter(
            Q(patient=patient)
            | Q(seated=False) & Q(models.Exists(member_then))
            | Q(seated=True) & Q(models.Exists(seat))
        )

    def expected(self) -> dict[int, list[int]]:
        """Who each of these sessions expects, by session id, in three queries: the patient
        of a visit, the seats of a rostered session, the group's members on its date."""
        rows = list(self.values_list("pk", "group_id", "patient_id", "seated", "date"))
        seated: dict[int, list[int]] = defaultdict(list)
        for session_id, patient_id in Seat.objects.filter(
            session_id__in=[row[0] for row in rows if row[3]]
        ).values_list("session_id", "patient_id"):
            seated[session_id].append(patient_id)
        members: dict[int, list[tuple[int, dt.date, dt.date | None]]] = defaultdict(list)
        for group_id, patient_id, joined, left in Membership.objects.filter(
            group_id__in={row[1] for row in rows if row[1] and not row[3]}
        ).values_list("group_id", "patient_id", "joined_on", "left_on"):
            members[group_id].append((patient_id, joined, left))
        expected: dict[int, list[int]] = {}
        for session_id, group_id, patient_id, is_seated, day in rows:
            if patient_id:
                expected[session_id] = [patient_id]
            elif is_seated:
                expected[session_id] = seated[session_id]
            else:
                # The same rule as MembershipQuerySet.on(): joined by then, not yet left.
                expected[session_id] = [
                    pid
                    for pid, joined, left in members[group_id]
                    if joined <= day and (left is None or day < left)
                ]
        return expected

    def led_by(self, user) -> SessionQuerySet:
        return self.filter(Q(facilitator=user) | Q(co_facilitator=user))


class Session(models.Model):
    """One dated occurrence: a group session, or a visit with one patient."""

    class Kind(models.TextChoices):
        GROUP = "group", "Group session"
        INDIVIDUAL = "individual", "Individual therapy"
        FAMILY = "family", "Family therapy"
        CASE_MANAGEMENT = "case_management", "Case management"
        MEDICAL = "medical", "Medical management"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled by the program"

    # Kinds whose attended minutes are treatment time (see AttendanceQuerySet.counted).
    COUNTED_KINDS = (Kind.GROUP, Kind.INDIVIDUAL, Kind.FAMILY)

    kind = models.CharField(max_length=20, choices=Kind.choices)
    group = models.ForeignKey(
        TherapyGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions"
    )
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="sessions")
    date = models.DateField(help_text="The local date at the location.")
    start_time = models.TimeField(help_text="The local start time at the location.")
    minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(MAX_SESSION_MINUTES)]
    )
    # The same moment in UTC, for double-booking checks across time zones and days.
    starts_at = models.DateTimeField(editable=False)
    ends_at = models.DateTimeField(editable=False)
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions"
    )
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="facilitated_sessions"
    )
    co_facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="co_facilitated_sessions",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    cancel_reason = models.CharField(max_length=200, blank=True)
    # A session placed by the weekly roster names who sits in it (Seat rows); otherwise
    # whoever is a member of the group on its date is expected.
    seated = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["date", "start_time", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="group", group__isnull=False, patient__isnull=True))
                | (~Q(kind="group") & Q(group__isnull=True, patient__isnull=False)),
                name="session_is_a_group_or_a_visit",
            ),
            models.CheckConstraint(
                condition=Q(minutes__gte=5, minutes__lte=MAX_SESSION_MINUTES),
                name="session_minutes_in_range",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"
            ),
            # Generating a pattern twice must not make twins.
            models.UniqueConstraint(
                fields=["group", "date", "start_time"],
                condition=Q(group__isnull=False),
                name="one_group_session_per_start",
            ),
        ]
        indexes = [
            models.Index(fields=["location", "date"], name="session_site_date"),
            models.Index(fields=["facilitator", "starts_at"], name="session_facilitator_time"),
            models.Index(fields=["room", "starts_at"], name="session_room_time"),
            models.Index(fields=["patient", "date"], name="session_patient_date"),
            models.Index(fields=["group", "date"], name="session_group_date"),
        ]
        permissions = [("view_schedule", "Can see the day's sessions")]

    def __str__(self) -> str:
        what = self.group.name if self.group_id else self.get_kind_display()
        return f"{what}, {self.date:%a %b %d} {self.start_time:%H:%M}"

    @property
    def title(self) -> str:
        return self.group.name if self.group_id else self.get_kind_display()

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def end_time(self) -> dt.time:
        start = dt.datetime.combine(self.date, self.start_time)
        return (start + dt.timedelta(minutes=self.minutes)).time()

    @property
    def audit_patient_id(self) -> int | None:
        return self.patient_id

    def place_in_time(self) -> None:
        """Set starts_at/ends_at (UTC) from the local date and time at the location."""
        zone = self.location.zone
        start = dt.datetime.combine(self.date, self.start_time, tzinfo=zone)
        self.starts_at = start.astimezone(dt.UTC)
        self.ends_at = (start + dt.timedelta(minutes=self.minutes)).astimezone(dt.UTC)


class Seat(models.Model):
    """A patient's place in a session set by the weekly roster (for `seated` sessions)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="seats")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="seats")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "patient"], name="one_seat_per_patient_per_session"
            ),
        ]
        indexes = [models.Index(fields=["patient", "session"], name="seat_patient_session")]

    def __str__(self) -> str:
        return f"Seat of patient {self.patient_id} in session {self.session_id}"

    @property
    def audit_patient_id(self) -> int:
        return self.patient_id


class AttendanceQuerySet(models.QuerySet):
    def counted(self) -> AttendanceQuerySet:
        """THE rule for treatment time: attended minutes of group, individual and family
        sessions the program held. Cancelled sessions, absences, case-management and
        medical visits do not count towards the weekly hours.
        """
        return self.filter(
            status__in=Attendance.ATTENDED,
            session__kind__in=Session.COUNTED_KINDS,
            session__status=Session.Status.SCHEDULED,
        )

    def between(self, first: dt.date, last: dt.date) -> AttendanceQuerySet:
        return self.filter(date__range=(first, last))

    def absences(self) -> AttendanceQuerySet:
        return self.filter(
            status__in=(Attendance.Status.ABSENT_UNEXCUSED, Attendance.Status.ABSENT_EXCUSED)
        )


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", "Present"
        LATE = "late", "Late"
        LEFT_EARLY = "left_early", "Left early"
        ABSENT_EXCUSED = "absent_excused", "Absent, excused"
        ABSENT_UNEXCUSED = "absent_unexcused", "Absent, unexcused"
        CANCELLED = "cancelled", "Cancelled by program"

    # Statuses in which the patient was there for some minutes.
    ATTENDED = (Status.PRESENT, Status.LATE, Status.LEFT_EARLY)
    PARTIAL = (Status.LATE, Status.LEFT_EARLY)

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="attendance")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="attendance")
    # The session's date, kept here so the weekly ledger reads one indexed table.
    date = models.DateField(editable=False)
    status = models.CharField(max_length=20, choices=Status.choices)
    minutes = models.PositiveSmallIntegerField(default=0, help_text="Minutes actually attended.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        ordering = ["session", "patient"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "patient"], name="one_attendance_per_patient_per_session"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["present", "late", "left_early"], minutes__gt=0)
                | (~Q(status__in=["present", "late", "left_early"]) & Q(minutes=0)),
                name="attendance_minutes_match_status",
            ),
            models.CheckConstraint(
                condition=Q(minutes__lte=MAX_SESSION_MINUTES), name="attendance_minutes_bounded"
            ),
        ]
        indexes = [
            # Covers the weekly ledger: a patient's attended minutes between two dates.
            models.Index(fields=["patient", "date", "status"], name="attendance_patient_week"),
            models.Index(fields=["date", "status"], name="attendance_date_status"),
        ]
        permissions = [("view_compliance", "Can see weekly hours and the compliance report")]

    def __str__(self) -> str:
        return f"{self.patient} at {self.session}: {self.get_status_display()}"

    @property
    def audit_patient_id(self) -> int:
        return self.patient_id


class Note(models.Model):
    """The clinical note of a session.

    A group note is written once, in thirds: each present member's check-in (CheckIn rows,
    one per member), the topic or skill, and the facilitator's summary with the homework.
    Each member's chart shows the shared parts with only that member's check-in. Visits
    (individual, family, case management, medical) use focus / interventions / response /
    plan. Signed notes are locked; corrections are addenda.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"

    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="note")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notes"
    )
    topic = models.ForeignKey(
        CurriculumTopic, null=True, blank=True, on_delete=models.PROTECT, related_name="notes"
    )
    topic_text = models.CharField(
        "topic or skill (free text)",
        max_length=200,
        blank=True,
        help_text="When the topic is not in the curriculum.",
    )
    summary = models.TextField(blank=True, help_text="The facilitator's summary.")
    focus = models.TextField(blank=True, help_text="What the visit addressed.")
    interventions = models.TextField(blank=True)
    response = models.TextField(blank=True, help_text="The patient's response and progress.")
    plan = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    signed_at = models.DateTimeField(null=True, blank=True)
    # A trainee's or unlicensed counselor's signed note waits for the supervisor.
    cosigner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-session__date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft", signed_at__isnull=True)
                | Q(status="signed", signed_at__isnull=False),
                name="note_signed_has_time",
            ),
        ]
        indexes = [models.Index(fields=["cosigner", "cosigned_at"], name="note_cosign_queue")]
        permissions = [("cosign_note", "Can co-sign supervisees' notes")]

    def __str__(self) -> str:
        return f"Note for {self.session}"

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.SIGNED

    @property
    def awaiting_cosign(self) -> bool:
        return self.is_locked and self.cosigner_id is not None and self.cosigned_at is None

    @property
    def topic_label(self) -> str:
        return self.topic.title if self.topic_id else self.topic_text

    @property
    def audit_patient_id(self) -> int | None:
        return self.session.patient_id


class CheckIn(models.Model):
    """First third of a group note: one member's current issue, in their own chart only."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="check_ins")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="check_ins")
    text = models.CharField(max_length=600)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["note", "patient"], name="one_check_in_per_member"),
        ]

    def __str__(self) -> str:
        return f"Check-in of patient {self.patient_id}"


class Addendum(models.Model):
    """A correction or later addition to a signed note; the original stays as it was."""

    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Addendum to {self.note}"


class HomeworkQuerySet(models.QuerySet):
    def open(self) -> HomeworkQuerySet:
        return self.filter(status=Homework.Status.ASSIGNED)


class Homework(models.Model):
    class Status(models.TextChoices):
        ASSIGNED = "assigned", "Assigned"
        DONE = "done", "Done"
        NOT_DONE = "not_done", "Not done"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="homework")
    session = models.ForeignKey(
        Session,
        on_delete=models.PROTECT,
        related_name="homework_assigned",
        help_text="The session it was assigned in.",
    )
    text = models.CharField(max_length=500)
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ASSIGNED)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_in = models.ForeignKey(
        Session,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="homework_reviewed",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    objects = HomeworkQuerySet.as_manager()

    class Meta:
        ordering = ["-due_on", "pk"]
        indexes = [models.Index(fields=["patient", "status"], name="homework_patient_status")]

    def __str__(self) -> str:
        return self.text

    @property
    def audit_patient_id(self) -> int:
        return self.patient_id
