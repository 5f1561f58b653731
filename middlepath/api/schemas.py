"""What every request body and query of the API accepts, beyond its own fields."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Schema
from ninja.pagination import PageNumberPagination
from pydantic import Field, field_validator


def _plain(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        # PostgreSQL cannot store NUL; refuse it here rather than fail on save.
        raise ValueError("Text may not contain NUL characters.")
    if isinstance(value, dt.time) and value.tzinfo is not None:
        raise ValueError("Give a local time without a time zone, e.g. 18:00.")
    if isinstance(value, list | tuple):
        for item in value:
            _plain(item)
    return value


class Input(Schema):
    """Base of request bodies and query filters: text without NUL characters, local times."""

    @field_validator("*", mode="after")
    @classmethod
    def _plain_values(cls, value: Any) -> Any:
        return _plain(value)


# A record id: positive and within a 64-bit integer, as every database here stores it.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class Pages(PageNumberPagination):
    """Page-number paging with bounds: an absurd page is refused (422), not sent to the
    database as an offset it cannot hold."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int | None = Field(None, ge=1, le=200)
