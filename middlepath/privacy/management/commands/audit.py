from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from middlepath.privacy import audit


class Command(BaseCommand):
    help = "Work with the audit trail. `audit verify` checks the whole hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        subcommands.add_parser("verify", help="Check every entry's MAC and that none is missing.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit.verify()
        if not result.ok:
            # CommandError exits with status 1 and prints the message without a traceback.
            raise CommandError(
                f"Audit trail BROKEN at entry #{result.first_bad_seq}: {result.problem} "
                f"({result.entries} entries verified before it)."
            )
        self.stdout.write(f"Audit trail intact: {result.entries} entries verified.")
