from __future__ import annotations

import pytest
from django.urls import reverse

from middlepath.accounts.models import ApiToken
from middlepath.accounts.services import create_api_token
from middlepath.privacy.models import AuditAction, AuditEvent

TOKENS = reverse("accounts:tokens")


@pytest.mark.django_db
class TestTokensPage:
    def test_creating_shows_the_secret_once_and_keeps_only_its_hash(self, login, staff):
        client = login(staff.counselor)
        response = client.post(TOKENS, {"name": "reporting script"})
        key = response.context["new_key"]
        assert key.startswith("mp_")
        assert key.encode() in response.content
        token = ApiToken.objects.get()
        assert token.key_hash == ApiToken.hash_key(key)
        assert key not in {token.key_hash, token.prefix}
        assert key.encode() not in client.get(TOKENS).content
        assert AuditEvent.objects.filter(action=AuditAction.API_TOKEN_CREATE).exists()

    def test_a_name_is_required(self, login, staff):
        response = login(staff.counselor).post(TOKENS, {"name": "  "})
        assert b"This field is required" in response.content
        assert not ApiToken.objects.exists()

    def test_revoked_tokens_stop_working(self, login, staff, client):
        token, key = create_api_token(by=staff.counselor, name="script")
        headers = {"Authorization": f"Bearer {key}"}
        assert client.get("/api/v1/locations", headers=headers).status_code == 200
        login(staff.counselor).post(reverse("accounts:revoke_token", args=[token.pk]))
        assert client.get("/api/v1/locations", headers=headers).status_code == 401
        assert AuditEvent.objects.filter(action=AuditAction.API_TOKEN_REVOKE).exists()

    def test_one_cannot_revoke_someone_elses_token(self, login, staff):
        token, _ = create_api_token(by=staff.director, name="director's")
        response = login(staff.counselor).post(reverse("accounts:revoke_token", args=[token.pk]))
        assert response.status_code == 404
        token.refresh_from_db()
        assert token.is_active

    def test_a_deactivated_user_s_token_stops_working(self, staff, client):
        _, key = create_api_token(by=staff.counselor, name="script")
        staff.counselor.is_active = False
        staff.counselor.save()
        assert (
            client.get("/api/v1/locations", headers={"Authorization": f"Bearer {key}"}).status_code
            == 401
        )
