"""The clinic's set-up: where and when the program meets, and how groups are shaped.

These records change rarely and are managed by administrators in the Django admin.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone (e.g. America/Chicago).")


def validate_weekdays(value: object) -> None:
    """Meeting days are a sorted list of distinct ISO weekday numbers (1 = Monday)."""
    if not isinstance(value, list) or not all(isinstance(day, int) for day in value):
        raise ValidationError("Meeting days must be a list of weekday numbers 1-7.")
    if any(day < 1 or day > 7 for day in value) or len(set(value)) != len(value):
        raise ValidationError("Meeting days must be distinct weekday numbers 1 (Mon) to 7 (Sun).")
    if not value:
        raise ValidationError("Pick at least one meeting day.")


code_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9-]*$", "Use lower-case letters, digits and hyphens (e.g. north)."
)


class Location(models.Model):
    name = models.CharField(max_length=120, unique=True)
    code = models.CharField(
        max_length=30,
        unique=True,
        validators=[code_validator],
        help_text="Short identifier used in exports and rosters, e.g. 'north'.",
    )
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=50, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    intake_email = models.EmailField(
        blank=True, help_text="Where new consultation requests for this location are sent."
    )
    has_aftercare_club = models.BooleanField("aftercare club", default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def today(self) -> dt.date:
        """The calendar date now at this location (not the server's)."""
        return dt.datetime.now(self.zone).date()


class Room(models.Model):
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=80)
    capacity = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    is_active = models.BooleanField(default=True, help_text="A closed room takes no new sessions.")

    class Meta:
        ordering = ["location__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "name"], name="room_name_unique_per_location"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="room_capacity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.location})"


class Program(models.Model):
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    minimum_weekly_minutes = models.PositiveIntegerField(
        default=540,
        validators=[MinValueValidator(1)],
        help_text="The weekly treatment time the program promises (IOP: at least 540 = 9 h).",
    )
    week_starts_on = models.PositiveSmallIntegerField(
        default=1,
        choices=[(number, label) for number, label in enumerate(WEEKDAY_LABELS, start=1)],
        help_text="First day of the program's week for hours and rosters.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minimum_weekly_minutes__gte=1), name="program_minimum_minutes_positive"
            ),
            models.CheckConstraint(
                condition=Q(week_starts_on__gte=1, week_starts_on__lte=7),
                name="program_week_start_is_weekday",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def week_start(self, day: dt.date) -> dt.date:
        """The first day of the program week that contains `day`."""
        offset = (day.isoweekday() - self.week_starts_on) % 7
        return day - dt.timedelta(days=offset)


class Track(models.Model):
    class Kind(models.TextChoices):
        DAY = "day", "Day"
        EVENING = "evening", "Evening"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="tracks")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="tracks")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    meeting_days = models.JSONField(
        default=list,
        validators=[validate_weekdays],
        help_text="ISO weekday numbers the track meets on (1 = Monday … 7 = Sunday).",
    )
    block_start = models.TimeField(help_text="When a day's block begins, e.g. 18:00.")
    block_end = models.TimeField(help_text="When it ends, e.g. 21:00.")
    slot_minutes = models.PositiveSmallIntegerField(
        default=90,
        validators=[MinValueValidator(15)],
        help_text="A block is divided into slots of this length; one group session per slot.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location__name", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "location", "name"], name="track_name_unique_per_site"
            ),
            models.CheckConstraint(
                condition=Q(block_end__gt=F("block_start")), name="track_block_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.location})"

    def clean(self) -> None:
        if self.block_start and self.block_end and self.block_end <= self.block_start:
            raise ValidationError({"block_end": "The block must end after it starts."})
        if (
            self.block_start
            and self.block_end
            and self.slot_minutes
            and (self.block_minutes % self.slot_minutes)
        ):
            raise ValidationError(
                {
                    "slot_minutes": f"A {self.block_minutes}-minute block does not divide into "
                    f"{self.slot_minutes}-minute slots."
                }
            )
        if isinstance(self.meeting_days, list):
            self.meeting_days = sorted(self.meeting_days)

    @property
    def block_minutes(self) -> int:
        start = dt.datetime.combine(dt.date.min, self.block_start)
        end = dt.datetime.combine(dt.date.min, self.block_end)
        return int((end - start).total_seconds() // 60)

    @property
    def meeting_day_names(self) -> list[str]:
        return [WEEKDAY_NAMES[day - 1] for day in self.meeting_days]

    def meets_on(self, day: dt.date) -> bool:
        return day.isoweekday() in self.meeting_days

    def schedule_label(self) -> str:
        days = ", ".join(name.capitalize() for name in self.meeting_day_names)
        return f"{days} {self.block_start:%H:%M}–{self.block_end:%H:%M}"


class Phase(models.Model):
    """A stage of the program with its weekly hours; patients step down (and back up)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="phases")
    name = models.CharField(max_length=80)
    order = models.PositiveSmallIntegerField(
        help_text="1 is the most intensive; higher numbers are step-down phases."
    )
    weekly_target_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    min_days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    max_days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    group_needs = models.JSONField(
        default=dict,
        blank=True,
        help_text='Group sessions a week by group type code, e.g. {"process": 2, "skills": 1}; '
        "the weekly roster gives each patient at least these.",
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["program__name", "order"]
        constraints = [
            models.UniqueConstraint(fields=["program", "order"], name="phase_order_unique"),
            models.UniqueConstraint(fields=["program", "name"], name="phase_name_unique"),
            models.CheckConstraint(
                condition=Q(min_days__lte=F("max_days")), name="phase_min_days_le_max"
            ),
            models.CheckConstraint(
                condition=Q(min_days__gte=1, max_days__lte=7), name="phase_days_within_week"
            ),
            models.CheckConstraint(
                condition=Q(weekly_target_minutes__gte=1), name="phase_target_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.min_days and self.max_days and self.min_days > self.max_days:
            raise ValidationError({"max_days": "Maximum days must be at least the minimum."})
        needs = self.group_needs
        if not isinstance(needs, dict) or not all(
            isinstance(code, str) and isinstance(count, int) and count >= 0
            for code, count in needs.items()
        ):
            raise ValidationError(
                {"group_needs": 'Give counts by group type code, e.g. {"process": 2}.'}
            )
        unknown = set(needs) - set(GroupType.objects.values_list("code", flat=True))
        if unknown:
            raise ValidationError(
                {"group_needs": f"Unknown group types: {', '.join(sorted(unknown))}."}
            )

    @property
    def target_hours_label(self) -> str:
        hours, minutes = divmod(self.weekly_target_minutes, 60)
        return f"{hours} h" if not minutes else f"{hours} h {minutes} min"


class GroupType(models.Model):
    class Kind(models.TextChoices):
        PSYCHOEDUCATION = "psychoeducation", "Psychoeducation"
        SKILLS = "skills", "Skills development"
        PROCESS = "process", "Process"
        FAMILY = "family", "Family"

    name = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    code = models.CharField(max_length=30, unique=True, validators=[code_validator])
    min_size = models.PositiveSmallIntegerField(default=8, validators=[MinValueValidator(1)])
    max_size = models.PositiveSmallIntegerField(default=15, validators=[MinValueValidator(1)])
    same_stage = models.BooleanField(
        default=False, help_text="Members share a recovery stage (process groups)."
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_size__gte=1), name="group_type_min_size_positive"
            ),
            models.CheckConstraint(
                condition=Q(min_size__lte=F("max_size")), name="group_type_min_le_max"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.min_size and self.max_size and self.min_size > self.max_size:
            raise ValidationError({"max_size": "Maximum size must be at least the minimum."})


class CurriculumTopic(models.Model):
    group_type = models.ForeignKey(GroupType, on_delete=models.PROTECT, related_name="topics")
    title = models.CharField(max_length=160)
    skill = models.CharField(max_length=200, blank=True, help_text="The skill practised, if any.")
    homework_template = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["group_type__name", "order", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["group_type", "title"], name="topic_title_unique_per_type"
            ),
        ]

    def __str__(self) -> str:
        return self.title
