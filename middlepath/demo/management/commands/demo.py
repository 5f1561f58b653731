from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from middlepath.accounts.models import User
from middlepath.clinic.models import Location
from middlepath.demo import content
from middlepath.demo.builder import DemoSpec, build


def _positive(minimum: int, maximum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
        if not minimum <= value <= maximum:
            raise ValueError(f"must be between {minimum} and {maximum}")
        return value

    parse.__name__ = "number"
    return parse


class Command(BaseCommand):
    help = (
        "Build a realistic, synthetic demo clinic (deterministic for a given seed). "
        "Refuses when a clinic exists, unless --reset."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--patients",
            type=_positive(1, 100_000),
            default=120,
            help="Patients to create (default 120).",
        )
        parser.add_argument(
            "--weeks", type=_positive(1, 260), default=8, help="Weeks of history (default 8)."
        )
        parser.add_argument(
            "--locations", type=_positive(1, 50), default=2, help="Locations (default 2)."
        )
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help="Build as if today were this date (YYYY-MM-DD).",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Empty the whole database first, audit trail included.",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Build only if the database holds no clinic yet; else just say so.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        if Location.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already holds a clinic; nothing built.")
                self._print_logins()
                return
            if not options["reset"]:
                raise CommandError(
                    "This database already holds a clinic. Use --reset to empty it and build "
                    "the demo (this deletes everything, including the audit trail)."
                )
            call_command("flush", interactive=False, verbosity=0)
        spec = DemoSpec(
            seed=options["seed"],
            patients=options["patients"],
            weeks=options["weeks"],
            locations=options["locations"],
            today=options["today"] or dt.date.today(),
        )
        bars: dict[str, tqdm] = {}

        def progress(stage: str, count: int) -> None:
            if options["no_progress"]:
                return
            if stage not in bars:
                total = spec.patients if stage == "patients" else None
                bars[stage] = tqdm(total=total, desc=stage, unit="", file=sys.stderr, leave=True)
            bars[stage].update(count)

        build(spec, progress)
        for bar in bars.values():
            bar.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo clinic built: {spec.locations} locations, {spec.patients} patients, "
                f"{spec.weeks} weeks of history (seed {spec.seed})."
            )
        )
        self._print_logins()

    def _print_logins(self) -> None:
        usernames = [username for username, _ in content.DEMO_LOGINS]
        present = set(
            User.objects.filter(username__in=usernames).values_list("username", flat=True)
        )
        if not present:
            return
        self.stdout.write(f"Demo log-ins (password for each: {content.DEMO_PASSWORD}):")
        for username, role in content.DEMO_LOGINS:
            if username in present:
                self.stdout.write(f"  {username:<12} {role}")
