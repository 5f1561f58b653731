"""Roster optimizer against the hand-made baseline, on generated weeks of growing size.

    python bench/roster.py [--seconds S] [--workers W] [--seed N]

Both run in the same process on the same instances, so the ratios compare like with like.
No timing assertions: the table is for people (and for the report of a change).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# Run from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from middlepath.roster.baseline import baseline
from middlepath.roster.generate import generate_instance
from middlepath.roster.solver import solve
from middlepath.roster.validate import validate

SIZES = ((1, 40), (1, 80), (1, 150), (3, 100), (6, 150), (12, 150))
COLUMNS = (
    ("instance", 9),
    ("patients", 8),
    ("met", 5),
    ("base met", 8),
    ("bound", 5),
    ("met/bound", 9),
    ("met/base", 8),
    ("sessions", 8),
    ("base sess", 9),
    ("preferred", 9),
    ("base pref", 9),
    ("seconds", 7),
    ("status", 8),
    ("broken", 6),
)


def _row(values: list[str]) -> str:
    return "  ".join(value.rjust(width) for value, (_, width) in zip(values, COLUMNS, strict=True))


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="solver limit per instance")
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT threads (default 2)")
    parser.add_argument("--seed", type=int, default=2026, help="generator seed")
    args = parser.parse_args(argv)

    print(
        f"roster benchmark: --seconds {args.seconds:g} --workers {args.workers}, seed {args.seed}"
    )
    print(_row([name for name, _ in COLUMNS]))
    totals = [0, 0, 0]
    for locations, per_location in SIZES:
        instance = generate_instance(
            locations=locations, patients_per_location=per_location, seed=args.seed
        )
        hand = baseline(instance)
        started = time.monotonic()
        solution = solve(instance, seconds=args.seconds, seed=0, workers=args.workers)
        seconds = time.monotonic() - started
        broken = len(validate(instance, solution)) + len(validate(instance, hand))
        met, base_met = solution["objective"]["met"], hand["objective"]["met"]
        bound = solution["bound"]["met"]
        totals = [totals[0] + met, totals[1] + base_met, totals[2] + bound]
        print(
            _row(
                [
                    f"{locations}x{per_location}",
                    str(len(instance["patients"])),
                    str(met),
                    str(base_met),
                    str(bound),
                    _percent(met, bound),
                    f"{met / base_met:.2f}x" if base_met else "-",
                    str(solution["objective"]["sessions"]),
                    str(hand["objective"]["sessions"]),
                    str(solution["objective"]["preferred_facilitator"]),
                    str(hand["objective"]["preferred_facilitator"]),
                    f"{seconds:.1f}",
                    solution["status"],
                    str(broken),
                ]
            ),
            flush=True,
        )
    print(
        f"total: solver met {totals[0]}, baseline met {totals[1]}, bound {totals[2]} "
        f"(solver {_percent(totals[0], totals[2])} of bound, "
        f"baseline {_percent(totals[1], totals[2])} of bound)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
