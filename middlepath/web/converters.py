"""Record ids from requests. An id in a path or a form is at most 18 ASCII digits, so that
an absurd id is a plain 404 or refusal rather than an overflow in the database driver."""

from __future__ import annotations

import re

ID_PATTERN = "[0-9]{1,18}"


def record_id(text: str | None) -> int | None:
    """A record id posted in a form or a query string, or None if it cannot be one."""
    return int(text) if text and re.fullmatch(ID_PATTERN, text) else None


class IdConverter:
    regex = ID_PATTERN

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
