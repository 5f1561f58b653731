from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction, AuditEvent, AuditOutcome
from tests import factories


def _append(n: int, **kwargs) -> list[AuditEvent]:
    return [
        audit.record(actor=None, action=AuditAction.PATIENT_VIEW, patient_id=i, **kwargs)
        for i in range(n)
    ]


def _raw_update(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db
class TestRecord:
    def test_it_numbers_entries_and_chains_their_macs(self):
        first, second = _append(2)
        assert (first.seq, second.seq) == (1, 2)
        assert first.mac == audit.compute_mac(first, audit.GENESIS_MAC)
        assert second.mac == audit.compute_mac(second, first.mac)

    def test_many_entries_are_appended_in_order_in_one_link_of_the_chain(
        self, settings, django_capture_on_commit_callbacks
    ):
        first = audit.record(actor=None, action=AuditAction.PATIENT_VIEW, patient_id=1)
        with django_capture_on_commit_callbacks(execute=True):
            many = audit.record_many(
                actor=None,
                action=AuditAction.ROSTER_SEAT,
                entries=[(None, patient, {"sessions": patient}) for patient in (7, 8, 9)],
            )
        assert [e.seq for e in many] == [2, 3, 4]
        assert [e.patient_id for e in many] == [7, 8, 9]
        assert many[0].mac == audit.compute_mac(many[0], first.mac)
        assert many[2].mac == audit.compute_mac(many[2], many[1].mac)
        stored = AuditEvent.objects.get(seq=3)
        assert (stored.mac, stored.data) == (many[1].mac, {"sessions": 8})
        assert json.loads(settings.AUDIT_HEAD_FILE.read_text()) == {"seq": 4, "mac": many[2].mac}
        after = audit.record(actor=None, action=AuditAction.PATIENT_VIEW, patient_id=1)
        assert after.seq == 5
        assert audit.verify().ok
        assert audit.record_many(actor=None, action=AuditAction.ROSTER_SEAT, entries=[]) == []

    def test_it_takes_the_patient_from_the_record(self, clinic):
        patient = factories.make_patient(clinic.location)
        event = audit.record(actor=None, action=AuditAction.PATIENT_VIEW, obj=patient)
        assert (event.patient_id, event.object_type, event.object_id) == (
            patient.pk,
            "care.patient",
            str(patient.pk),
        )

    def test_it_records_actor_address_and_outcome(self, staff):
        staff.counselor.audit_address = "10.1.2.3"
        event = audit.record(
            actor=staff.counselor, action=AuditAction.LOGIN, outcome=AuditOutcome.SUCCESS
        )
        event.refresh_from_db()
        assert event.actor == staff.counselor
        assert event.actor_username == "counselor"
        assert event.remote_addr == "10.1.2.3"
        assert event.occurred_at.utcoffset().total_seconds() == 0

    def test_it_rejects_an_unregistered_action(self):
        with pytest.raises(ValueError, match="not a valid AuditAction"):
            audit.record(actor=None, action="patient.teleport")

    def test_it_disappears_with_a_rolled_back_change(self):
        def failing_change() -> None:
            with transaction.atomic():
                _append(1)
                raise RuntimeError("the change failed")

        with pytest.raises(RuntimeError):
            failing_change()
        assert not AuditEvent.objects.exists()


@pytest.mark.django_db
class TestAppendOnly:
    def test_the_database_refuses_update(self):
        event = _append(1)[0]
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _raw_update("UPDATE privacy_auditevent SET action = %s WHERE id = %s", ["x", event.pk])

    def test_the_database_refuses_delete(self):
        event = _append(1)[0]
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _raw_update("DELETE FROM privacy_auditevent WHERE id = %s", [event.pk])

    def test_the_orm_cannot_delete_either(self):
        _append(2)
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.all().delete()
        assert AuditEvent.objects.count() == 2


def _tamper(sql: str, params: list) -> None:
    """Change the table behind the triggers' back, as an attacker with DDL rights could."""
    from middlepath.privacy import triggers

    triggers.remove(connection)
    try:
        _raw_update(sql, params)
    finally:
        triggers.install(connection)


@pytest.mark.django_db
class TestVerify:
    def test_an_untouched_trail_verifies(self):
        _append(5)
        result = audit.verify()
        assert result.ok and result.entries == 5

    def test_it_names_a_changed_entry(self):
        events = _append(5)
        _tamper("UPDATE privacy_auditevent SET patient_id = 999 WHERE id = %s", [events[2].pk])
        result = audit.verify()
        assert not result.ok
        assert result.first_bad_seq == 3
        assert "#3" in result.problem

    def test_it_names_a_deleted_entry(self):
        events = _append(5)
        _tamper("DELETE FROM privacy_auditevent WHERE id = %s", [events[1].pk])
        result = audit.verify()
        assert result.first_bad_seq == 2 and "missing" in result.problem

    def test_it_notices_entries_cut_off_the_end(self):
        events = _append(5)
        audit.write_head(events[-1].seq, events[-1].mac)
        _tamper("DELETE FROM privacy_auditevent WHERE seq >= %s", [4])
        result = audit.verify()
        assert result.first_bad_seq == 4
        assert "#4 to #5" in result.problem

    def test_it_notices_a_whole_trail_emptied(self):
        events = _append(3)
        audit.write_head(events[-1].seq, events[-1].mac)
        _tamper("DELETE FROM privacy_auditevent", [])
        assert audit.verify().first_bad_seq == 1

    def test_it_notices_an_entry_rewritten_with_a_forged_mac_chain(self, settings):
        events = _append(3)
        audit.write_head(events[-1].seq, events[-1].mac)
        # Without the key, a forger recomputes MACs with some other key.
        settings.AUDIT_KEY = "guessed-key"
        forged = AuditEvent.objects.get(pk=events[0].pk)
        forged.patient_id = 42
        forged.mac = audit.compute_mac(forged, audit.GENESIS_MAC)
        _tamper(
            "UPDATE privacy_auditevent SET patient_id = 42, mac = %s WHERE id = %s",
            [forged.mac, forged.pk],
        )
        settings.AUDIT_KEY = "test-audit-key"
        assert audit.verify().first_bad_seq == 1

    def test_the_head_keeps_the_newest_entry(self, settings):
        audit.write_head(5, "a")
        audit.write_head(3, "b")
        assert json.loads(settings.AUDIT_HEAD_FILE.read_text()) == {"seq": 5, "mac": "a"}


@pytest.mark.django_db
class TestVerifyCommand:
    def test_it_reports_an_intact_trail(self, capsys):
        _append(3)
        call_command("audit", "verify")
        assert "intact: 3 entries" in capsys.readouterr().out

    def test_it_fails_naming_the_first_bad_entry(self):
        events = _append(3)
        _tamper(
            "UPDATE privacy_auditevent SET action = %s WHERE id = %s", ["auth.logout", events[1].pk]
        )
        with pytest.raises(CommandError, match="BROKEN at entry #2"):
            call_command("audit", "verify")
