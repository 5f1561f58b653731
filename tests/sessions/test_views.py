from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from middlepath.privacy.models import AuditAction, AuditEvent
from middlepath.sessions import services
from middlepath.sessions.models import Attendance, Homework, Note
from middlepath.sessions.services import AttendanceEntry as Entry
from tests import factories

HX = {"HX-Request": "true"}


@pytest.mark.django_db
class TestGroupPages:
    def test_list_flags_small_groups(self, login, staff, clinic, evening_group):
        factories.make_group(clinic.day, staff.director, name="Tiny group")
        response = login(staff.counselor).get(reverse("sessions:group_list"))
        assert response.status_code == 200
        assert b"Tiny group" in response.content
        assert b"below 8" in response.content

    def test_the_group_page_shows_members_and_is_audited(self, login, staff, evening_group):
        response = login(staff.counselor).get(
            reverse("sessions:group_detail", args=[evening_group.group.pk])
        )
        assert b"MemberA" in response.content
        assert b"Members (8 of 15)" in response.content
        assert AuditEvent.objects.filter(action=AuditAction.GROUP_VIEW).exists()

    def test_a_group_below_minimum_is_flagged(self, login, staff, evening_group):
        services.remove_member(
            group=evening_group.group, patient=evening_group.members[0], by=staff.counselor
        )
        response = login(staff.counselor).get(
            reverse("sessions:group_detail", args=[evening_group.group.pk])
        )
        assert b"below the minimum of 8" in response.content

    def test_adding_a_member_through_the_page(self, login, staff, clinic, evening_group):
        patient = factories.enrolled_patient(clinic.evening, clinic.phases[0])
        client = login(staff.intake)
        response = client.post(
            reverse("sessions:group_add_member", args=[evening_group.group.pk]),
            {"patient": patient.pk},
        )
        assert response.status_code == 302
        assert evening_group.group.memberships.current().count() == 9

    def test_the_full_message_is_shown(self, login, staff, clinic, evening_group):
        for _ in range(7):
            services.add_member(
                group=evening_group.group,
                by=staff.counselor,
                patient=factories.enrolled_patient(clinic.evening, clinic.phases[0]),
            )
        extra = factories.enrolled_patient(clinic.evening, clinic.phases[0])
        client = login(staff.counselor)
        client.post(
            reverse("sessions:group_add_member", args=[evening_group.group.pk]),
            {"patient": extra.pk},
        )
        response = client.get(reverse("sessions:group_detail", args=[evening_group.group.pk]))
        assert b"Full: 15 of 15" in response.content

    def test_create_a_group(self, login, staff, clinic):
        group_type = factories.make_group_type(kind="skills", same_stage=False)
        room = factories.make_room(clinic.location)
        response = login(staff.counselor).post(
            reverse("sessions:group_create"),
            {
                "name": "Stress skills",
                "group_type": group_type.pk,
                "track": clinic.evening.pk,
                "facilitator": staff.counselor.pk,
                "room": room.pk,
                "meeting_days": ["1", "3"],
                "start_time": "18:00",
                "minutes": "90",
            },
        )
        assert response.status_code == 302, response.context["form"].errors

    def test_generate_and_see_the_clash(self, login, staff, clinic, evening_group):
        other = factories.make_group(
            clinic.evening, staff.counselor, meeting_days=[1, 2, 3, 4, 5, 6, 7]
        )
        client = login(staff.counselor)
        today = evening_group.today
        client.post(
            reverse("sessions:group_generate", args=[evening_group.group.pk]),
            {"first": today.isoformat(), "last": today.isoformat()},
        )
        response = client.post(
            reverse("sessions:group_generate", args=[other.pk]),
            {"first": today.isoformat(), "last": today.isoformat()},
            follow=True,
        )
        assert b"No sessions were made" in response.content
        assert b"already leads" in response.content

    @pytest.mark.parametrize("persona", ["no_role"])
    def test_denied(self, login, staff, evening_group, persona):
        client = login(getattr(staff, persona))
        assert client.get(reverse("sessions:group_list")).status_code == 403
        assert (
            client.get(reverse("sessions:group_detail", args=[evening_group.group.pk])).status_code
            == 403
        )

    def test_outsider_gets_not_found(self, login, staff, evening_group):
        assert (
            login(staff.outsider)
            .get(reverse("sessions:group_detail", args=[evening_group.group.pk]))
            .status_code
            == 404
        )

    def test_biller_cannot_add_members(self, login, staff, evening_group, clinic):
        response = login(staff.biller).post(
            reverse("sessions:group_add_member", args=[evening_group.group.pk]), {"patient": 1}
        )
        assert response.status_code == 403

    def test_group_page_query_count_is_fixed(
        self, login, staff, clinic, evening_group, django_assert_max_num_queries
    ):
        client = login(staff.counselor)
        url = reverse("sessions:group_detail", args=[evening_group.group.pk])
        with django_assert_max_num_queries(30) as few:
            client.get(url)
        baseline = len(few)  # read now: the next request clears the query log
        for _ in range(7):
            services.add_member(
                group=evening_group.group,
                by=staff.counselor,
                patient=factories.enrolled_patient(clinic.evening, clinic.phases[0]),
            )
        with django_assert_max_num_queries(baseline):
            client.get(url)


@pytest.mark.django_db
class TestAttendanceScreen:
    def test_the_schedule_lists_todays_sessions(self, login, staff, evening_group):
        session = evening_group.session_on(evening_group.today, staff.counselor)
        response = login(staff.counselor).get(reverse("sessions:schedule"))
        assert reverse("sessions:session_detail", args=[session.pk]).encode() in response.content

    def test_one_row_saves_on_its_own(self, login, staff, evening_group):
        session = evening_group.past_session(staff.counselor)
        patient = evening_group.members[0]
        url = reverse("sessions:attendance_row", args=[session.pk, patient.pk])
        response = login(staff.counselor).post(url, {"status": "present"}, headers=HX)
        assert response.status_code == 200
        assert response.content.lstrip().startswith(b"<form")
        assert b"saved" in response.content
        assert Attendance.objects.get().minutes == 90

    def test_late_waits_for_the_minutes(self, login, staff, evening_group):
        session = evening_group.past_session(staff.counselor)
        patient = evening_group.members[0]
        url = reverse("sessions:attendance_row", args=[session.pk, patient.pk])
        client = login(staff.counselor)
        response = client.post(url, {"status": "late"}, headers=HX)
        assert b"Enter the minutes attended" in response.content
        assert not Attendance.objects.exists()
        response = client.post(url, {"status": "late", "minutes": "200"}, headers=HX)
        assert b"more than the session" in response.content
        client.post(url, {"status": "late", "minutes": "70"}, headers=HX)
        assert Attendance.objects.get().minutes == 70

    def test_everyone_present_in_one_tap(self, login, staff, evening_group):
        session = evening_group.past_session(staff.counselor)
        login(staff.counselor).post(reverse("sessions:attendance_all_present", args=[session.pk]))
        assert session.attendance.filter(status="present").count() == 8

    def test_homework_is_marked_at_the_next_session(self, login, staff, evening_group):
        patient = evening_group.members[0]
        earlier = evening_group.past_session(staff.counselor, weeks_ago=1)
        services.record_attendance(
            session=earlier, by=staff.counselor, entries=[Entry(patient.pk, "present")]
        )
        [homework] = services.assign_homework(
            session=earlier,
            by=staff.counselor,
            text="Journal",
            due_on=earlier.date + dt.timedelta(days=1),
            patients=[patient],
        )
        session = evening_group.past_session(staff.counselor)
        client = login(staff.counselor)
        page = client.get(reverse("sessions:session_detail", args=[session.pk]))
        assert b"Homework due" in page.content
        review = reverse("sessions:homework_review", args=[homework.pk])
        for no_session in ("abc", "\u00b2", "9" * 30):
            response = client.post(review, {"session": no_session, "done": "1"}, headers=HX)
            assert response.status_code == 404
        client.post(review, {"session": session.pk, "done": "1"}, headers=HX)
        homework.refresh_from_db()
        assert homework.status == Homework.Status.DONE

    def test_cancel(self, login, staff, evening_group):
        session = evening_group.past_session(staff.counselor)
        login(staff.counselor).post(
            reverse("sessions:session_cancel", args=[session.pk]), {"reason": "Flood"}
        )
        session.refresh_from_db()
        assert session.is_cancelled

    def test_biller_sees_but_cannot_record(self, login, staff, evening_group):
        session = evening_group.past_session(staff.counselor)
        client = login(staff.biller)
        assert client.get(reverse("sessions:session_detail", args=[session.pk])).status_code == 200
        url = reverse("sessions:attendance_row", args=[session.pk, evening_group.members[0].pk])
        assert client.post(url, {"status": "present"}).status_code == 403

    def test_attendance_screen_query_count_is_fixed(
        self, login, staff, clinic, evening_group, django_assert_max_num_queries
    ):
        session = evening_group.past_session(staff.counselor)
        client = login(staff.counselor)
        url = reverse("sessions:session_detail", args=[session.pk])
        with django_assert_max_num_queries(30) as few:
            client.get(url)
        baseline = len(few)  # read now: the next request clears the query log
        for _ in range(7):
            services.add_member(
                group=evening_group.group,
                by=staff.counselor,
                joined_on=evening_group.today - dt.timedelta(days=10),
                patient=factories.enrolled_patient(clinic.evening, clinic.phases[0]),
            )
        login(staff.counselor).post(reverse("sessions:attendance_all_present", args=[session.pk]))
        with django_assert_max_num_queries(baseline):
            response = client.get(url)
        assert response.content.count(b'class="att-row') == 15


def _held_group_session(setup, staff):
    session = setup.past_session(staff.counselor)
    a, b, c = setup.members[:3]
    services.record_attendance(
        session=session,
        by=staff.counselor,
        entries=[Entry(a.pk, "present"), Entry(b.pk, "present"), Entry(c.pk, "absent_unexcused")],
    )
    return session, a, b, c


@pytest.mark.django_db
class TestNotePages:
    def test_write_in_thirds_and_sign(self, login, staff, evening_group):
        session, a, b, _ = _held_group_session(evening_group, staff)
        client = login(staff.counselor)
        url = reverse("sessions:note", args=[session.pk])
        page = client.get(url)
        assert b"1. Check-in" in page.content and b"MemberA" in page.content
        data = {
            f"check_in_{a.pk}": "Craving on payday",
            f"check_in_{b.pk}": "Proud of a week sober",
            "topic_text": "Payday plans",
            "summary": "Planned paydays.",
            "sign": "1",
        }
        response = client.post(url, data)
        assert response.status_code == 302
        note = Note.objects.get()
        assert note.is_locked
        page = client.get(url)
        assert b"signed by" in page.content and b"Craving on payday" in page.content

    def test_a_signing_refusal_explains_what_is_missing(self, login, staff, evening_group):
        session, a, _, _ = _held_group_session(evening_group, staff)
        response = login(staff.counselor).post(
            reverse("sessions:note", args=[session.pk]), {f"check_in_{a.pk}": "ok", "sign": "1"}
        )
        assert b"Before signing, add check-ins for 1 present member(s)" in response.content

    def test_addendum_on_a_signed_note(self, login, staff, evening_group):
        session, a, b, _ = _held_group_session(evening_group, staff)
        note = services.save_note(
            session=session,
            by=staff.counselor,
            topic_text="x",
            summary="y",
            check_ins={a.pk: "1", b.pk: "2"},
        )
        services.sign_note(note=note, by=staff.counselor)
        client = login(staff.counselor)
        client.post(reverse("sessions:note", args=[session.pk]), {"text": "Late correction"})
        assert note.addenda.get().text == "Late correction"

    @pytest.mark.parametrize("persona", ["biller", "intake", "admin"])
    def test_non_clinical_roles_do_not_read_notes(self, login, staff, evening_group, persona):
        session = evening_group.past_session(staff.counselor)
        assert (
            login(getattr(staff, persona))
            .get(reverse("sessions:note", args=[session.pk]))
            .status_code
            == 403
        )

    def test_every_read_of_a_note_is_audited(self, login, staff, evening_group):
        session, *_ = _held_group_session(evening_group, staff)
        login(staff.physician).get(reverse("sessions:note", args=[session.pk]))
        assert AuditEvent.objects.filter(
            action=AuditAction.NOTE_VIEW, actor=staff.physician
        ).exists()

    def test_the_cosign_queue(self, login, staff, clinic, evening_group):
        from middlepath.accounts.roles import Role

        trainee = factories.make_staff(
            Role.COUNSELOR, clinic.location, is_licensed=False, supervisor=staff.counselor
        )
        session, a, b, _ = _held_group_session(evening_group, staff)
        note = services.save_note(
            session=session,
            by=trainee,
            topic_text="x",
            summary="y",
            check_ins={a.pk: "1", b.pk: "2"},
        )
        services.sign_note(note=note, by=trainee)
        client = login(staff.counselor)
        queue = client.get(reverse("sessions:review_queue"))
        assert reverse("sessions:note", args=[session.pk]).encode() in queue.content
        client.post(reverse("sessions:note", args=[session.pk]), {"cosign": "1"})
        note.refresh_from_db()
        assert note.cosigned_at is not None


@pytest.mark.django_db
class TestChartPanels:
    def test_each_chart_gets_only_its_own_check_in(self, login, staff, evening_group):
        session, a, b, _ = _held_group_session(evening_group, staff)
        note = services.save_note(
            session=session,
            by=staff.counselor,
            topic_text="Refusal skills",
            summary="Practised.",
            check_ins={a.pk: "A's private worry", b.pk: "B's private worry"},
        )
        services.sign_note(note=note, by=staff.counselor)
        services.assign_homework(
            session=session,
            by=staff.counselor,
            text="Write a refusal script",
            due_on=session.date + dt.timedelta(days=2),
        )
        client = login(staff.counselor)
        chart_a = client.get(reverse("sessions:chart_care", args=[a.pk]), headers=HX).content
        chart_b = client.get(reverse("sessions:chart_care", args=[b.pk]), headers=HX).content
        assert b"A&#x27;s private worry" in chart_a and b"B&#x27;s private worry" not in chart_a
        assert b"B&#x27;s private worry" in chart_b and b"A&#x27;s private worry" not in chart_b
        for chart in (chart_a, chart_b):
            assert (
                b"Refusal skills" in chart
                and b"Practised." in chart
                and b"Write a refusal script" in chart
            )

    def test_hours_panel(self, login, staff, evening_group):
        _session, a, _, _ = _held_group_session(evening_group, staff)
        response = login(staff.counselor).get(
            reverse("sessions:chart_hours", args=[a.pk]), headers=HX
        )
        assert b"90 of 540 minutes" in response.content
        assert response.content.count(b"<rect") == 12

    def test_chart_panels_query_count_is_fixed(
        self, login, staff, evening_group, django_assert_max_num_queries
    ):
        a = evening_group.members[0]

        def signed_note(days_ago):
            session = evening_group.session_on(
                evening_group.today - dt.timedelta(days=days_ago), staff.counselor
            )
            services.record_attendance(
                session=session, by=staff.counselor, entries=[Entry(a.pk, "present")]
            )
            note = services.save_note(
                session=session,
                by=staff.counselor,
                topic_text="t",
                summary="s",
                check_ins={a.pk: "c"},
            )
            note = services.sign_note(note=note, by=staff.counselor)
            services.assign_homework(
                session=session, by=staff.counselor, text="h", due_on=session.date
            )
            services.add_addendum(note=note, by=staff.counselor, text="later")

        signed_note(0)
        client = login(staff.counselor)
        url = reverse("sessions:chart_care", args=[a.pk])
        with django_assert_max_num_queries(30) as few:
            client.get(url, headers=HX)
        baseline = len(few)  # read now: the next request clears the query log
        for weeks_ago in (1, 2, 3):
            signed_note(weeks_ago)
        with django_assert_max_num_queries(baseline):
            response = client.get(url, headers=HX)
        assert response.content.count(b'class="note-entry"') == 4


@pytest.mark.django_db
class TestComplianceReport:
    def test_page_and_csv(self, login, staff, clinic, evening_group):
        session, a, *_ = _held_group_session(evening_group, staff)
        client = login(staff.biller)
        response = client.get(
            reverse("reports:compliance"),
            {"location": clinic.location.pk, "week": session.date.isoformat()},
        )
        assert response.status_code == 200
        assert len(response.context["rows"]) == 8
        csv = client.get(
            reverse("reports:compliance"),
            {"location": clinic.location.pk, "week": session.date.isoformat(), "format": "csv"},
        )
        lines = csv.content.decode().splitlines()
        assert lines[0].startswith("week,location,mrn,patient")
        assert any(a.mrn in line and ",90," in line for line in lines)

    def test_denied_and_bad_input(self, login, staff, clinic):
        assert login(staff.intake).get(reverse("reports:compliance")).status_code == 403
        response = login(staff.counselor).get(reverse("reports:compliance"), {"week": "not-a-date"})
        assert response.status_code == 200
        assert b"Enter a valid date" in response.content

    def test_query_count_does_not_grow(
        self, login, staff, clinic, evening_group, django_assert_max_num_queries
    ):
        client = login(staff.counselor)
        with django_assert_max_num_queries(20) as few:
            client.get(reverse("reports:compliance"))
        baseline = len(few)  # read now: the next request clears the query log
        for _ in range(20):
            factories.enrolled_patient(clinic.evening, clinic.phases[0])
        session = evening_group.past_session(staff.counselor)
        services.record_attendance(
            session=session,
            by=staff.counselor,
            entries=[Entry(p.pk, "present") for p in evening_group.members],
        )
        with django_assert_max_num_queries(baseline):
            response = client.get(reverse("reports:compliance"))
        assert len(response.context["rows"]) == 28
