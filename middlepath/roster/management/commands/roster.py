"""`middlepath roster solve|check|export|apply|worker`: the weekly roster from the command line.

`solve` and `check` work on files alone (roster/cli.py, no database); `export` writes the
week from the clinic's database; `apply` puts a solution into it; `worker` builds the
rosters directors ask for on the Roster page when `ROSTER_BUILDS=worker`.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from middlepath.clinic.models import Location
from middlepath.roster import adapter, cli, runner
from middlepath.roster.instance import RosterInputError, parse_instance, parse_solution
from middlepath.roster.models import RosterRun


class Command(BaseCommand):
    help = (
        "The weekly roster: solve, check, export from the database, apply to it, or build "
        "the Roster page's queued rosters (worker)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["solve", "check", "export", "apply", "worker"])
        parser.add_argument("args", nargs="*")
        parser.add_argument(
            "--week", type=dt.date.fromisoformat, help="Any day of the week (YYYY-MM-DD)."
        )
        parser.add_argument("--location", type=int, help="Location id (default: every location).")
        parser.add_argument(
            "-o", "--output", help="export: the file to write (default: standard output)."
        )
        parser.add_argument(
            "--instance",
            help="apply: the instance the solution was made for (default: export it again).",
        )
        parser.add_argument(
            "--yes", action="store_true", help="apply: do it after showing the change."
        )
        parser.add_argument(
            "--once", action="store_true", help="worker: stop when no roster is waiting."
        )
        parser.add_argument(
            "--poll",
            type=float,
            default=2.0,
            help="worker: seconds between looks for a queued roster (default 2).",
        )

    def run_from_argv(self, argv: list[str]) -> None:
        # solve and check take the roster tool's own options (-o, --seconds, --deterministic …)
        if len(argv) > 2 and argv[2] in ("solve", "check"):
            sys.exit(cli.main(argv[2:]))
        super().run_from_argv(argv)

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        if subcommand in ("solve", "check"):
            code = cli.main([subcommand, *args], stdout=self.stdout, stderr=self.stderr)
            if code:
                raise CommandError(f"roster {subcommand} failed", returncode=code)
            return
        if subcommand == "worker":
            self._work(once=options["once"], poll_seconds=options["poll"])
            return
        if options["week"] is None:
            raise CommandError("Give the week: --week YYYY-MM-DD (any day of it).", returncode=2)
        locations = self._locations(options["location"])
        if subcommand == "export":
            self._export(locations, options["week"], options["output"])
        else:
            self._apply(locations, options["week"], args, options)

    def _work(self, *, once: bool, poll_seconds: float) -> None:
        if poll_seconds <= 0:
            raise CommandError("--poll must be more than 0 seconds.", returncode=2)

        def built(run: RosterRun) -> None:
            # Ids and counts only: the run's instance and solution hold patients' data.
            outcome = run.error if run.status == RosterRun.Status.FAILED else "ready"
            self.stdout.write(f"Roster run {run.pk}: {outcome}")

        if not once:
            # A service manager stops the worker with SIGTERM: end like Ctrl-C, which marks
            # a build in progress as stopped instead of leaving it "building".
            signal.signal(signal.SIGTERM, signal.default_int_handler)
            self.stderr.write("Building queued rosters; stop with Ctrl-C.")
        try:
            count = runner.run_worker(once=once, poll_seconds=poll_seconds, built=built)
        except KeyboardInterrupt:
            return
        self.stdout.write(f"Built {count} roster(s); none is waiting.")

    def _locations(self, location_id: int | None) -> list[Location]:
        locations = Location.objects.filter(is_active=True).order_by("pk")
        if location_id is not None:
            locations = locations.filter(pk=location_id)
            if not locations:
                raise CommandError(f"No active location with id {location_id}.", returncode=2)
        return list(locations)

    def _export(self, locations: list[Location], week: dt.date, output: str | None) -> None:
        text = json.dumps(adapter.build_instance(locations, week), indent=2)
        if output:
            Path(output).write_text(text + "\n")
            self.stderr.write(f"Wrote the week of {adapter.week_start_of(week)} to {output}.")
        else:
            self.stdout.write(text)

    def _read(self, path: str, what: str) -> Any:
        try:
            return json.loads(Path(path).read_text())
        except FileNotFoundError:
            raise CommandError(f"No such {what} file: {path}", returncode=2) from None
        except (OSError, ValueError) as error:
            raise CommandError(
                f"The {what} file {path} is not JSON: {error}", returncode=2
            ) from None

    def _apply(
        self, locations: list[Location], week: dt.date, args: tuple[str, ...], options: dict
    ) -> None:
        if len(args) != 1:
            raise CommandError(
                "Usage: middlepath roster apply SOLUTION.json --week YYYY-MM-DD [--location ID]",
                returncode=2,
            )
        solution = self._read(args[0], "solution")
        instance = (
            self._read(options["instance"], "instance")
            if options["instance"]
            else adapter.build_instance(locations, week)
        )
        try:
            parse_instance(instance)
            parse_solution(solution)
        except RosterInputError as error:
            raise CommandError(str(error), returncode=2) from None
        for location in locations:
            change = adapter.compare(location, week, instance, solution)
            self.stdout.write(
                f"{location.name}: {change.sessions_before} group sessions now, "
                f"{change.sessions_after} proposed; {len(change.patients_changed)} patients get "
                f"a different week, {change.patients_unchanged} keep theirs."
            )
            for reason in change.blocked:
                self.stdout.write(f"  cannot apply: {reason}")
        if not options["yes"]:
            self.stdout.write("Nothing changed. Run again with --yes to apply.")
            return
        for location in locations:
            try:
                applied = adapter.apply_solution(
                    location=location,
                    week_start=week,
                    instance=instance,
                    solution=solution,
                    by=None,
                )
            except ValidationError as error:
                raise CommandError(
                    f"{location.name}: not applied: {' '.join(error.messages)}"
                ) from None
            self.stdout.write(
                self.style.SUCCESS(
                    f"{location.name}: applied {applied.sessions} sessions, {applied.seats} seats."
                )
            )
