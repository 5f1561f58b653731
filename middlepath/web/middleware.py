"""Request-wide concerns of the staff UI: sign-in, time zone, caching, client address."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.defaults import bad_request

Handler = Callable[[HttpRequest], HttpResponse]
SESSION_TIME_ZONE = "time_zone"


class LoginRequired(LoginRequiredMiddleware):
    """Every page needs sign-in unless marked @login_not_required.

    The REST API authenticates each request itself (session or token) and answers 401
    in JSON rather than redirecting to the sign-in page.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):  # type: ignore[no-untyped-def]
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class NumbersOutOfRange:
    """A number beyond any the database holds, typed or posted by hand (an id of thirty
    digits among a form's choices, say), overflows SQLite's driver or is refused by
    PostgreSQL wherever a form or view did not check it first: the request was wrong, not
    the server, so it is answered 400, as the API answers it."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, error: Exception) -> HttpResponse | None:
        if isinstance(error, OverflowError | DataError):
            return bad_request(request, error)
        return None


def client_address_behind_proxies(get_response: Handler) -> Handler:
    """Behind TRUSTED_PROXY_COUNT proxies, REMOTE_ADDR becomes the real client's address."""
    count = settings.TRUSTED_PROXY_COUNT

    def middleware(request: HttpRequest) -> HttpResponse:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if count and forwarded:
            hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
            # Each trusted proxy appends the address it saw; earlier entries are the client's
            # own claims and can be forged.
            if hops:
                request.META["REMOTE_ADDR"] = hops[-count] if len(hops) >= count else hops[0]
        return get_response(request)

    return middleware


def client_address(get_response: Handler) -> Handler:
    """Give the signed-in user the client's address, for the audit entries they cause.

    Services receive the acting user explicitly (`by=request.user`); the address travels
    with it instead of through thread-local state.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            request.user.audit_address = request.META.get("REMOTE_ADDR")
        return get_response(request)

    return middleware


def location_time_zone(get_response: Handler) -> Handler:
    """Show times in the time zone of the user's site (chosen at sign-in)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        name = request.session.get(SESSION_TIME_ZONE) if hasattr(request, "session") else None
        if name:
            try:
                timezone.activate(zoneinfo.ZoneInfo(name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return get_response(request)

    return middleware


def no_store_for_signed_in(get_response: Handler) -> Handler:
    """Pages seen signed in may hold PHI: no browser or proxy may keep a copy."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response

    return middleware
