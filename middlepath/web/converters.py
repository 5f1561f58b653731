"""URL converters. Record ids in paths are at most 18 digits, so that an absurd id is a
plain 404 rather than an overflow in the database driver."""

from __future__ import annotations


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
