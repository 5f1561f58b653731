from __future__ import annotations

import json

import pytest

from middlepath.care.models import Patient
from middlepath.privacy.models import AuditAction, AuditEvent
from tests import factories


@pytest.fixture
def enrolled(clinic):
    patient = factories.make_patient(clinic.location, first_name="Rosa", last_name="Delgado")
    factories.admit(patient, clinic.evening, clinic.phases[0])
    return patient


NEW_PATIENT = {"first_name": "José", "last_name": "李", "date_of_birth": "1990-02-03"}


@pytest.mark.django_db
class TestAuthentication:
    def test_no_credentials_is_401_json(self, client):
        response = client.get("/api/v1/patients")
        assert response.status_code == 401
        assert response.json() == {"detail": "Unauthorized"}

    def test_a_bad_token_is_401(self, client):
        response = client.get("/api/v1/patients", headers={"Authorization": "Bearer mp_nope"})
        assert response.status_code == 401

    def test_the_browser_session_works(self, login, staff, enrolled):
        assert login(staff.counselor).get("/api/v1/patients").status_code == 200

    def test_the_session_needs_csrf_for_writes(self, staff, clinic):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(staff.intake)
        response = client.post(
            "/api/v1/patients",
            json.dumps({**NEW_PATIENT, "location_id": clinic.location.pk}),
            content_type="application/json",
        )
        assert response.status_code == 403
        assert not Patient.objects.exists()

    def test_openapi_and_docs_are_served(self, login, staff):
        client = login(staff.counselor)
        spec = client.get("/api/v1/openapi.json").json()
        assert "/api/v1/patients" in spec["paths"]
        assert client.get("/api/v1/docs").status_code == 200


@pytest.mark.django_db
class TestClinicEndpoints:
    def test_set_up_lists(self, api, staff, clinic):
        call = api(staff.counselor)
        assert {row["code"] for row in call("get", "/locations").json()} >= {clinic.location.code}
        tracks = call("get", "/tracks", location=clinic.location.pk).json()
        assert {t["name"] for t in tracks} == {"Evening track", "Day track"}
        assert tracks[0]["block_start"] in {"09:00:00", "18:00:00"}
        phases = call("get", "/phases", program=clinic.program.pk).json()
        assert [p["weekly_target_minutes"] for p in phases] == [720, 540, 360]
        assert call("get", "/group-types").status_code == 200
        assert (
            call("get", f"/locations/{clinic.location.pk}").json()["time_zone"]
            == "America/New_York"
        )

    def test_a_user_without_a_role_is_refused(self, api, staff):
        assert api(staff.no_role)("get", "/locations").status_code == 403

    def test_unknown_ids_are_404(self, api, staff):
        assert api(staff.counselor)("get", "/tracks/99999").status_code == 404


@pytest.mark.django_db
class TestPatients:
    def test_list_is_paged_and_filtered(self, api, staff, clinic, enrolled):
        other = factories.make_patient(clinic.location, last_name="Okafor")
        factories.admit(other, clinic.day, clinic.phases[1])
        call = api(staff.counselor)
        body = call("get", "/patients").json()
        assert body["count"] == 2
        assert {item["last_name"] for item in body["items"]} == {"Delgado", "Okafor"}
        body = call("get", "/patients", track=clinic.day.pk).json()
        assert [item["last_name"] for item in body["items"]] == ["Okafor"]
        assert body["items"][0]["current_episode"]["phase_id"] == clinic.phases[1].pk
        body = call("get", "/patients", page_size=1, page=2).json()
        assert body["count"] == 2 and len(body["items"]) == 1

    def test_search_is_a_post_with_the_name_in_the_body(self, api, staff, enrolled):
        response = api(staff.counselor)("post", "/patients/search", {"q": "delg"})
        assert [item["last_name"] for item in response.json()["items"]] == ["Delgado"]

    def test_other_locations_are_invisible(self, api, staff, enrolled):
        call = api(staff.outsider)
        assert call("get", "/patients").json()["count"] == 0
        assert call("get", f"/patients/{enrolled.pk}").status_code == 404

    def test_detail_is_audited(self, api, staff, enrolled):
        response = api(staff.counselor)("get", f"/patients/{enrolled.pk}")
        assert response.json()["mrn"] == enrolled.mrn
        assert AuditEvent.objects.filter(
            action=AuditAction.PATIENT_VIEW, patient_id=enrolled.pk
        ).exists()

    def test_create(self, api, staff, clinic):
        response = api(staff.intake)(
            "post", "/patients", {**NEW_PATIENT, "location_id": clinic.location.pk}
        )
        assert response.status_code == 201
        assert response.json()["mrn"].startswith("MP")
        assert Patient.objects.get().first_name == "José"

    @pytest.mark.parametrize(
        ("body", "status"),
        [
            ("{not json", 400),
            ({"first_name": "A"}, 422),
            ({**NEW_PATIENT, "location_id": "north"}, 422),
            ({**NEW_PATIENT, "first_name": "x" * 10_000, "location_id": 1}, 422),
            ({**NEW_PATIENT, "date_of_birth": "2999-01-01", "location_id": None}, 422),
            ({**NEW_PATIENT, "date_of_birth": "31/12/1990", "location_id": 1}, 422),
        ],
    )
    def test_bad_input_is_4xx_with_a_message(self, api, staff, clinic, body, status):
        response = api(staff.intake)("post", "/patients", body)
        assert response.status_code == status
        assert "detail" in response.json()
        assert not Patient.objects.exists()

    def test_rules_of_the_model_come_back_as_400(self, api, staff, clinic):
        response = api(staff.intake)(
            "post",
            "/patients",
            {
                **NEW_PATIENT,
                "date_of_birth": "2999-01-01",
                "email": "nope",
                "location_id": clinic.location.pk,
            },
        )
        assert response.status_code == 400
        body = response.json()
        assert "in the future" in body["detail"]
        assert set(body["errors"]) == {"date_of_birth", "email"}

    def test_another_sites_location_is_refused(self, api, staff, clinic):
        response = api(staff.intake)(
            "post", "/patients", {**NEW_PATIENT, "location_id": clinic.other_location.pk}
        )
        assert response.status_code == 400
        assert "Not one of your locations" in response.json()["detail"]

    def test_roles_that_do_not_register_get_403(self, api, staff, clinic):
        response = api(staff.biller)(
            "post", "/patients", {**NEW_PATIENT, "location_id": clinic.location.pk}
        )
        assert response.status_code == 403

    def test_patch_changes_only_what_is_sent(self, api, staff, enrolled):
        response = api(staff.counselor)(
            "patch", f"/patients/{enrolled.pk}", {"phone": "(555) 010-1111"}
        )
        assert response.status_code == 200
        assert response.json()["phone"] == "(555) 010-1111"
        assert response.json()["first_name"] == "Rosa"
        event = AuditEvent.objects.get(action=AuditAction.PATIENT_UPDATE)
        assert event.data == {"fields": ["phone"]}

    def test_patch_refuses_null_and_read_only_roles(self, api, staff, enrolled):
        assert (
            api(staff.counselor)(
                "patch", f"/patients/{enrolled.pk}", {"first_name": None}
            ).status_code
            == 400
        )
        assert (
            api(staff.biller)("patch", f"/patients/{enrolled.pk}", {"city": "X"}).status_code == 403
        )

    def test_episodes_with_their_history(self, api, staff, enrolled, clinic):
        from django.utils import timezone

        from middlepath.care import services

        services.change_episode(
            episode=enrolled.current_episode,
            by=staff.counselor,
            effective_on=timezone.localdate(),
            reason="progress",
            phase=clinic.phases[1],
        )
        episodes = api(staff.counselor)("get", f"/patients/{enrolled.pk}/episodes").json()
        assert len(episodes) == 1
        assert [c["kind"] for c in episodes[0]["changes"]] == ["admission", "change"]
        assert episodes[0]["changes"][1]["direction"] == "step down"
        assert AuditEvent.objects.filter(action=AuditAction.EPISODE_VIEW).exists()

    def test_list_query_count_is_fixed(
        self, api, staff, clinic, enrolled, django_assert_max_num_queries
    ):
        call = api(staff.counselor)
        with django_assert_max_num_queries(20) as few:
            call("get", "/patients")
        baseline = len(few)  # read now: the next request clears the query log
        for _ in range(20):
            factories.admit(
                factories.make_patient(clinic.location), clinic.evening, clinic.phases[0]
            )
        with django_assert_max_num_queries(baseline):
            assert call("get", "/patients").json()["count"] == 21


@pytest.mark.django_db
class TestCsrfAndTokens:
    """Real clients are checked for CSRF (Django's test client skips it unless asked)."""

    def test_a_token_writes_without_csrf(self, staff, clinic):
        from django.test import Client

        from middlepath.accounts.services import create_api_token

        _, key = create_api_token(by=staff.intake, name="script")
        client = Client(enforce_csrf_checks=True)
        response = client.post(
            "/api/v1/patients",
            json.dumps({**NEW_PATIENT, "location_id": clinic.location.pk}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 201

    def test_a_bad_token_is_401_even_for_writes(self, db):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        response = client.post(
            "/api/v1/patients",
            "{}",
            content_type="application/json",
            headers={"Authorization": "Bearer mp_wrong"},
        )
        assert response.status_code == 401
