"""Django's flush, able to empty the append-only audit table too.

Emptying the whole database is a deliberate administrative act (a demo reset, the test
suite between browser tests). The audit table's triggers are lifted for it and restored
afterwards, and the head witness is cleared so that the new, empty trail verifies.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as DjangoFlushCommand
from django.db import connections

from middlepath.privacy import audit, triggers
from middlepath.privacy.models import AuditEvent


class Command(DjangoFlushCommand):
    help = DjangoFlushCommand.help + " The audit trail is emptied as well."

    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        triggers.remove(connection)
        try:
            super().handle(**options)
        finally:
            triggers.install(connection)
        # Only if the flush happened (an interactive flush can be declined).
        if not AuditEvent.objects.using(options["database"]).exists():
            audit.reset_head()
