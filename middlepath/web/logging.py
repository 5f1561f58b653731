"""Logging that keeps PHI out of log files."""

from __future__ import annotations

import logging
import traceback
from types import TracebackType

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class PHISafeFormatter(logging.Formatter):
    """Tracebacks keep the frames (where it failed) but not the exception's message.

    Database errors quote the values that broke a constraint and validation errors quote
    input; either can be a patient's name or date of birth.
    """

    def formatException(self, ei: ExcInfo) -> str:
        exc_type, _, tb = ei
        frames = "".join(traceback.format_tb(tb))
        name = f"{exc_type.__module__}.{exc_type.__qualname__}"
        return f"Traceback (most recent call last):\n{frames}{name}: (message withheld)"
