from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from middlepath.care import services
from tests import factories

DASHBOARD = reverse("dashboard")


@pytest.mark.django_db
class TestDashboard:
    def test_it_shows_todays_census_by_track(self, login, staff, clinic):
        for _ in range(3):
            factories.admit(
                factories.make_patient(clinic.location), clinic.evening, clinic.phases[0]
            )
        factories.admit(factories.make_patient(clinic.location), clinic.day, clinic.phases[1])
        gone = factories.admit(
            factories.make_patient(clinic.location), clinic.day, clinic.phases[1]
        )
        services.discharge_episode(
            episode=gone,
            by=staff.counselor,
            discharged_on=timezone.localdate() - dt.timedelta(days=1),
            reason="completed",
        )
        response = login(staff.counselor).get(DASHBOARD)
        census = {row["track"].name: row["total"] for row in response.context["census"]}
        assert census == {"Evening track": 3, "Day track": 1}
        assert response.context["census_total"] == 4
        assert response.context["discharged_this_week"] == 1

    def test_a_director_picks_the_location(self, login, staff, clinic):
        factories.admit(
            factories.make_patient(clinic.other_location), clinic.other_track, clinic.phases[0]
        )
        response = login(staff.director).get(DASHBOARD, {"location": clinic.other_location.pk})
        assert response.context["location"] == clinic.other_location
        assert response.context["census_total"] == 1

    def test_a_location_one_does_not_work_at_is_not_shown(self, login, staff, clinic):
        response = login(staff.counselor).get(DASHBOARD, {"location": clinic.other_location.pk})
        assert response.context["location"] == clinic.location

    def test_staff_without_a_location_are_told_so(self, login, clinic):
        user = factories.make_staff(None)
        response = login(user).get(DASHBOARD)
        assert b"not assigned to a location" in response.content

    def test_query_count_does_not_grow_with_patients(
        self, login, staff, clinic, django_assert_max_num_queries
    ):
        client = login(staff.counselor)
        with django_assert_max_num_queries(24) as few:
            client.get(DASHBOARD)
        baseline = len(few)  # read now: the next request clears the query log
        for _ in range(25):
            factories.admit(
                factories.make_patient(clinic.location), clinic.evening, clinic.phases[0]
            )
        with django_assert_max_num_queries(baseline):
            client.get(DASHBOARD)


@pytest.mark.django_db
class TestPublicPages:
    def test_home_is_public_and_lists_locations(self, client, clinic):
        response = client.get("/")
        assert response.status_code == 200
        assert b"Riverside" in response.content

    def test_home_sends_staff_to_the_dashboard(self, login, staff):
        assert login(staff.counselor).get("/")["Location"] == DASHBOARD

    def test_not_found_is_a_friendly_page(self, client):
        response = client.get("/no/such/page/")
        assert response.status_code in (302, 404)


@pytest.mark.django_db
class TestErrors:
    def test_a_crash_shows_no_stack_trace(self, staff, monkeypatch):
        from django.test import Client

        def explode(*args, **kwargs):
            raise RuntimeError("secret detail: Rosa Delgado")

        monkeypatch.setattr("middlepath.web.views.Episode.objects.active_on", explode)
        client = Client(raise_request_exception=False)
        client.force_login(staff.counselor)
        response = client.get(DASHBOARD)
        assert response.status_code == 500
        assert b"Something went wrong" in response.content
        assert b"Traceback" not in response.content
        assert b"Rosa" not in response.content

    def test_logged_tracebacks_withhold_the_message(self):
        import logging
        import sys

        from middlepath.web.logging import PHISafeFormatter

        message = "Key (first_name)=(Rosa) already exists"
        try:
            raise ValueError(message)
        except ValueError:
            record = logging.LogRecord(
                "x", logging.ERROR, __file__, 1, "Internal Server Error", (), sys.exc_info()
            )
        text = PHISafeFormatter().format(record)
        assert "Rosa" not in text
        assert "ValueError: (message withheld)" in text


@pytest.mark.django_db
class TestClientAddress:
    def test_without_proxies_the_forwarded_header_is_ignored(self, client, staff):
        from middlepath.privacy.models import AuditAction, AuditEvent

        client.post(
            reverse("login"),
            {"username": "counselor", "password": "x"},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
        assert AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED).remote_addr == "127.0.0.1"

    def test_behind_one_proxy_the_last_hop_is_the_client(self, client, staff, settings):
        from django.test import Client

        from middlepath.privacy.models import AuditAction, AuditEvent

        settings.TRUSTED_PROXY_COUNT = 1
        client = Client()  # middleware reads the setting when the handler is built
        client.post(
            reverse("login"),
            {"username": "counselor", "password": "x"},
            headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9"},
        )
        assert AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED).remote_addr == "203.0.113.9"


@pytest.mark.django_db
class TestAbsurdInput:
    def test_a_huge_id_in_a_page_url_is_not_found(self, login, staff):
        assert login(staff.counselor).get("/patients/99999999999999999999999/").status_code == 404
        assert login(staff.counselor).get("/patients/999999999999999999/").status_code == 404

    def test_a_huge_id_in_the_api_is_a_clear_4xx(self, login, staff):
        client = login(staff.counselor)
        assert client.get("/api/v1/patients/99999999999999999999999").status_code in (400, 404, 422)
        response = client.get(
            "/api/v1/tracks", {"program": "3085175880744902390958779101951819776"}
        )
        assert response.status_code in (400, 422)

    def test_an_absurd_page_is_refused(self, login, staff):
        response = login(staff.counselor).get("/api/v1/patients", {"page": "99999999999999999"})
        assert response.status_code == 422

    def test_nul_characters_and_zoned_times_are_refused(self, login, staff, clinic):
        import json

        client = login(staff.intake)
        body = {
            "first_name": "A\x00B",
            "last_name": "C",
            "date_of_birth": "1990-01-01",
            "location_id": clinic.location.pk,
        }
        response = client.post(
            "/api/v1/patients", json.dumps(body), content_type="application/json"
        )
        assert response.status_code == 422
        assert "NUL" in response.content.decode()
