"""JSON errors with clear messages and the right 4xx code, never a 500 for bad input."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

CONFLICT = "conflict"


def _messages(error: ValidationError) -> tuple[str, dict[str, list[str]]]:
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages), {}
    fields = error.message_dict
    summary = "; ".join(
        " ".join(messages) if name == "__all__" else f"{name}: {' '.join(messages)}"
        for name, messages in fields.items()
    )
    return summary, fields


def is_conflict(error: ValidationError) -> bool:
    """A refusal because of the current state of things (already open, already full)."""
    return not hasattr(error, "error_dict") and any(e.code == CONFLICT for e in error.error_list)


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
        summary, fields = _messages(error)
        body: dict[str, Any] = {"detail": summary}
        if fields:
            body["errors"] = fields
        return api.create_response(request, body, status=409 if is_conflict(error) else 400)

    @api.exception_handler(OverflowError)
    def number_out_of_range(request: HttpRequest, error: OverflowError) -> HttpResponse:
        # An id or count far beyond any record the database can hold (SQLite overflows
        # when binding it): nothing can match it.
        return api.create_response(request, {"detail": "A number is out of range."}, status=400)

    @api.exception_handler(DataError)
    def value_out_of_range(request: HttpRequest, error: DataError) -> HttpResponse:
        # PostgreSQL's refusal of such a number; the input was wrong, not the server.
        return api.create_response(request, {"detail": "A value is out of range."}, status=400)

    @api.exception_handler(PermissionDenied)
    def permission_denied(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
        return api.create_response(
            request, {"detail": str(error) or "Your role does not allow this."}, status=403
        )
