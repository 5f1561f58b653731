from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from middlepath.clinic.models import (
    WEEKDAY_LABELS,
    CurriculumTopic,
    GroupType,
    Location,
    Phase,
    Program,
    Room,
    Track,
)


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "city", "time_zone", "has_aftercare_club", "is_active")
    list_filter = ("is_active", "has_aftercare_club")
    search_fields = ("name", "code", "city")
    inlines = [RoomInline]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "location", "capacity", "is_active")
    list_filter = ("location", "is_active")


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ("name", "minimum_weekly_minutes", "week_starts_on")
    inlines = [PhaseInline]


class TrackForm(forms.ModelForm):
    meeting_days = forms.TypedMultipleChoiceField(
        choices=[(number, label) for number, label in enumerate(WEEKDAY_LABELS, start=1)],
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Track
        fields = [
            "program",
            "location",
            "name",
            "kind",
            "meeting_days",
            "block_start",
            "block_end",
            "slot_minutes",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["meeting_days"] = self.instance.meeting_days


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    form = TrackForm
    list_display = ("name", "location", "program", "kind", "schedule_label", "is_active")
    list_filter = ("location", "program", "kind", "is_active")


@admin.register(Phase)
class PhaseAdmin(admin.ModelAdmin):
    list_display = ("name", "program", "order", "weekly_target_minutes", "min_days", "max_days")
    list_filter = ("program",)


class TopicInline(admin.TabularInline):
    model = CurriculumTopic
    extra = 0


@admin.register(GroupType)
class GroupTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "min_size", "max_size", "same_stage")
    inlines = [TopicInline]


@admin.register(CurriculumTopic)
class CurriculumTopicAdmin(admin.ModelAdmin):
    list_display = ("title", "group_type", "skill", "order", "is_active")
    list_filter = ("group_type", "is_active")
    search_fields = ("title", "skill")
