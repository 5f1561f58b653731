from __future__ import annotations

import datetime as dt

import pytest

from middlepath.sessions import services
from middlepath.sessions.hours import Week
from middlepath.sessions.models import Attendance, Session
from tests import factories


@pytest.fixture
def setup(evening_group):
    return evening_group


@pytest.mark.django_db
class TestGroupsApi:
    def test_list_and_detail(self, api, staff, evening_group):
        call = api(staff.counselor)
        groups = call("get", "/groups").json()
        assert [g["id"] for g in groups] == [evening_group.group.pk]
        detail = call("get", f"/groups/{evening_group.group.pk}").json()
        assert sorted(detail["member_ids"]) == sorted(p.pk for p in evening_group.members)
        assert detail["under_minimum"] is False
        assert (detail["min_size"], detail["max_size"]) == (8, 15)

    def test_create_and_patch(self, api, staff, clinic):
        call = api(staff.director)
        group_type = factories.make_group_type(kind="skills", same_stage=False)
        room = factories.make_room(clinic.location)
        response = call(
            "post",
            "/groups",
            {
                "name": "Relapse prevention",
                "group_type_id": group_type.pk,
                "track_id": clinic.evening.pk,
                "facilitator_id": staff.counselor.pk,
                "room_id": room.pk,
                "meeting_days": [2, 4],
                "start_time": "18:00",
            },
        )
        assert response.status_code == 201, response.json()
        group_id = response.json()["id"]
        response = call("patch", f"/groups/{group_id}", {"minutes": 60, "meeting_days": [2]})
        assert response.status_code == 200
        assert (response.json()["minutes"], response.json()["meeting_days"]) == (60, [2])

    def test_create_refuses_a_room_elsewhere(self, api, staff, clinic):
        group_type = factories.make_group_type(kind="skills", same_stage=False)
        far = factories.make_room(clinic.other_location)
        body = {
            "name": "X",
            "group_type_id": group_type.pk,
            "track_id": clinic.evening.pk,
            "facilitator_id": staff.counselor.pk,
            "room_id": far.pk,
            "meeting_days": [2],
            "start_time": "18:00",
        }
        response = api(staff.counselor)("post", "/groups", body)
        assert response.status_code == 400
        assert "No such room at your locations" in response.json()["detail"]
        response = api(staff.director)("post", "/groups", body)  # works at both sites
        assert response.status_code == 400
        assert "another location" in response.json()["detail"]

    def test_members_join_and_leave(self, api, staff, clinic, evening_group):
        call = api(staff.counselor)
        patient = factories.enrolled_patient(clinic.evening, clinic.phases[0])
        response = call(
            "post", f"/groups/{evening_group.group.pk}/members", {"patient_id": patient.pk}
        )
        assert response.status_code == 201
        assert response.json()["patient_id"] == patient.pk
        assert (
            call("delete", f"/groups/{evening_group.group.pk}/members/{patient.pk}").status_code
            == 204
        )

    def test_a_full_group_is_409_with_a_message(self, api, staff, clinic, evening_group):
        call = api(staff.counselor)
        for _ in range(7):
            services.add_member(
                group=evening_group.group,
                by=staff.counselor,
                patient=factories.enrolled_patient(clinic.evening, clinic.phases[0]),
            )
        patient = factories.enrolled_patient(clinic.evening, clinic.phases[0])
        response = call(
            "post", f"/groups/{evening_group.group.pk}/members", {"patient_id": patient.pk}
        )
        assert response.status_code == 409
        assert "is full (15 of 15)" in response.json()["detail"]

    def test_a_patient_without_an_episode_is_400(self, api, staff, clinic, evening_group):
        patient = factories.make_patient(clinic.location)
        response = api(staff.counselor)(
            "post", f"/groups/{evening_group.group.pk}/members", {"patient_id": patient.pk}
        )
        assert response.status_code == 400
        assert "no open episode" in response.json()["detail"]

    def test_other_locations_and_roles(self, api, staff, evening_group):
        assert api(staff.outsider)("get", f"/groups/{evening_group.group.pk}").status_code == 404
        response = api(staff.biller)(
            "post", f"/groups/{evening_group.group.pk}/members", {"patient_id": 1}
        )
        assert response.status_code == 403


@pytest.mark.django_db
class TestSessionsApi:
    def test_generate_list_and_filter(self, api, staff, evening_group):
        call = api(staff.counselor)
        first = evening_group.today + dt.timedelta(days=1)
        response = call(
            "post",
            f"/groups/{evening_group.group.pk}/sessions",
            {"first": first.isoformat(), "last": (first + dt.timedelta(days=6)).isoformat()},
        )
        assert response.status_code == 201
        assert len(response.json()) == 7
        listed = call(
            "get",
            "/sessions",
            start=first.isoformat(),
            end=(first + dt.timedelta(days=2)).isoformat(),
        )
        assert listed.json()["count"] == 3
        by_patient = call("get", "/sessions", patient=evening_group.members[0].pk).json()
        assert by_patient["count"] == 7

    def test_create_a_group_session_and_a_visit(self, api, staff, evening_group):
        call = api(staff.counselor)
        response = call(
            "post",
            "/sessions",
            {
                "kind": "group",
                "group_id": evening_group.group.pk,
                "date": evening_group.today.isoformat(),
            },
        )
        assert response.status_code == 201
        assert len(response.json()["expected_patient_ids"]) == 8
        response = call(
            "post",
            "/sessions",
            {
                "kind": "individual",
                "patient_id": evening_group.members[0].pk,
                "date": evening_group.today.isoformat(),
                "start_time": "15:00",
                "minutes": 60,
            },
        )
        assert response.status_code == 201
        assert response.json()["facilitator_id"] == staff.counselor.pk

    def test_double_booking_is_409(self, api, staff, evening_group):
        call = api(staff.counselor)
        body = {
            "kind": "individual",
            "patient_id": evening_group.members[0].pk,
            "date": evening_group.today.isoformat(),
            "start_time": "15:00",
            "minutes": 60,
        }
        assert call("post", "/sessions", body).status_code == 201
        body["patient_id"] = evening_group.members[1].pk
        response = call("post", "/sessions", body)
        assert response.status_code == 409
        assert "already leads" in response.json()["detail"]

    def test_attendance_is_all_or_nothing(self, api, staff, clinic, evening_group):
        session = evening_group.past_session(staff.counselor)
        call = api(staff.counselor)
        a, b = evening_group.members[:2]
        response = call(
            "put",
            f"/sessions/{session.pk}/attendance",
            [
                {"patient_id": a.pk, "status": "present"},
                {"patient_id": b.pk, "status": "late", "minutes": 120},
            ],
        )
        assert response.status_code == 400
        assert "more than the session's 90" in response.json()["detail"]
        assert not Attendance.objects.exists()
        stranger = factories.enrolled_patient(clinic.evening, clinic.phases[0])
        response = call(
            "put",
            f"/sessions/{session.pk}/attendance",
            [{"patient_id": stranger.pk, "status": "present"}],
        )
        assert response.status_code == 400
        response = call(
            "put",
            f"/sessions/{session.pk}/attendance",
            [
                {"patient_id": a.pk, "status": "present"},
                {"patient_id": b.pk, "status": "late", "minutes": 60},
            ],
        )
        assert response.status_code == 200
        assert {row["patient_id"]: row["minutes"] for row in response.json()} == {
            a.pk: 90,
            b.pk: 60,
        }
        detail = call("get", f"/sessions/{session.pk}").json()
        assert len(detail["attendance"]) == 2

    def test_bad_status_is_422(self, api, staff, evening_group):
        session = evening_group.past_session(staff.counselor)
        response = api(staff.counselor)(
            "put",
            f"/sessions/{session.pk}/attendance",
            [{"patient_id": evening_group.members[0].pk, "status": "asleep"}],
        )
        assert response.status_code == 422


@pytest.mark.django_db
class TestHoursApi:
    def test_the_hours_of_a_week_agree_with_the_report(self, api, staff, clinic, evening_group):
        patient = evening_group.members[0]
        session = evening_group.past_session(staff.counselor)
        services.record_attendance(
            session=session,
            by=staff.counselor,
            entries=[services.AttendanceEntry(patient.pk, "left_early", 75)],
        )
        call = api(staff.counselor)
        week = Week.containing(session.date)
        any_day = week.start + dt.timedelta(days=3)
        hours = call("get", f"/patients/{patient.pk}/hours", week=any_day.isoformat()).json()
        assert hours == {
            "week": week.start.isoformat(),
            "minutes": 75,
            "target_minutes": 540,
            "days": 1,
            "compliant": False,
            "sessions": [{"id": session.pk, "kind": "group", "minutes": 75}],
        }
        rows = call(
            "get", "/reports/compliance", week=any_day.isoformat(), location=clinic.location.pk
        ).json()
        row = next(r for r in rows if r["patient_id"] == patient.pk)
        assert {k: row[k] for k in ("week", "minutes", "target_minutes", "days", "compliant")} == {
            k: hours[k] for k in ("week", "minutes", "target_minutes", "days", "compliant")
        }
        assert len(rows) == 8

    def test_errors(self, api, staff, clinic, evening_group):
        call = api(staff.counselor)
        assert (
            call("get", f"/patients/{evening_group.members[0].pk}/hours", week="soon").status_code
            == 422
        )
        assert (
            call("get", "/reports/compliance", location=clinic.other_location.pk).status_code == 400
        )
        assert (
            api(staff.intake)("get", "/reports/compliance", location=clinic.location.pk).status_code
            == 403
        )
        assert (
            api(staff.outsider)("get", f"/patients/{evening_group.members[0].pk}/hours").status_code
            == 404
        )
        assert Session.objects.count() == 0
