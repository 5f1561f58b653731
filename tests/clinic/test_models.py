from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from middlepath.clinic.models import GroupType, Phase, Program, Room, Track
from tests import factories


class TestProgramWeek:
    @pytest.mark.parametrize(
        ("starts_on", "day", "expected"),
        [
            (1, dt.date(2026, 11, 26), dt.date(2026, 11, 23)),  # Thursday → Monday
            (1, dt.date(2026, 11, 23), dt.date(2026, 11, 23)),
            (7, dt.date(2026, 11, 26), dt.date(2026, 11, 22)),  # weeks starting Sunday
            (7, dt.date(2026, 11, 22), dt.date(2026, 11, 22)),
        ],
    )
    def test_week_start(self, starts_on, day, expected):
        assert Program(week_starts_on=starts_on).week_start(day) == expected


@pytest.mark.django_db
class TestTrack:
    def _track(self, clinic, **fields):
        defaults = {
            "program": clinic.program,
            "location": clinic.location,
            "name": "T",
            "kind": "day",
            "meeting_days": [1, 3, 5],
            "block_start": dt.time(9),
            "block_end": dt.time(12),
        }
        return Track(**{**defaults, **fields})

    def test_a_valid_track(self, clinic):
        track = self._track(clinic, meeting_days=[5, 1, 3])
        track.full_clean()
        assert track.meeting_days == [1, 3, 5]
        assert track.block_minutes == 180
        assert track.meeting_day_names == ["mon", "wed", "fri"]
        assert track.meets_on(dt.date(2026, 11, 27)) and not track.meets_on(dt.date(2026, 11, 26))

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"meeting_days": []}, "meeting_days"),
            ({"meeting_days": [0, 8]}, "meeting_days"),
            ({"meeting_days": [1, 1]}, "meeting_days"),
            ({"meeting_days": "mon"}, "meeting_days"),
            ({"block_end": dt.time(8)}, "block_end"),
            ({"slot_minutes": 70}, "slot_minutes"),
        ],
    )
    def test_bad_schedules_are_refused(self, clinic, fields, field):
        with pytest.raises(ValidationError) as error:
            self._track(clinic, **fields).full_clean()
        assert field in error.value.message_dict

    def test_the_database_refuses_a_block_that_ends_before_it_starts(self, clinic):
        with pytest.raises(IntegrityError), transaction.atomic():
            self._track(clinic, block_end=dt.time(8)).save()


@pytest.mark.django_db
class TestConstraints:
    def test_phase_days_must_be_ordered(self, clinic):
        phase = Phase(
            program=clinic.program,
            name="x",
            order=9,
            weekly_target_minutes=540,
            min_days=4,
            max_days=3,
        )
        with pytest.raises(ValidationError):
            phase.full_clean()
        with pytest.raises(IntegrityError), transaction.atomic():
            phase.save()

    def test_group_sizes_must_be_ordered(self):
        group_type = GroupType(name="x", kind="skills", code="x", min_size=16, max_size=15)
        with pytest.raises(ValidationError):
            group_type.full_clean()
        with pytest.raises(IntegrityError), transaction.atomic():
            group_type.save()

    def test_room_capacity_is_positive(self, clinic):
        with pytest.raises(IntegrityError), transaction.atomic():
            Room.objects.create(location=clinic.location, name="Closet", capacity=0)

    def test_location_time_zone_must_exist(self):
        location = factories.make_location()
        location.time_zone = "Mars/Olympus"
        with pytest.raises(ValidationError, match="IANA"):
            location.full_clean()
