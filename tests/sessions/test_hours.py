from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from middlepath.care import services as care
from middlepath.care.models import Episode
from middlepath.sessions import hours, services
from middlepath.sessions.hours import Week
from middlepath.sessions.models import Attendance, Session
from middlepath.sessions.services import AttendanceEntry as Entry
from tests import factories


def _this_week(setup) -> Week:
    return Week.containing(setup.today)


class TestWeek:
    @pytest.mark.parametrize(
        ("starts_on", "day", "start"),
        [
            (1, dt.date(2026, 11, 27), dt.date(2026, 11, 23)),
            (7, dt.date(2026, 11, 27), dt.date(2026, 11, 22)),
            (1, dt.date(2026, 11, 23), dt.date(2026, 11, 23)),
        ],
    )
    def test_containing(self, starts_on, day, start):
        from middlepath.clinic.models import Program

        week = Week.containing(day, Program(week_starts_on=starts_on))
        assert week.start == start and week.end == start + dt.timedelta(days=6)


@pytest.mark.django_db
class TestWhatCounts:
    def test_attended_minutes_of_groups_and_therapy_count(self, staff, evening_group):
        patient = evening_group.members[0]
        group_session = evening_group.past_session(staff.counselor)
        services.record_attendance(
            session=group_session, by=staff.counselor, entries=[Entry(patient.pk, "late", 60)]
        )
        for kind, minutes in [
            ("individual", 50),
            ("family", 45),
            ("case_management", 30),
            ("medical", 20),
        ]:
            visit = services.schedule_visit(
                by=staff.counselor,
                kind=kind,
                patient=patient,
                date=group_session.date,
                start_time=dt.time(9 + minutes // 10),
                minutes=minutes,
                facilitator=staff.counselor,
            )
            services.record_attendance(
                session=visit, by=staff.counselor, entries=[Entry(patient.pk, "present")]
            )
        week = hours.patient_week(patient, group_session.date)
        assert (
            week.minutes == 60 + 50 + 45
        )  # case management and medical visits are not treatment hours
        assert {s.kind for s in week.sessions} == {"group", "individual", "family"}
        assert week.days == 1

    def test_absences_and_cancellations_do_not_count(self, staff, evening_group):
        patient = evening_group.members[0]
        last_week = _this_week(evening_group).previous()
        first = evening_group.session_on(last_week.start, staff.counselor)
        second = evening_group.session_on(last_week.end, staff.counselor)
        services.record_attendance(
            session=first, by=staff.counselor, entries=[Entry(patient.pk, "absent_excused")]
        )
        services.cancel_session(session=second, by=staff.director, reason="Holiday")
        week = hours.patient_week(patient, last_week.start)
        assert (week.minutes, week.days, week.sessions) == (0, 0, [])

    def test_the_target_is_the_phase_in_force_that_week(self, clinic, staff, evening_group):
        patient = evening_group.members[0]  # admitted 20 days ago in phase 2 (540)
        episode = patient.current_episode
        week = _this_week(evening_group)
        assert hours.patient_week(patient, evening_group.today).target_minutes == 540
        care.change_episode(
            episode=episode,
            by=staff.counselor,
            effective_on=week.start,
            reason="Lapse",
            phase=clinic.phases[0],
        )
        assert hours.patient_week(patient, evening_group.today).target_minutes == 720
        last_week = hours.patient_week(patient, week.start - dt.timedelta(days=1))
        assert last_week.target_minutes == 540

    def test_a_week_outside_any_episode_has_no_target(self, staff, evening_group):
        long_ago = evening_group.today - dt.timedelta(days=400)
        week = hours.patient_week(evening_group.members[0], long_ago)
        assert (week.enrolled, week.target_minutes, week.minutes) == (False, 0, 0)

    def test_twelve_weeks_oldest_first(self, staff, evening_group):
        patient = evening_group.members[0]
        session = evening_group.past_session(staff.counselor)
        services.record_attendance(
            session=session, by=staff.counselor, entries=[Entry(patient.pk, "present")]
        )
        history = hours.patient_recent_weeks(patient, evening_group.today)
        assert len(history) == 12
        assert history[-1].week == Week.containing(evening_group.today)
        assert history[-1].minutes == 90
        assert [w.enrolled for w in history][:8] == [False] * 8  # admitted 20 days ago
        assert all(w.enrolled for w in history[-3:])


@pytest.mark.django_db
class TestCompliance:
    def test_every_enrolled_patient_with_status(self, clinic, staff, evening_group):
        today = evening_group.today
        week = _this_week(evening_group)
        met, short = evening_group.members[:2]
        for number in range(6):
            day = week.start + dt.timedelta(days=number)
            if day > today:
                break
            session = evening_group.session_on(day, staff.counselor)
            services.record_attendance(
                session=session, by=staff.counselor, entries=[Entry(met.pk, "present")]
            )
        newcomer = factories.make_patient(clinic.location)
        factories.admit(newcomer, clinic.evening, clinic.phases[1], admitted_on=today)
        reported_week, rows = hours.compliance(clinic.location, today)
        by_patient = {row.patient_id: row for row in rows}
        assert reported_week == week
        assert len(rows) == 9
        assert by_patient[short.pk].status == hours.BELOW and by_patient[short.pk].shortfall == 540
        expected_met = min(6, (today - week.start).days + 1) * 90
        assert by_patient[met.pk].minutes == expected_met
        if today != week.start:
            assert by_patient[newcomer.pk].status == hours.PARTIAL

    def test_discharged_before_the_week_is_not_listed(self, clinic, staff, evening_group):
        gone = evening_group.members[0]
        care.discharge_episode(
            episode=gone.current_episode,
            by=staff.counselor,
            discharged_on=evening_group.today - dt.timedelta(days=8),
            reason="completed",
        )
        _, rows = hours.compliance(clinic.location, evening_group.today)
        assert gone.pk not in {row.patient_id for row in rows}

    def test_readmitted_within_the_week_is_listed_once(self, clinic, staff, evening_group):
        back = evening_group.members[0]
        week = _this_week(evening_group)
        care.discharge_episode(
            episode=back.current_episode,
            by=staff.counselor,
            discharged_on=week.start,
            reason="left_against_advice",
        )
        again = factories.admit(back, clinic.evening, clinic.phases[2], admitted_on=week.end)
        _, rows = hours.compliance(clinic.location, evening_group.today)
        mine = [row for row in rows if row.patient_id == back.pk]
        assert len(mine) == 1
        assert mine[0].target == again.phase.weekly_target_minutes
        assert mine[0].partial_week

    def test_other_locations_are_not_in_the_report(self, clinic, staff, evening_group):
        far = factories.enrolled_patient(clinic.other_track, clinic.phases[1])
        _, rows = hours.compliance(clinic.location, evening_group.today)
        assert far.pk not in {row.patient_id for row in rows}

    def test_shortfalls_count_what_is_still_scheduled(self, clinic, staff, evening_group):
        week = _this_week(evening_group)
        today = evening_group.today
        # Six sessions of 90 minutes from today to the week's end would make 540.
        left = [day for day in week.days if day >= today]
        for day in left:
            evening_group.session_on(day, staff.counselor)
        _, rows = hours.shortfalls(clinic.location, today)
        listed = {row.patient_id: row for row in rows}
        member = evening_group.members[0]
        scheduled = len(left) * 90
        if scheduled >= 540:
            assert member.pk not in listed
        else:
            assert listed[member.pk].scheduled == scheduled
            assert listed[member.pk].projected_shortfall == 540 - scheduled


STATUSES = [s.value for s in Attendance.Status if s != Attendance.Status.CANCELLED]


@pytest.mark.django_db
class TestLedgerProperties:
    @settings(
        max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(data=st.data())
    def test_it_counts_attended_minutes_only_and_agrees_with_the_report(
        self, clinic, staff, evening_group, data
    ):
        week = _this_week(evening_group)
        days = [day for day in week.days if day <= evening_group.today]
        patient = evening_group.members[0]
        with transaction.atomic():
            expected = 0
            attended_anything = 0
            for day in data.draw(st.lists(st.sampled_from(days), unique=True, max_size=len(days))):
                session = evening_group.session_on(day, staff.counselor)
                status = data.draw(st.sampled_from(STATUSES))
                minutes = (
                    data.draw(st.integers(1, 89)) if status in ("late", "left_early") else None
                )
                services.record_attendance(
                    session=session,
                    by=staff.counselor,
                    entries=[Entry(patient.pk, status, minutes)],
                )
                counted = {"present": 90}.get(status, minutes or 0)
                expected += counted
                attended_anything += counted > 0
            if data.draw(st.booleans()):
                visit = services.schedule_visit(
                    by=staff.case_manager,
                    kind="case_management",
                    patient=patient,
                    date=days[-1],
                    start_time=dt.time(8),
                    minutes=30,
                    facilitator=staff.case_manager,
                )
                services.record_attendance(
                    session=visit, by=staff.case_manager, entries=[Entry(patient.pk, "present")]
                )
            ledger = hours.patient_week(patient, evening_group.today)
            assert ledger.minutes == expected
            assert ledger.minutes <= sum(
                a.minutes
                for a in Attendance.objects.filter(
                    patient=patient, date__range=(week.start, week.end)
                )
            )
            assert ledger.days == attended_anything
            _, rows = hours.compliance(clinic.location, evening_group.today)
            row = next(r for r in rows if r.patient_id == patient.pk)
            assert (row.minutes, row.days, row.target) == (
                ledger.minutes,
                ledger.days,
                ledger.target_minutes,
            )
            transaction.set_rollback(True)
        assert not Session.objects.exists() or Episode.objects.exists()
