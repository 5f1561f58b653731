"""The audit trail: one explicit call, `record()`, made inside the transaction of the change.

Each entry carries a sequence number and an HMAC-SHA256 over its content and the previous
entry's MAC. `verify()` walks the chain and names the first entry that was changed, removed
or cut off the end. Entries hold ids and field names, never PHI values.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from middlepath.privacy.models import AuditAction, AuditEvent, AuditOutcome

# An arbitrary constant naming the PostgreSQL advisory lock that orders appends.
_POSTGRES_LOCK_ID = 0x6D70_6175  # "mpau"
GENESIS_MAC = ""


class AuditSubject(Protocol):
    """A record that knows which patient it belongs to (Patient, Episode, …)."""

    pk: Any

    @property
    def audit_patient_id(self) -> int | None: ...


def _key() -> bytes:
    return settings.AUDIT_KEY.encode()


def _canonical(entry: Mapping[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _entry_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor": event.actor_username,
        "action": event.action,
        "outcome": event.outcome,
        "patient_id": event.patient_id,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "remote_addr": event.remote_addr,
        "data": event.data,
    }


def compute_mac(event: AuditEvent, previous_mac: str) -> str:
    message = previous_mac.encode() + b"\n" + _canonical(_entry_fields(event))
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def record(
    *,
    actor: Any,
    action: AuditAction,
    obj: models.Model | None = None,
    patient_id: int | None = None,
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    data: Mapping[str, Any] | None = None,
    remote_addr: str | None = None,
) -> AuditEvent:
    """Append one entry to the trail, in the caller's transaction.

    `actor` is the acting user (None for the system); its `audit_address`, set per request
    by middleware, is the client address unless `remote_addr` is given. `obj` names the
    record acted on; its patient comes from `obj.audit_patient_id` unless given.
    """
    [event] = record_many(
        actor=actor,
        action=action,
        entries=[(obj, patient_id, data)],
        outcome=outcome,
        remote_addr=remote_addr,
    )
    return event


def record_many(
    *,
    actor: Any,
    action: AuditAction,
    entries: Iterable[tuple[models.Model | None, int | None, Mapping[str, Any] | None]],
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    remote_addr: str | None = None,
) -> list[AuditEvent]:
    """Append one entry per (obj, patient_id, data) of `entries`, in order, as `record()`
    would one by one, but holding the chain's lock once and writing them in one insert (a
    roster applied to hundreds of patients records one entry for each)."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    if remote_addr is None and actor is not None:
        remote_addr = getattr(actor, "audit_address", None)
    events = []
    for obj, patient_id, data in entries:
        if obj is not None and patient_id is None:
            patient_id = getattr(obj, "audit_patient_id", None)
        events.append(
            AuditEvent(
                actor=actor if is_user else None,
                actor_username=actor.get_username() if is_user else "",
                action=AuditAction(action).value,
                outcome=AuditOutcome(outcome).value,
                patient_id=patient_id,
                object_type=obj._meta.label_lower if obj is not None else "",
                object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
                remote_addr=remote_addr or None,
                data=dict(data or {}),
            )
        )
    if not events:
        return []
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "mac").first()
        seq, mac = (last[0] + 1, last[1]) if last else (1, GENESIS_MAC)
        now = timezone.now()
        for event in events:
            event.seq, event.occurred_at = seq, now
            event.mac = mac = compute_mac(event, mac)
            seq += 1
        AuditEvent.objects.bulk_create(events)
        newest = events[-1]
        transaction.on_commit(lambda: write_head(newest.seq, newest.mac))
    return events


def _lock_chain() -> None:
    """Serialise appends so that sequence numbers and the chain never fork.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: transactions begin IMMEDIATE
    (settings), so the writer already holds the database's single write lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_POSTGRES_LOCK_ID])


# The head witness: a file outside the database remembering the newest entry, so that
# entries cut off the end of the trail (which leave a valid, shorter chain) are noticed.


def read_head() -> tuple[int, str] | None:
    path = Path(settings.AUDIT_HEAD_FILE)
    try:
        content = json.loads(path.read_text())
        return int(content["seq"]), str(content["mac"])
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return (-1, "unreadable")


def write_head(seq: int, mac: str, *, force: bool = False) -> None:
    path = Path(settings.AUDIT_HEAD_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = read_head()
        # Commits of concurrent writers can land in either order; keep the newest.
        if not force and current is not None and current[0] >= seq:
            return
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"seq": seq, "mac": mac}))
        os.replace(temporary, path)


def reset_head() -> None:
    with contextlib.suppress(FileNotFoundError):
        Path(settings.AUDIT_HEAD_FILE).unlink()


@dataclass(frozen=True)
class Verification:
    entries: int
    first_bad_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


def verify(events: Iterable[AuditEvent] | None = None) -> Verification:
    """Walk the whole chain in order; report the first entry that breaks it."""
    if events is None:
        events = AuditEvent.objects.order_by("seq").iterator(chunk_size=2000)
    head = read_head()
    if head is not None and head[0] < 0:
        return Verification(0, 1, "the head file is unreadable")
    head_seq, head_mac = head if head is not None else (0, GENESIS_MAC)
    expected_seq, previous_mac, count = 1, GENESIS_MAC, 0
    for event in events:
        if event.seq != expected_seq:
            return Verification(
                count,
                expected_seq,
                f"entry #{expected_seq} is missing (the next entry is #{event.seq})",
            )
        if not hmac.compare_digest(compute_mac(event, previous_mac), event.mac):
            return Verification(
                count,
                event.seq,
                f"entry #{event.seq} does not match its MAC: it, or the key, was changed",
            )
        if event.seq == head_seq and event.mac != head_mac:
            return Verification(count, event.seq, f"entry #{event.seq} differs from the head file")
        previous_mac, expected_seq, count = event.mac, expected_seq + 1, count + 1
    if head_seq >= expected_seq:
        return Verification(
            count,
            expected_seq,
            f"entries #{expected_seq} to #{head_seq} are missing from the end of the trail",
        )
    return Verification(count)
