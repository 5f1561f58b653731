"""The public consultation form: anyone, any hour, safely."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from middlepath.intake.models import Inquiry
from middlepath.privacy.models import AuditAction, AuditEvent

URL = reverse("consultation")
THANKS = reverse("consultation_thanks")


def valid(**changes):
    data = {
        "first_name": "José",
        "last_name": "Ramírez",
        "phone": "(555) 010-4433",
        "email": "jose@example.org",
        "best_time": "evening",
        "ok_to_leave_message": "no",
        "for_whom": "self",
        "needs": "I want to stop drinking but keep my job.",
        "schedule_preference": "evening",
        "insurance": "private",
        "payer_name": "Acme Health",
        "member_id": "XJ123456",
        "website": "",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
class TestConsultationForm:
    def test_it_is_public_free_and_confidential(self, client, clinic):
        response = client.get(URL)
        assert response.status_code == 200
        assert b"free" in response.content and b"confidential" in response.content
        assert b"Riverside" in response.content  # the preferred-location choice
        assert b"no-store" in response["Cache-Control"].encode()

    def test_the_home_page_links_to_it(self, client, clinic):
        assert URL.encode() in client.get("/").content

    def test_a_valid_request_is_queued_and_answered_without_data_in_the_url(self, client, clinic):
        response = client.post(URL, valid(location=clinic.location.pk))
        assert response.status_code == 302
        assert response["Location"] == THANKS
        inquiry = Inquiry.objects.get()
        assert (inquiry.first_name, inquiry.last_name, inquiry.location) == (
            "José",
            "Ramírez",
            clinic.location,
        )
        assert inquiry.ok_to_leave_message is False
        assert inquiry.source == "web_form"
        thanks = client.get(THANKS)
        assert b"Thank you" in thanks.content and "José".encode() not in thanks.content

    def test_no_preference_for_a_location_is_allowed(self, client, clinic):
        client.post(URL, valid(location=""))
        assert Inquiry.objects.get().location is None

    def test_an_empty_submission_explains_itself(self, client, clinic):
        response = client.post(URL, {})
        assert response.status_code == 200
        assert b"Please check the fields marked below" in response.content
        assert b"This field is required" in response.content
        assert b"phone number or an email address" in response.content
        assert not Inquiry.objects.exists()

    def test_nothing_typed_is_lost_when_something_is_wrong(self, client, clinic):
        response = client.post(URL, valid(email="not-an-email"))
        assert b"Enter a valid email address" in response.content
        assert b'value="Ram\xc3\xadrez"' in response.content
        assert b"I want to stop drinking" in response.content
        assert not Inquiry.objects.exists()

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("first_name", "x" * 10_000, b"at most 100 characters"),
            ("first_name", "<script>alert(1)</script>", b"Use letters, spaces"),
            ("last_name", "Smith; DROP TABLE", b"Use letters, spaces"),
            ("phone", "call me maybe", b"Enter a phone number"),
            ("email", "jose@", b"Enter a valid email address"),
            ("needs", "x" * 2001, b"at most 2000 characters"),
            ("insurance", "gold", b"Select a valid choice"),
            ("location", "999999", b"Select a valid choice"),
        ],
    )
    def test_bad_input_gets_a_clear_message_not_an_error(
        self, client, clinic, field, value, message
    ):
        response = client.post(URL, valid(**{field: value}))
        assert response.status_code == 200
        assert message in response.content
        assert not Inquiry.objects.exists()

    @pytest.mark.parametrize("name", ["José", "李", "Nguyễn", "O'Brien-Smith", "Zoë Ann"])
    def test_names_in_any_script_are_welcome(self, client, clinic, name):
        response = client.post(URL, valid(first_name=name, last_name=""))
        assert response.status_code == 302
        assert Inquiry.objects.get().first_name == name

    def test_script_in_free_text_is_kept_as_text_and_shown_escaped(
        self, client, clinic, login, staff
    ):
        client.post(URL, valid(needs="<script>alert('x')</script>", location=clinic.location.pk))
        inquiry = Inquiry.objects.get()
        page = login(staff.intake).get(reverse("intake:detail", args=[inquiry.pk]))
        assert b"<script>alert" not in page.content
        assert b"&lt;script&gt;alert" in page.content

    def test_loved_one_details_are_kept_only_for_a_loved_one(self, client, clinic):
        client.post(URL, valid(for_whom="self", loved_one_name="Sam", relationship="son"))
        assert Inquiry.objects.get().loved_one_name == ""
        Inquiry.objects.all().delete()
        client.post(
            URL,
            valid(first_name="Ana", for_whom="loved_one", loved_one_name="Sam", relationship="son"),
        )
        assert (Inquiry.objects.get().loved_one_name, Inquiry.objects.get().relationship) == (
            "Sam",
            "son",
        )

    def test_a_repeated_submit_makes_one_inquiry(self, client, clinic):
        for _ in range(3):
            assert client.post(URL, valid()).status_code == 302
        assert Inquiry.objects.count() == 1

    def test_the_honeypot_is_answered_like_a_real_request_and_stored_nowhere(self, client, clinic):
        response = client.post(URL, valid(website="https://spam.example"))
        assert response.status_code == 302
        assert response["Location"] == THANKS
        assert not Inquiry.objects.exists()
        assert not AuditEvent.objects.filter(action=AuditAction.INQUIRY_CREATE).exists()

    def test_the_honeypot_is_hidden_from_people(self, client, clinic):
        content = client.get(URL).content.decode()
        field = content.index('name="website"')
        wrapper = content.rindex("<div", 0, content.rindex("<div", 0, field))
        assert 'class="visually-hidden" aria-hidden="true"' in content[wrapper:field]
        assert 'tabindex="-1"' in content[field : content.index(">", field)]

    def test_it_needs_the_csrf_token(self, clinic):
        client = Client(enforce_csrf_checks=True)
        response = client.post(URL, valid())
        assert response.status_code == 403
        assert not Inquiry.objects.exists()
        page = client.get(URL)
        token = page.cookies["csrftoken"].value
        response = client.post(URL, {**valid(), "csrfmiddlewaretoken": token})
        assert response.status_code == 302

    def test_a_get_with_data_does_nothing(self, client, clinic):
        response = client.get(URL, valid())
        assert response.status_code == 200
        assert not Inquiry.objects.exists()

    def test_signed_in_staff_can_use_it_too(self, login, staff, clinic):
        assert login(staff.intake).post(URL, valid()).status_code == 302


@pytest.mark.django_db
class TestRateLimit:
    def test_too_many_requests_from_one_address_get_a_clear_429(self, client, clinic, settings):
        settings.CONSULTATION_LIMIT_PER_HOUR = 2
        for number in range(2):
            assert client.post(URL, valid(needs=f"request {number}")).status_code == 302
        response = client.post(URL, valid(needs="request 3"))
        assert response.status_code == 429
        assert b"try again" in response.content.lower()
        assert int(response["Retry-After"]) > 0
        assert Inquiry.objects.count() == 2

    def test_robots_count_too(self, client, clinic, settings):
        settings.CONSULTATION_LIMIT_PER_HOUR = 1
        client.post(URL, valid(website="spam"))
        assert client.post(URL, valid()).status_code == 429

    def test_other_addresses_are_not_held_back(self, client, clinic, settings):
        settings.CONSULTATION_LIMIT_PER_HOUR = 1
        client.post(URL, valid(), REMOTE_ADDR="203.0.113.5")
        assert client.post(URL, valid(), REMOTE_ADDR="203.0.113.5").status_code == 429
        response = client.post(URL, valid(needs="mine"), REMOTE_ADDR="198.51.100.7")
        assert response.status_code == 302

    def test_fixing_typos_does_not_use_up_the_limit(self, client, clinic, settings):
        settings.CONSULTATION_LIMIT_PER_HOUR = 1
        for _ in range(4):
            assert client.post(URL, valid(email="oops")).status_code == 200
        assert client.post(URL, valid()).status_code == 302

    def test_a_missing_cache_table_keeps_the_form_open(self, client, clinic, monkeypatch):
        from django.db import DatabaseError

        from middlepath.intake import views

        def broken(*args, **kwargs):
            raise DatabaseError("no such table: middlepath_ratelimit")

        monkeypatch.setattr(views, "get_usage", broken)
        assert client.post(URL, valid()).status_code == 302
        assert Inquiry.objects.count() == 1
