from __future__ import annotations

import pytest
from django.urls import reverse

from middlepath.intake.models import Inquiry
from middlepath.sessions import services
from middlepath.sessions.placement import suggest_groups
from tests import factories
from tests.intake.conftest import submit


@pytest.fixture
def admitted(clinic, staff):
    patient = factories.enrolled_patient(clinic.evening, clinic.phases[0], recovery_stage="early")
    inquiry = submit(clinic.location)
    # Set up as admitted directly: the admission itself is tested in test_admission.py.
    Inquiry.objects.filter(pk=inquiry.pk).update(
        patient=patient, episode=patient.current_episode, status="admitted"
    )
    inquiry.refresh_from_db()
    return inquiry, patient


@pytest.mark.django_db
class TestSuggestions:
    def test_groups_of_the_track_with_space_that_fit(self, clinic, staff, admitted):
        _, patient = admitted
        today = clinic.location.today()
        open_group = factories.make_group(
            clinic.evening, staff.counselor, name="Open skills", meeting_days=[1]
        )
        process = factories.make_group_type(kind="process", same_stage=True)
        same_stage = factories.make_group(
            clinic.evening,
            staff.director,
            name="Early process",
            group_type=process,
            stage="early",
            meeting_days=[2],
        )
        factories.make_group(
            clinic.evening,
            staff.director,
            name="Late process",
            group_type=process,
            stage="late",
            meeting_days=[3],
        )
        factories.make_group(clinic.day, staff.counselor, name="Day skills", meeting_days=[1])
        full = factories.make_group(
            clinic.evening, staff.director, name="Full group", meeting_days=[4]
        )
        for _ in range(15):
            services.add_member(
                group=full,
                by=staff.director,
                patient=factories.enrolled_patient(clinic.evening, clinic.phases[0]),
            )
        names = [s.group.name for s in suggest_groups(patient, day=today)]
        assert sorted(names) == sorted([open_group.name, same_stage.name])

    def test_a_clashing_group_is_not_suggested(self, clinic, staff, admitted):
        _, patient = admitted
        mine = factories.make_group(clinic.evening, staff.counselor, name="Mine", meeting_days=[1])
        services.add_member(group=mine, patient=patient, by=staff.counselor)
        factories.make_group(clinic.evening, staff.director, name="Clash", meeting_days=[1])
        assert suggest_groups(patient, day=clinic.location.today()) == []


@pytest.mark.django_db
class TestFirstWeekPage:
    def test_the_coordinator_seats_the_patient(self, login, clinic, staff, admitted):
        inquiry, patient = admitted
        group = factories.make_group(
            clinic.evening, staff.counselor, name="Open skills", meeting_days=[1, 3]
        )
        client = login(staff.intake)
        url = reverse("intake:first_week", args=[inquiry.pk])
        page = client.get(url)
        assert b"Open skills" in page.content
        response = client.post(
            reverse("sessions:group_add_member", args=[group.pk]),
            {"patient": patient.pk, "next": url},
        )
        assert response["Location"] == url
        assert group.memberships.current().filter(patient=patient).exists()

    def test_an_outside_next_is_ignored(self, login, clinic, staff, admitted):
        _, patient = admitted
        group = factories.make_group(clinic.evening, staff.counselor, meeting_days=[1])
        response = login(staff.intake).post(
            reverse("sessions:group_add_member", args=[group.pk]),
            {"patient": patient.pk, "next": "https://evil.example/"},
        )
        assert response["Location"] == reverse("sessions:group_detail", args=[group.pk])

    def test_denied(self, login, staff, admitted):
        inquiry, _ = admitted
        assert (
            login(staff.counselor).get(reverse("intake:first_week", args=[inquiry.pk])).status_code
            == 403
        )
