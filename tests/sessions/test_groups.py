from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from middlepath.care import services as care
from middlepath.sessions import services
from middlepath.sessions.models import Attendance, GroupGuest, Membership, Session
from tests import factories


@pytest.mark.django_db
class TestGroup:
    def test_a_process_group_needs_a_stage(self, clinic, staff):
        process = factories.make_group_type(kind="process", same_stage=True)
        with pytest.raises(ValidationError, match="one recovery stage"):
            factories.make_group(clinic.evening, staff.counselor, group_type=process, stage="")

    def test_the_room_must_be_at_the_tracks_location(self, clinic, staff):
        far_room = factories.make_room(clinic.other_location)
        with pytest.raises(ValidationError, match="another location"):
            factories.make_group(clinic.evening, staff.counselor, room=far_room)

    def test_the_facilitator_must_work_there(self, clinic, staff):
        with pytest.raises(ValidationError, match="does not work at"):
            factories.make_group(clinic.evening, staff.outsider)

    @pytest.mark.parametrize("minutes", [10, 481, 10**30])
    def test_minutes_out_of_range_are_the_fields_error(self, clinic, staff, minutes):
        group = factories.make_group(clinic.evening, staff.counselor)
        group.minutes = minutes
        with pytest.raises(ValidationError) as refused:
            group.full_clean()
        assert list(refused.value.message_dict) == ["minutes"]

    def test_a_closed_room_takes_no_group(self, clinic, staff):
        closed = factories.make_room(clinic.location, is_active=False)
        with pytest.raises(ValidationError, match="closed"):
            factories.make_group(clinic.evening, staff.counselor, room=closed)


@pytest.mark.django_db
class TestMembership:
    def test_an_enrolled_patient_of_the_track_joins(self, clinic, staff, evening_group):
        patient = factories.enrolled_patient(clinic.evening, clinic.phases[0])
        membership = services.add_member(
            group=evening_group.group, patient=patient, by=staff.intake
        )
        assert membership.joined_on == evening_group.today

    def test_a_patient_without_an_open_episode_is_refused(self, clinic, staff, evening_group):
        patient = factories.make_patient(clinic.location, first_name="Nadia")
        with pytest.raises(ValidationError, match=r"Nadia .* no open episode"):
            services.add_member(group=evening_group.group, patient=patient, by=staff.counselor)

    def test_a_patient_of_another_track_is_refused(self, clinic, staff, evening_group):
        patient = factories.enrolled_patient(clinic.day, clinic.phases[0])
        with pytest.raises(ValidationError, match="is on the Day track"):
            services.add_member(group=evening_group.group, patient=patient, by=staff.counselor)

    def test_a_process_group_takes_one_stage(self, clinic, staff):
        process = factories.make_group_type(kind="process", same_stage=True)
        group = factories.make_group(
            clinic.evening, staff.counselor, group_type=process, stage="early"
        )
        patient = factories.enrolled_patient(
            clinic.evening, clinic.phases[0], recovery_stage="late"
        )
        with pytest.raises(ValidationError, match="is for early recovery"):
            services.add_member(group=group, patient=patient, by=staff.counselor)

    def test_more_than_the_maximum_is_refused_as_a_conflict(self, clinic, staff, evening_group):
        for _ in range(7):
            services.add_member(
                group=evening_group.group,
                by=staff.counselor,
                patient=factories.enrolled_patient(clinic.evening, clinic.phases[0]),
            )
        sixteenth = factories.enrolled_patient(clinic.evening, clinic.phases[0])
        with pytest.raises(ValidationError, match=r"is full \(15 of 15\)") as error:
            services.add_member(group=evening_group.group, patient=sixteenth, by=staff.counselor)
        assert error.value.code == "conflict"
        assert evening_group.group.memberships.current().count() == 15

    def test_twice_is_refused(self, staff, evening_group):
        with pytest.raises(ValidationError, match="already a member"):
            services.add_member(
                group=evening_group.group, patient=evening_group.members[0], by=staff.counselor
            )

    def test_a_patient_cannot_be_in_two_groups_at_once(self, clinic, staff, evening_group):
        clash = factories.make_group(clinic.evening, staff.director, meeting_days=[1])
        with pytest.raises(ValidationError, match="same time"):
            services.add_member(group=clash, patient=evening_group.members[0], by=staff.counselor)

    def test_leaving_applies_to_later_sessions_only(self, staff, evening_group):
        today, leaver = evening_group.today, evening_group.members[0]
        past = evening_group.session_on(today - dt.timedelta(days=2), staff.counselor)
        services.record_attendance(
            session=past,
            by=staff.counselor,
            entries=[services.AttendanceEntry(leaver.pk, "present")],
        )
        services.remove_member(group=evening_group.group, patient=leaver, by=staff.counselor)
        future = evening_group.session_on(today + dt.timedelta(days=1), staff.counselor)
        assert leaver in services.expected_patients(past)
        assert leaver not in services.expected_patients(future)
        assert Attendance.objects.filter(session=past, patient=leaver).exists()
        assert Membership.objects.get(patient=leaver).left_on == today

    def test_leaving_before_recorded_attendance_is_refused(self, staff, evening_group):
        leaver = evening_group.members[0]
        session = evening_group.session_on(evening_group.today, staff.counselor)
        services.record_attendance(
            session=session,
            by=staff.counselor,
            entries=[services.AttendanceEntry(leaver.pk, "present")],
        )
        with pytest.raises(ValidationError, match="Attendance is recorded"):
            services.remove_member(
                group=evening_group.group,
                patient=leaver,
                by=staff.counselor,
                left_on=evening_group.today - dt.timedelta(days=1),
            )

    def test_a_discharged_patient_can_leave(self, staff, evening_group):
        patient = evening_group.members[1]
        care.discharge_episode(
            episode=patient.current_episode,
            by=staff.counselor,
            discharged_on=evening_group.today,
            reason="completed",
        )
        services.remove_member(group=evening_group.group, patient=patient, by=staff.counselor)
        assert not evening_group.group.memberships.current().filter(patient=patient).exists()


@pytest.mark.django_db
class TestFamilyGuests:
    def test_family_members_are_guests_of_a_patient(self, clinic, staff):
        family = factories.make_group_type(kind="family", same_stage=False)
        group = factories.make_group(
            clinic.evening, staff.counselor, group_type=family, meeting_days=[5]
        )
        patient = factories.enrolled_patient(clinic.evening, clinic.phases[0])
        services.add_member(group=group, patient=patient, by=staff.counselor)
        guest = services.add_guest(
            group=group, patient=patient, by=staff.counselor, name="Ana Ruiz", relationship="Mother"
        )
        assert GroupGuest.objects.get() == guest
        assert group.memberships.current().count() == 1  # guests are not members

    def test_other_groups_take_no_guests(self, staff, evening_group):
        with pytest.raises(ValidationError, match="family groups only"):
            services.add_guest(
                group=evening_group.group,
                patient=evening_group.members[0],
                by=staff.counselor,
                name="A",
                relationship="B",
            )


@pytest.mark.django_db
class TestGenerateSessions:
    def test_it_follows_the_weekly_pattern_and_is_idempotent(self, clinic, staff):
        group = factories.make_group(clinic.evening, staff.counselor, meeting_days=[1, 3])
        monday = dt.date(2026, 11, 30)
        created = services.generate_sessions(
            group=group, by=staff.counselor, first=monday, last=monday + dt.timedelta(days=13)
        )
        assert [s.date.isoweekday() for s in created] == [1, 3, 1, 3]
        assert (
            services.generate_sessions(
                group=group, by=staff.counselor, first=monday, last=monday + dt.timedelta(days=13)
            )
            == []
        )
        assert group.sessions.count() == 4

    def test_times_are_kept_in_utc_for_the_location(self, clinic, staff):
        group = factories.make_group(clinic.evening, staff.counselor, meeting_days=[1])
        session = services.generate_sessions(
            group=group, by=staff.counselor, first=dt.date(2026, 11, 30), last=dt.date(2026, 11, 30)
        )[0]
        session.refresh_from_db()
        assert session.starts_at.isoformat() == "2026-11-30T23:00:00+00:00"  # 18:00 in New York

    def test_a_room_cannot_be_double_booked(self, clinic, staff):
        room = factories.make_room(clinic.location, name="Oak")
        first = factories.make_group(clinic.evening, staff.counselor, meeting_days=[1], room=room)
        second = factories.make_group(clinic.evening, staff.director, meeting_days=[1], room=room)
        monday = dt.date(2026, 11, 30)
        services.generate_sessions(group=first, by=staff.counselor, first=monday, last=monday)
        with pytest.raises(ValidationError, match=r"Oak .* already booked") as error:
            services.generate_sessions(group=second, by=staff.director, first=monday, last=monday)
        assert {e.code for e in error.value.error_list} == {"conflict"}
        assert Session.objects.count() == 1

    def test_a_facilitator_cannot_be_double_booked(self, clinic, staff):
        first = factories.make_group(clinic.evening, staff.counselor, meeting_days=[1])
        second = factories.make_group(clinic.evening, staff.counselor, meeting_days=[1])
        monday = dt.date(2026, 11, 30)
        services.generate_sessions(group=first, by=staff.counselor, first=monday, last=monday)
        with pytest.raises(ValidationError, match="already leads"):
            services.generate_sessions(group=second, by=staff.counselor, first=monday, last=monday)

    def test_a_closed_room_gets_no_sessions(self, clinic, staff):
        group = factories.make_group(clinic.evening, staff.counselor, meeting_days=[1])
        group.room.is_active = False
        group.room.save()
        with pytest.raises(ValidationError, match="closed"):
            services.generate_sessions(
                group=group,
                by=staff.counselor,
                first=dt.date(2026, 11, 30),
                last=dt.date(2026, 12, 6),
            )
        assert not Session.objects.exists()

    @pytest.mark.parametrize(
        ("first", "last", "message"),
        [
            (dt.date(2026, 12, 6), dt.date(2026, 11, 30), "before the start"),
            (dt.date(2026, 1, 1), dt.date(2027, 6, 1), "at most 366 days"),
        ],
    )
    def test_bad_ranges(self, clinic, staff, first, last, message):
        group = factories.make_group(clinic.evening, staff.counselor)
        with pytest.raises(ValidationError, match=message):
            services.generate_sessions(group=group, by=staff.counselor, first=first, last=last)

    def test_changing_the_pattern_moves_future_sessions_only(self, staff, evening_group):
        today = evening_group.today
        group = evening_group.group
        past = evening_group.session_on(today - dt.timedelta(days=1), staff.counselor)
        services.record_attendance(
            session=past,
            by=staff.counselor,
            entries=[services.AttendanceEntry(evening_group.members[0].pk, "present")],
        )
        services.generate_sessions(
            group=group,
            by=staff.counselor,
            first=today + dt.timedelta(days=1),
            last=today + dt.timedelta(days=14),
        )
        new_days = [((today + dt.timedelta(days=2)).isoweekday())]
        services.update_group(group=group, by=staff.counselor, changes={"meeting_days": new_days})
        future = group.sessions.filter(date__gt=today)
        assert {s.date.isoweekday() for s in future} == set(new_days)
        assert future.count() == 2
        assert group.sessions.filter(pk=past.pk).exists()
