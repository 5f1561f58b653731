from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction, AuditEvent


@pytest.mark.django_db(transaction=True)
class TestFlush:
    def test_flush_empties_the_trail_and_puts_the_triggers_back(
        self, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            audit.record(actor=None, action=AuditAction.DEMO_BUILD)
        assert audit.read_head() is not None
        call_command("flush", interactive=False, verbosity=0)
        assert not AuditEvent.objects.exists()
        assert audit.read_head() is None
        assert audit.verify().ok
        event = audit.record(actor=None, action=AuditAction.DEMO_BUILD)
        assert event.seq == 1
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM privacy_auditevent")

    def test_the_head_is_written_when_the_entry_commits(self):
        event = audit.record(actor=None, action=AuditAction.DEMO_BUILD)
        assert audit.read_head() == (event.seq, event.mac)
