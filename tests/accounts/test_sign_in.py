from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from middlepath import settings as production_settings
from middlepath.privacy.models import AuditAction, AuditEvent, AuditOutcome
from tests.factories import PASSWORD

LOGIN = reverse("login")


def test_passwords_are_hashed_with_pbkdf2_sha256():
    # ONC 170.315(d)(12): NIST-approved primitives; Django's PBKDF2 with SHA-256.
    assert (
        production_settings.PASSWORD_HASHERS[0]
        == "django.contrib.auth.hashers.PBKDF2PasswordHasher"
    )


@pytest.mark.django_db
def test_the_pbkdf2_hash_looks_like_one(settings):
    settings.PASSWORD_HASHERS = production_settings.PASSWORD_HASHERS
    assert make_password("a long passphrase").startswith("pbkdf2_sha256$")


@pytest.mark.django_db
class TestSignIn:
    def test_it_signs_in_audits_and_shows_times_in_the_sites_zone(self, client, staff, clinic):
        clinic.location.time_zone = "America/Chicago"
        clinic.location.save()
        response = client.post(LOGIN, {"username": "counselor", "password": PASSWORD})
        assert response.status_code == 302
        assert response["Location"] == reverse("dashboard")
        assert client.session["time_zone"] == "America/Chicago"
        event = AuditEvent.objects.get(action=AuditAction.LOGIN)
        assert (event.actor, event.remote_addr) == (staff.counselor, "127.0.0.1")

    def test_a_wrong_password_is_audited_with_the_username(self, client, staff):
        response = client.post(LOGIN, {"username": "counselor", "password": "nope"})
        assert response.status_code == 200
        assert b"do not match" in response.content
        event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
        assert event.outcome == AuditOutcome.FAILURE
        assert event.data == {"username": "counselor"}

    def test_an_unknown_username_is_not_kept(self, client, staff):
        # Someone may type their password into the username box.
        client.post(LOGIN, {"username": "my secret password", "password": "x"})
        event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
        assert event.data == {"username_known": False}

    def test_repeated_failures_lock_the_account_out(self, client, staff, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post(LOGIN, {"username": "counselor", "password": "wrong"})
        response = client.post(LOGIN, {"username": "counselor", "password": PASSWORD})
        assert response.status_code == 429
        assert b"Too many failed sign-in attempts" in response.content
        assert "_auth_user_id" not in client.session
        assert AuditEvent.objects.filter(
            action=AuditAction.LOCKED_OUT, outcome=AuditOutcome.DENIED
        ).exists()

    def test_an_inactive_user_cannot_sign_in(self, client, staff):
        staff.counselor.is_active = False
        staff.counselor.save()
        response = client.post(LOGIN, {"username": "counselor", "password": PASSWORD})
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session

    def test_sign_out_is_audited(self, login, staff):
        client = login(staff.counselor)
        response = client.post(reverse("logout"))
        assert response.status_code == 302
        assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=staff.counselor).exists()
        assert client.get(reverse("dashboard")).status_code == 302


@pytest.mark.django_db
class TestInactivity:
    def test_sessions_expire_after_the_idle_minutes(self, settings):
        assert production_settings.SESSION_IDLE_MINUTES == 15
        assert production_settings.SESSION_COOKIE_AGE == 15 * 60
        assert production_settings.SESSION_SAVE_EVERY_REQUEST

    def test_each_request_pushes_the_expiry_forward(self, staff):
        client = Client()
        client.post(LOGIN, {"username": "counselor", "password": PASSWORD})
        session = Session.objects.get()
        first_expiry = session.expire_date
        Session.objects.filter(pk=session.pk).update(
            expire_date=timezone.now() + dt.timedelta(minutes=1)
        )
        client.get(reverse("dashboard"))
        assert Session.objects.get().expire_date >= first_expiry - dt.timedelta(seconds=5)

    def test_an_idle_session_must_sign_in_again(self, staff):
        client = Client()
        client.post(LOGIN, {"username": "counselor", "password": PASSWORD})
        Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
        response = client.get(reverse("dashboard"))
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)


@pytest.mark.django_db
class TestPrivacyHeaders:
    def test_signed_in_pages_are_not_stored(self, login, staff):
        response = login(staff.counselor).get(reverse("dashboard"))
        assert "no-store" in response["Cache-Control"]

    def test_pages_cannot_be_framed(self, client):
        assert client.get(reverse("login"))["X-Frame-Options"] == "DENY"
