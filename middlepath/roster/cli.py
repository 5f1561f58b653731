"""`roster solve` and `roster check`: the roster optimizer from the command line.

`main` takes the arguments after `roster` and its own output streams, so the Django
management command (`middlepath roster ...`) and the tests call it directly. Exit codes:
0 done (or valid), 1 the checked solution breaks rules, 2 unusable input, 3 internal error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import IO, Any, NoReturn

from middlepath.roster.instance import (
    Instance,
    RosterInputError,
    Solution,
    parse_instance,
    parse_solution,
)
from middlepath.roster.solver import solve
from middlepath.roster.validate import RosterInternalError, metrics, validate

OK, BROKEN, BAD_INPUT, INTERNAL = 0, 1, 2, 3


class _Stop(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class _Parser(argparse.ArgumentParser):
    """argparse that writes to the streams given to `main` and returns instead of exiting."""

    def __init__(self, *args: Any, out: IO[str], err: IO[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.out = out
        self.err = err

    def _print_message(self, message: str, file: IO[str] | None = None) -> None:
        if message:
            (self.err if file is sys.stderr else self.out).write(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            self.err.write(message)
        raise _Stop(status)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(BAD_INPUT, f"{self.prog}: error: {message}\n")


def _parser(out: IO[str], err: IO[str]) -> _Parser:
    def make(**kwargs: Any) -> _Parser:
        return _Parser(out=out, err=err, **kwargs)

    parser = make(prog="roster", description="Weekly IOP group roster: optimize or check.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=make)
    run = commands.add_parser("solve", help="optimize a roster for an instance")
    run.add_argument("instance", help="instance file (middlepath-roster/1)")
    run.add_argument("-o", "--output", required=True, help="where to write the solution")
    run.add_argument("--seconds", type=float, default=60.0, help="time limit (default 60)")
    run.add_argument("--seed", type=int, default=0, help="random seed for CP-SAT")
    run.add_argument("--workers", type=int, default=None, help="CP-SAT threads")
    run.add_argument(
        "--deterministic",
        action="store_true",
        help=(
            "same roster on every run: one thread and a deterministic time limit instead of"
            " wall-clock seconds (the run may take longer than --seconds)"
        ),
    )
    check = commands.add_parser("check", help="check a solution against the hard rules")
    check.add_argument("instance", help="instance file (middlepath-roster/1)")
    check.add_argument("solution", help="solution file (middlepath-roster-solution/1)")
    return parser


def main(
    argv: list[str] | None = None, *, stdout: IO[str] | None = None, stderr: IO[str] | None = None
) -> int:
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    try:
        args = _parser(out, err).parse_args(sys.argv[1:] if argv is None else argv)
        if args.command == "solve":
            return _solve(args, out, err)
        return _check(args, out)
    except _Stop as stop:
        return stop.code
    except RosterInputError as problem:
        err.write(f"roster: {problem}\n")
        return BAD_INPUT
    except RosterInternalError as bug:
        err.write(f"roster: internal error, please report it: {bug}\n")
        return INTERNAL


def _read_json(path: str, what: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as problem:
        raise RosterInputError(f"cannot read {what} {path}: {problem.strerror}") from problem
    except UnicodeDecodeError as problem:
        raise RosterInputError(f"{what} {path} is not UTF-8 text") from problem
    try:
        return json.loads(text)
    except json.JSONDecodeError as problem:
        raise RosterInputError(
            f"{what} {path} is not valid JSON (line {problem.lineno}, column {problem.colno}: "
            f"{problem.msg})"
        ) from problem


def _load_instance(path: str) -> Instance:
    data = _read_json(path, "instance")
    try:
        return parse_instance(data)
    except RosterInputError as problem:
        raise RosterInputError(f"{path}: {problem}") from problem


def _load_solution(path: str) -> Solution:
    data = _read_json(path, "solution")
    try:
        return parse_solution(data)
    except RosterInputError as problem:
        raise RosterInputError(f"{path}: {problem}") from problem


def _solve(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    if not args.seconds > 0:
        raise RosterInputError("--seconds must be more than 0")
    if args.workers is not None and args.workers < 1:
        raise RosterInputError("--workers must be at least 1")
    if not 0 <= args.seed < 2**31:
        raise RosterInputError("--seed must be between 0 and 2147483647")
    instance = _load_instance(args.instance)
    output = Path(args.output)
    if not output.parent.is_dir():
        raise RosterInputError(f"cannot write {output}: no directory {output.parent}")

    shown: dict[str, tuple[int, int]] = {}

    def progress(location: str, best_met: int, bound: int, seconds: float) -> None:
        # Only changes are worth a line; CP-SAT reports many small steps.
        if shown.get(location) != (best_met, bound):
            shown[location] = (best_met, bound)
            err.write(f"roster: {location}: {best_met} met, bound {bound} ({seconds:.1f} s)\n")
            err.flush()

    solution = solve(
        instance,
        seconds=args.seconds,
        seed=args.seed,
        workers=args.workers,
        deterministic=args.deterministic,
        progress=progress,
    )
    try:
        output.write_text(json.dumps(solution, indent=2) + "\n", encoding="utf-8")
    except OSError as problem:
        raise RosterInputError(f"cannot write {output}: {problem.strerror}") from problem
    score = solution["objective"]
    out.write(
        f"{solution['status']}: met {score['met']}/{len(instance.patients)} "
        f"(bound {solution['bound']['met']}), {score['sessions']} sessions, "
        f"{score['preferred_facilitator']} with preferred facilitator, "
        f"{solution['seconds']:.1f} s -> {output}\n"
    )
    return OK


def _check(args: argparse.Namespace, out: IO[str]) -> int:
    instance = _load_instance(args.instance)
    solution = _load_solution(args.solution)
    score = metrics(instance, solution)
    out.write(
        f"met {score.met}/{len(instance.patients)}, {score.sessions} sessions, "
        f"{score.preferred_facilitator} with preferred facilitator (recomputed)\n"
    )
    claimed = solution.objective
    if claimed is not None and claimed.met != score.met:
        out.write(f"note: the file claims met {claimed.met}, the roster gives {score.met}\n")
    if claimed is not None and claimed.sessions != score.sessions:
        out.write(f"note: the file claims {claimed.sessions} sessions, it has {score.sessions}\n")
    if claimed is not None and claimed.preferred_facilitator != score.preferred_facilitator:
        out.write(
            f"note: the file claims preferred_facilitator {claimed.preferred_facilitator}, "
            f"the roster gives {score.preferred_facilitator}\n"
        )
    if solution.bound_met is not None and solution.bound_met < score.met:
        out.write(f"note: bound.met {solution.bound_met} is below the met it reaches\n")
    broken = validate(instance, solution)
    for violation in broken:
        out.write(f"{violation}\n")
    if broken:
        out.write(f"INVALID: {len(broken)} broken rule(s)\n")
        return BROKEN
    out.write("valid: keeps every hard rule\n")
    return OK
