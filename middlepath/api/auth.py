"""How API callers prove who they are: the browser's session, or a bearer token."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from middlepath.accounts.services import user_for_api_key


class SessionAuth(NinjaSessionAuth):
    """The signed-in browser session; unsafe methods need the CSRF token as in the UI."""

    def _get_key(self, request: HttpRequest) -> str | None:
        # Without a session cookie there is no session to protect: skip the CSRF check so
        # that a token-authenticated write is not refused for lacking a CSRF token.
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None:
            user.audit_address = request.META.get("REMOTE_ADDR")
        return user


class BearerToken(HttpBearer):
    """`Authorization: Bearer mp_…` with a token made on the user's API tokens page."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_api_key(token)
        if user is not None:
            user.audit_address = request.META.get("REMOTE_ADDR")
        return user


def require(request: HttpRequest, permission: str) -> Any:
    """The authenticated user, if they hold `permission` (else 403, as in the UI)."""
    user = request.auth
    if not user.has_perm(permission):
        raise PermissionDenied("Your role does not allow this.")
    return user
