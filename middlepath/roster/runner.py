"""Builds a roster in the background while the director's page stays usable.

The solver writes its progress to the run's row, which the page polls. Where it runs is
`settings.ROSTER_BUILDS`: in a thread of the web process that took the request ("thread",
the default for one machine), in `middlepath roster worker` ("worker": production, where
web processes restart and several of them would otherwise each run a solve on the same
cores), or inside the request ("inline"). Whoever builds a run first claims it, so no run
is built twice, and one process builds one roster at a time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
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
    """Have the run built once its row is committed (the worker finds it by itself)."""
    mode = settings.ROSTER_BUILDS
    if mode == "worker":
        return

    def launch() -> None:
        if mode == "thread":
            threading.Thread(
                target=_in_thread, args=(run.pk,), name=f"roster-{run.pk}", daemon=True
            ).start()
        else:
            build(run.pk)

    transaction.on_commit(launch)


def build(run_id: int) -> bool:
    """Build the run if it is still queued; False if someone else has claimed it."""
    with _one_at_a_time:
        # A conditional update is the claim: of two builders, one changes the row.
        claimed = RosterRun.objects.filter(pk=run_id, status=RosterRun.Status.QUEUED).update(
            status=RosterRun.Status.RUNNING, started_at=timezone.now()
        )
        if not claimed:
            return False
        try:
            _build(run_id)
        except KeyboardInterrupt:  # the worker is being stopped: say so rather than wait
            _finish(
                run_id,
                RosterRun.Status.FAILED,
                error="The build was stopped (the roster worker was shut down). Build again.",
            )
            raise
        return True


def run_worker(
    *, once: bool, poll_seconds: float, built: Callable[[RosterRun], None] | None = None
) -> int:
    """The roster worker's loop: build queued runs, oldest first; with `once`, stop when
    none is left. Returns how many it built."""
    count = 0
    while True:
        if not connection.in_atomic_block:  # (a test's transaction must stay open)
            # A long-lived process: drop connections the database server has closed.
            close_old_connections()
        waiting = (
            RosterRun.objects.filter(status=RosterRun.Status.QUEUED)
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)
            .first()
        )
        if waiting is None:
            if once:
                return count
            time.sleep(poll_seconds)
            continue
        if build(waiting):
            count += 1
            if built is not None:
                built(RosterRun.objects.get(pk=waiting))


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
