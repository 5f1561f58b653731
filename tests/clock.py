"""A test run's "today", for tests whose dates are module constants."""

from __future__ import annotations

from django.utils import timezone

# Taken once, when the tests are collected: `tests/care/conftest.py` stops the clock here
# for each test, or a run that passes midnight would find that "tomorrow" is today.
NOW = timezone.now()
TODAY = timezone.localdate(NOW)
