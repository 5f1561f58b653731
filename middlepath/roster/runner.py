"""Builds a roster in the background while the director's page stays usable.

The solver runs in a thread of the web process and writes its progress to the run's row,
which the page polls. One build at a time per process keeps two cores from being shared
by competing solves. (A deployment with many sites would move this to a job queue.)
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from middlepath.roster.instance import RosterInputError
from middlepath.roster.models import RosterRun
from middlepath.roster.solver import solve

log = logging.getLogger(__name__)
_one_at_a_time = threading.Lock()
PROGRESS_EVERY = 0.5  # seconds between progress writes


def start(run: RosterRun) -> None:
    """Solve once the run's row is committed: in a thread, or inline when configured so."""

    def launch() -> None:
        if settings.ROSTER_BUILD_IN_BACKGROUND:
            threading.Thread(
                target=_in_thread, args=(run.pk,), name=f"roster-{run.pk}", daemon=True
            ).start()
        else:
            build(run.pk)

    transaction.on_commit(launch)


def build(run_id: int) -> None:
    with _one_at_a_time:
        _build(run_id)


def _in_thread(run_id: int) -> None:
    # A thread has its own database connection: open it fresh, and close it when done.
    close_old_connections()
    try:
        build(run_id)
    finally:
        connection.close()


def _build(run_id: int) -> None:
    """Solve in a worker thread while this one writes its progress to the run's row.

    The solver reports from its own threads, which must not touch the database (each
    would open a connection, and on SQLite wait behind the caller's transaction).
    """
    run = RosterRun.objects.get(pk=run_id)
    RosterRun.objects.filter(pk=run_id).update(status=RosterRun.Status.RUNNING)
    started = time.monotonic()
    lock = threading.Lock()
    best: dict[str, dict[str, int]] = {}
    outcome: dict[str, Any] = {}

    def progress(location: str, best_met: int, bound: int, seconds: float) -> None:
        with lock:
            best[location] = {"met": best_met, "bound": bound}

    def work() -> None:
        try:
            outcome["solution"] = solve(run.instance, seconds=run.seconds, progress=progress)
        except Exception as error:  # handed back to the thread that owns the database
            outcome["error"] = error

    worker = threading.Thread(target=work, name=f"roster-solver-{run_id}", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(PROGRESS_EVERY)
        with lock:
            snapshot = {"locations": dict(best), "seconds": round(time.monotonic() - started, 1)}
        RosterRun.objects.filter(pk=run_id).update(progress=snapshot)
    error = outcome.get("error")
    if isinstance(error, RosterInputError):
        _finish(run_id, RosterRun.Status.FAILED, error=f"The week cannot be rostered: {error}")
    elif error is not None:
        log.error(
            "Roster run %s failed", run_id, exc_info=(type(error), error, error.__traceback__)
        )
        _finish(
            run_id,
            RosterRun.Status.FAILED,
            error="The roster could not be built: an internal error, logged for the administrator.",
        )
    else:
        solution = outcome["solution"]
        _finish(
            run_id,
            RosterRun.Status.DONE,
            solution=solution,
            progress={"locations": dict(best), "seconds": solution.get("seconds")},
        )


def _finish(run_id: int, status: str, **fields: Any) -> None:
    RosterRun.objects.filter(pk=run_id).update(status=status, finished_at=timezone.now(), **fields)
