"""The heart of the program: therapy groups, sessions, attendance, notes in thirds, homework,
and the hours ledger that decides whether a patient got their weekly treatment time.

The app's label is `therapy` (Django's own session store already uses `sessions`).
"""
