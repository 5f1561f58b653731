from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from middlepath.care.models import Episode, EpisodeChange, Patient
from middlepath.privacy.models import AuditAction, AuditEvent
from tests import factories
from tests.clock import TODAY


@pytest.fixture
def enrolled(clinic, staff):
    patient = factories.make_patient(clinic.location, first_name="Rosa", last_name="Delgado")
    factories.admit(patient, clinic.evening, clinic.phases[0], primary_counselor=staff.counselor)
    return patient


@pytest.mark.django_db
class TestPatientList:
    url = reverse("care:patient_list")

    def test_anonymous_is_sent_to_sign_in(self, client):
        response = client.get(self.url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_a_user_without_a_role_is_refused(self, login, staff):
        assert login(staff.no_role).get(self.url).status_code == 403

    @pytest.mark.parametrize(
        "persona",
        ["intake", "counselor", "case_manager", "physician", "biller", "director", "admin"],
    )
    def test_staff_roles_see_the_list(self, login, staff, enrolled, persona):
        response = login(getattr(staff, persona)).get(self.url)
        assert response.status_code == 200
        assert b"Delgado" in response.content

    def test_staff_of_another_location_do_not_see_the_patient(self, login, staff, enrolled):
        response = login(staff.outsider).get(self.url)
        assert b"Delgado" not in response.content

    def test_search_posts_and_finds_by_name(self, login, staff, enrolled, clinic):
        factories.admit(
            factories.make_patient(clinic.location, last_name="Okafor"),
            clinic.day,
            clinic.phases[1],
        )
        response = login(staff.counselor).post(self.url, {"q": "delg", "status": "active"})
        assert b"Delgado" in response.content
        assert b"Okafor" not in response.content

    def test_a_name_in_the_url_is_ignored(self, login, staff, enrolled, clinic):
        factories.admit(
            factories.make_patient(clinic.location, last_name="Okafor"),
            clinic.day,
            clinic.phases[1],
        )
        response = login(staff.counselor).get(self.url, {"q": "delgado"})
        assert b"Okafor" in response.content  # no filtering happened from the URL

    def test_filters_by_track_and_status(self, login, staff, enrolled, clinic):
        day_patient = factories.make_patient(clinic.location, last_name="Okafor")
        factories.admit(day_patient, clinic.day, clinic.phases[1])
        client = login(staff.counselor)
        response = client.get(self.url, {"track": clinic.day.pk})
        assert b"Okafor" in response.content and b"Delgado" not in response.content
        response = client.get(self.url, {"status": "discharged"})
        assert b"Okafor" not in response.content and b"Delgado" not in response.content

    def test_bad_filter_values_give_a_message_not_an_error(self, login, staff):
        response = login(staff.counselor).get(
            self.url, {"track": "abc", "page": "-3", "status": "zzz"}
        )
        assert response.status_code == 200
        assert b"Check the filters" in response.content

    def test_htmx_gets_just_the_results(self, login, staff, enrolled):
        response = login(staff.counselor).post(
            self.url, {"q": "rosa"}, headers={"HX-Request": "true"}
        )
        assert response.content.lstrip().startswith(b'<div id="results"')
        assert b"<html" not in response.content

    def test_listing_is_audited_without_names(self, login, staff, enrolled):
        login(staff.counselor).post(self.url, {"q": "Delgado"})
        event = AuditEvent.objects.get(action=AuditAction.PATIENT_SEARCH)
        assert event.data == {"results": 1, "page": 1}

    def test_query_count_does_not_grow_with_patients(
        self, login, staff, clinic, django_assert_max_num_queries
    ):
        client = login(staff.counselor)
        for _ in range(3):
            factories.admit(
                factories.make_patient(clinic.location), clinic.evening, clinic.phases[0]
            )
        with django_assert_max_num_queries(20) as few:
            client.get(self.url)
        baseline = len(few)  # read now: the next request clears the query log
        for _ in range(30):
            factories.admit(
                factories.make_patient(clinic.location), clinic.evening, clinic.phases[0]
            )
        with django_assert_max_num_queries(baseline):
            response = client.get(self.url)
        assert b"Page 1 of 2" in response.content


@pytest.mark.django_db
class TestChart:
    def test_it_shows_the_chart_and_audits_the_view(self, login, staff, enrolled):
        response = login(staff.counselor).get(reverse("care:patient_detail", args=[enrolled.pk]))
        assert response.status_code == 200
        assert b"Rosa Delgado" in response.content
        assert b"Evening track" in response.content
        assert AuditEvent.objects.filter(
            action=AuditAction.PATIENT_VIEW, patient_id=enrolled.pk, actor=staff.counselor
        ).exists()

    def test_staff_of_another_location_get_not_found(self, login, staff, enrolled):
        response = login(staff.outsider).get(reverse("care:patient_detail", args=[enrolled.pk]))
        assert response.status_code == 404
        assert b"Delgado" not in response.content

    def test_a_user_without_a_role_is_refused(self, login, staff, enrolled):
        assert (
            login(staff.no_role).get(reverse("care:patient_detail", args=[enrolled.pk])).status_code
            == 403
        )

    def test_query_count_does_not_grow_with_history(
        self, login, staff, clinic, enrolled, django_assert_max_num_queries
    ):
        from middlepath.care import services

        client = login(staff.counselor)
        url = reverse("care:patient_detail", args=[enrolled.pk])
        with django_assert_max_num_queries(18) as few:
            client.get(url)
        baseline = len(few)  # read now: the next request clears the query log
        episode = enrolled.current_episode
        for index in range(6):
            services.change_episode(
                episode=episode,
                by=staff.counselor,
                effective_on=TODAY,
                reason="moving",
                phase=clinic.phases[(index + 1) % 3],
            )
        with django_assert_max_num_queries(baseline):
            response = client.get(url)
        assert response.content.count(b"step ") >= 6

    def test_names_are_escaped(self, login, staff, clinic):
        # Stored before names were checked (or imported): still only text on the page.
        patient = factories.make_patient(clinic.location)
        Patient.objects.filter(pk=patient.pk).update(first_name="<script>alert(1)</script>")
        response = login(staff.counselor).get(reverse("care:patient_detail", args=[patient.pk]))
        assert b"<script>alert(1)</script>" not in response.content
        assert b"&lt;script&gt;" in response.content


def _register(client, clinic, **fields):
    """The chart's registration form posted with a valid new patient, but for `fields`."""
    return client.post(
        reverse("care:patient_create"),
        {
            "first_name": "José",
            "last_name": "García",
            "date_of_birth": "1990-02-03",
            "location": clinic.location.pk,
            "recovery_stage": "early",
            **fields,
        },
    )


@pytest.mark.django_db
class TestRegisterAndEdit:
    @pytest.mark.parametrize("name", ["<script>", "9999-12-31", "Ann2", "-Ann"])
    def test_a_name_is_letters_as_at_intake(self, login, staff, clinic, name):
        response = _register(login(staff.intake), clinic, first_name=name)
        assert response.status_code == 200
        assert b"Use letters, spaces, hyphens, apostrophes and periods only." in response.content
        assert not Patient.objects.exists()

    def test_intake_registers_a_patient(self, login, staff, clinic):
        response = _register(login(staff.intake), clinic)
        patient = Patient.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("care:patient_detail", args=[patient.pk])

    def test_bad_input_is_shown_next_to_fields_and_kept(self, login, staff, clinic):
        response = _register(
            login(staff.intake), clinic, last_name="", date_of_birth="2100-01-01", email="nope"
        )
        assert response.status_code == 200
        assert b"This field is required" in response.content
        assert b"in the future" in response.content
        assert 'value="José"'.encode() in response.content
        assert b'aria-invalid="true"' in response.content
        assert not Patient.objects.exists()

    def test_a_location_outside_ones_own_is_refused(self, login, staff, clinic):
        response = _register(login(staff.intake), clinic, location=clinic.other_location.pk)
        assert b"Select a valid choice" in response.content
        assert not Patient.objects.exists()

    @pytest.mark.parametrize("persona", ["counselor", "biller", "physician", "no_role"])
    def test_roles_that_do_not_register_are_refused(self, login, staff, persona):
        assert login(getattr(staff, persona)).get(reverse("care:patient_create")).status_code == 403

    def test_counselor_edits_details(self, login, staff, enrolled, clinic):
        url = reverse("care:patient_edit", args=[enrolled.pk])
        client = login(staff.counselor)
        form = client.get(url).context["form"]
        data = {name: value for name, value in form.initial.items() if value is not None}
        data.update(phone="(555) 010-9999", location=clinic.location.pk, date_of_birth="1985-05-17")
        response = client.post(url, data)
        assert response.status_code == 302
        enrolled.refresh_from_db()
        assert enrolled.phone == "(555) 010-9999"

    @pytest.mark.parametrize("persona", ["biller", "physician"])
    def test_read_only_roles_cannot_edit(self, login, staff, enrolled, persona):
        assert (
            login(getattr(staff, persona))
            .get(reverse("care:patient_edit", args=[enrolled.pk]))
            .status_code
            == 403
        )


@pytest.mark.django_db
class TestEpisodeViews:
    def test_counselor_steps_a_patient_down(self, login, staff, enrolled, clinic):
        episode = enrolled.current_episode
        response = login(staff.counselor).post(
            reverse("care:episode_change", args=[episode.pk]),
            {
                "level_of_care": "2.1",
                "phase": clinic.phases[1].pk,
                "track": clinic.evening.pk,
                "effective_on": TODAY.isoformat(),
                "reason": "Attending reliably",
            },
        )
        assert response.status_code == 302
        assert EpisodeChange.objects.filter(kind="change", to_phase=clinic.phases[1]).exists()

    def test_a_refused_change_shows_why(self, login, staff, enrolled, clinic):
        episode = enrolled.current_episode
        response = login(staff.counselor).post(
            reverse("care:episode_change", args=[episode.pk]),
            {
                "level_of_care": "2.1",
                "phase": clinic.phases[0].pk,
                "track": clinic.evening.pk,
                "effective_on": TODAY.isoformat(),
                "reason": "Nothing really",
            },
        )
        assert response.status_code == 200
        assert b"Nothing changes" in response.content

    @pytest.mark.parametrize("persona", ["intake", "biller", "case_manager"])
    def test_roles_without_clinical_authority_cannot_change_care(
        self, login, staff, enrolled, persona
    ):
        url = reverse("care:episode_change", args=[enrolled.current_episode.pk])
        assert login(getattr(staff, persona)).get(url).status_code == 403

    def test_outsider_gets_not_found(self, login, staff, enrolled):
        url = reverse("care:episode_discharge", args=[enrolled.current_episode.pk])
        assert login(staff.outsider).get(url).status_code == 404

    def test_physician_discharges_and_intake_readmits(self, login, staff, enrolled, clinic):
        episode = enrolled.current_episode
        response = login(staff.physician).post(
            reverse("care:episode_discharge", args=[episode.pk]),
            {
                "discharged_on": TODAY.isoformat(),
                "reason": "higher_level",
                "note": "Needs residential care",
            },
        )
        assert response.status_code == 302
        response = login(staff.intake).post(
            reverse("care:episode_open", args=[enrolled.pk]),
            {
                "track": clinic.day.pk,
                "phase": clinic.phases[0].pk,
                "level_of_care": "2.1",
                "admitted_on": TODAY.isoformat(),
                "referral_source": "residential_step_down",
                "primary_counselor": staff.counselor.pk,
            },
        )
        assert response.status_code == 302
        assert Episode.objects.filter(patient=enrolled).count() == 2

    def test_admitting_with_an_open_episode_is_refused_clearly(
        self, login, staff, enrolled, clinic
    ):
        response = login(staff.intake).post(
            reverse("care:episode_open", args=[enrolled.pk]),
            {
                "track": clinic.day.pk,
                "phase": clinic.phases[0].pk,
                "level_of_care": "2.1",
                "admitted_on": (TODAY - dt.timedelta(days=1)).isoformat(),
                "referral_source": "self",
            },
        )
        assert response.status_code == 200
        assert b"already has an open episode" in response.content

    @pytest.mark.parametrize("persona", ["counselor", "biller"])
    def test_roles_that_do_not_admit_are_refused(self, login, staff, enrolled, persona):
        assert (
            login(getattr(staff, persona))
            .get(reverse("care:episode_open", args=[enrolled.pk]))
            .status_code
            == 403
        )
