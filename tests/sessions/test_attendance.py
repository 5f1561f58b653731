from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from middlepath.privacy.models import AuditAction, AuditEvent
from middlepath.sessions import services
from middlepath.sessions.models import Attendance, Session
from middlepath.sessions.services import AttendanceEntry as Entry
from tests import factories


@pytest.mark.django_db
class TestRecordAttendance:
    def test_statuses_and_minutes(self, staff, evening_group):
        session = evening_group.past_session(staff.counselor)
        a, b, c, d, e = evening_group.members[:5]
        services.record_attendance(
            session=session,
            by=staff.counselor,
            entries=[
                Entry(a.pk, "present"),
                Entry(b.pk, "late", 70),
                Entry(c.pk, "left_early", 45),
                Entry(d.pk, "absent_excused"),
                Entry(e.pk, "absent_unexcused"),
            ],
        )
        minutes = dict(session.attendance.values_list("patient_id", "minutes"))
        assert minutes == {a.pk: 90, b.pk: 70, c.pk: 45, d.pk: 0, e.pk: 0}
        assert AuditEvent.objects.filter(action=AuditAction.ATTENDANCE_RECORD).count() == 5

    @pytest.mark.parametrize(
        ("entry", "message"),
        [
            (("late", 95), "more than the session's 90"),
            (("late", None), "enter the minutes"),
            (("present", 60), "use late or left early"),
            (("absent_unexcused", 30), "no attended minutes"),
            (("asleep", None), "not an attendance status"),
        ],
    )
    def test_bad_entries_are_refused_and_nothing_is_saved(
        self, staff, evening_group, entry, message
    ):
        session = evening_group.past_session(staff.counselor)
        good = Entry(evening_group.members[0].pk, "present")
        bad = Entry(evening_group.members[1].pk, *entry)
        with pytest.raises(ValidationError, match=message):
            services.record_attendance(session=session, by=staff.counselor, entries=[good, bad])
        assert not Attendance.objects.exists()

    def test_a_patient_who_is_not_a_member_is_refused(self, clinic, staff, evening_group):
        stranger = factories.enrolled_patient(clinic.evening, clinic.phases[0])
        session = evening_group.past_session(staff.counselor)
        with pytest.raises(ValidationError, match="not expected at this session"):
            services.record_attendance(
                session=session, by=staff.counselor, entries=[Entry(stranger.pk, "present")]
            )

    def test_a_future_session_is_refused(self, staff, evening_group):
        session = evening_group.session_on(
            evening_group.today + dt.timedelta(days=2), staff.counselor
        )
        with pytest.raises(ValidationError, match="not before"):
            services.record_attendance(
                session=session,
                by=staff.counselor,
                entries=[Entry(evening_group.members[0].pk, "present")],
            )

    def test_a_correction_replaces_the_row(self, staff, evening_group):
        session = evening_group.past_session(staff.counselor)
        patient = evening_group.members[0]
        services.record_attendance(
            session=session, by=staff.counselor, entries=[Entry(patient.pk, "present")]
        )
        services.record_attendance(
            session=session, by=staff.counselor, entries=[Entry(patient.pk, "late", 30)]
        )
        row = Attendance.objects.get()
        assert (row.status, row.minutes, row.date) == ("late", 30, session.date)


@pytest.mark.django_db
class TestCancel:
    def test_everyone_expected_is_marked_cancelled(self, staff, evening_group):
        session = evening_group.past_session(staff.counselor)
        services.cancel_session(session=session, by=staff.director, reason="Snow storm")
        session.refresh_from_db()
        assert session.status == Session.Status.CANCELLED
        assert set(session.attendance.values_list("status", flat=True)) == {"cancelled"}
        assert session.attendance.count() == 8
        with pytest.raises(ValidationError, match="was cancelled"):
            services.record_attendance(
                session=session,
                by=staff.counselor,
                entries=[Entry(evening_group.members[0].pk, "present")],
            )

    def test_a_session_people_attended_cannot_be_cancelled(self, staff, evening_group):
        session = evening_group.past_session(staff.counselor)
        services.record_attendance(
            session=session,
            by=staff.counselor,
            entries=[Entry(evening_group.members[0].pk, "present")],
        )
        with pytest.raises(ValidationError, match="correct the attendance"):
            services.cancel_session(session=session, by=staff.director, reason="Oops")

    def test_a_reason_is_needed(self, staff, evening_group):
        with pytest.raises(ValidationError, match="Say why"):
            services.cancel_session(
                session=evening_group.past_session(staff.counselor), by=staff.director, reason=" "
            )


@pytest.mark.django_db
class TestVisits:
    def test_an_individual_session(self, clinic, staff, evening_group):
        patient = evening_group.members[0]
        session = services.schedule_visit(
            by=staff.counselor,
            kind="individual",
            patient=patient,
            date=evening_group.today,
            start_time=dt.time(16),
            minutes=60,
            facilitator=staff.counselor,
        )
        assert list(services.expected_patients(session)) == [patient]

    def test_a_patient_cannot_be_booked_over_their_group(self, staff, evening_group):
        evening_group.session_on(evening_group.today, staff.counselor)
        with pytest.raises(ValidationError, match="is expected at"):
            services.schedule_visit(
                by=staff.physician,
                kind="medical",
                patient=evening_group.members[0],
                date=evening_group.today,
                start_time=dt.time(18, 30),
                minutes=30,
                facilitator=staff.physician,
            )

    def test_a_clinician_cannot_be_double_booked(self, staff, evening_group):
        one, two = evening_group.members[:2]
        services.schedule_visit(
            by=staff.counselor,
            kind="individual",
            patient=one,
            date=evening_group.today,
            start_time=dt.time(15),
            minutes=60,
            facilitator=staff.counselor,
        )
        with pytest.raises(ValidationError, match="already leads"):
            services.schedule_visit(
                by=staff.counselor,
                kind="family",
                patient=two,
                date=evening_group.today,
                start_time=dt.time(15, 30),
                minutes=60,
                facilitator=staff.counselor,
            )

    def test_the_kind_must_be_a_visit(self, staff, evening_group):
        with pytest.raises(ValidationError, match="Pick individual"):
            services.schedule_visit(
                by=staff.counselor,
                kind="group",
                patient=evening_group.members[0],
                date=evening_group.today,
                start_time=dt.time(15),
                minutes=60,
                facilitator=staff.counselor,
            )
