"""Do the busiest pages stay fast as the clinic grows?

Builds two demo clinics side by side (small and large), requests the same pages as the
same people on each, and prints time and query count per page with the large/small ratio.
Query counts must not grow with the data (the tests pin them too); times should grow far
less than the data does.

    python bench/pages.py [--small 120] [--large 2000] [--weeks 52] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The demo clinics' today, and the week after it (the Roster page's week).
TODAY = "2026-11-25"
NEXT_WEEK = "2026-11-30"


def measure(patients: int, weeks: int, repeat: int) -> dict[str, dict[str, float]]:
    """In a child process with its own database: build the demo, then time the pages."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "middlepath.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command(
            "demo",
            "--patients",
            str(patients),
            "--weeks",
            str(weeks),
            "--no-progress",
            "--today",
            TODAY,
            stdout=quiet,
        )
    from middlepath.accounts.models import User
    from middlepath.care.models import Patient
    from middlepath.roster import adapter
    from middlepath.roster.baseline import baseline
    from middlepath.roster.models import RosterRun, WeekPlan
    from middlepath.sessions.models import Session, TherapyGroup

    counselor = User.objects.get(username="counselor1")
    director = User.objects.get(username="director")
    location = counselor.locations.first()
    busiest = (
        Patient.objects.filter(location=location)
        .annotate(n=django.db.models.Count("attendance"))
        .order_by("-n")
        .first()
    )
    group = TherapyGroup.objects.filter(track__location=location, is_active=True).first()
    session = Session.objects.filter(group=group).order_by("-date").first()
    pages = {
        "dashboard": "/dashboard/",
        "patient list": "/patients/",
        "chart": f"/patients/{busiest.pk}/",
        "chart: hours": f"/patients/{busiest.pk}/hours/",
        "chart: notes": f"/patients/{busiest.pk}/care/",
        "group": f"/groups/{group.pk}/",
        "attendance": f"/sessions/{session.pk}/",
        "compliance report": "/reports/compliance/",
        "API: hours": f"/api/v1/patients/{busiest.pk}/hours",
        "my schedule": "/account/schedule/",
        "roster": f"/roster/?location={location.pk}&week={NEXT_WEEK}",
    }
    # The Roster page as its director sees it with a proposed week (the baseline's: the
    # page's work does not depend on how the roster was found).
    instance = adapter.build_instance([location], dt.date.fromisoformat(NEXT_WEEK))
    RosterRun.objects.create(
        plan=WeekPlan.objects.for_week(location, dt.date.fromisoformat(NEXT_WEEK)),
        seconds=30,
        created_by=director,
        instance=instance,
        status=RosterRun.Status.DONE,
        solution=baseline(instance),
    )
    clients = {}
    for user in (counselor, director):
        clients[user] = Client()
        clients[user].force_login(user)
    results = {}
    for name, url in pages.items():
        client = clients[director if name == "roster" else counselor]
        client.get(url)  # warm caches
        timings, queries = [], 0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(
                    url, headers={"HX-Request": "true"} if "chart:" in name else {}
                )
                timings.append(time.perf_counter() - started)
            queries = len(captured)
            assert response.status_code == 200, (url, response.status_code)
        results[name] = {"ms": statistics.median(timings) * 1000, "queries": queries}
    results["_size"] = {"patients": Patient.objects.count(), "attendance": busiest.n}
    return results


def child(patients: int, weeks: int, repeat: int) -> dict:
    with tempfile.TemporaryDirectory() as var:
        env = {
            **os.environ,
            "MIDDLEPATH_VAR_DIR": var,
            "DATABASE_URL": f"sqlite:///{var}/bench.sqlite3",
        }
        out = subprocess.run(  # noqa: S603 (this same script, with numbers we parsed)
            [sys.executable, __file__, "--child", str(patients), str(weeks), str(repeat)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=120)
    parser.add_argument("--large", type=int, default=2000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(*args.child)))
        return
    small = child(args.small, args.weeks, args.repeat)
    large = child(args.large, args.weeks, args.repeat)
    sizes = small["_size"], large["_size"]
    print(
        f"small: {sizes[0]['patients']} patients; large: {sizes[1]['patients']} patients; "
        f"{args.weeks} weeks of history (the charted patient has {sizes[0]['attendance']} and "
        f"{sizes[1]['attendance']} attendance rows)"
    )
    print(f"{'page':<20}{'small ms':>10}{'large ms':>10}{'ratio':>8}{'queries':>10}{'queries':>10}")
    print(f"{'':<20}{'':>10}{'':>10}{'':>8}{'small':>10}{'large':>10}")
    for name in small:
        if name.startswith("_"):
            continue
        s, g = small[name], large[name]
        ratio = g["ms"] / s["ms"]
        print(
            f"{name:<20}{s['ms']:>10.1f}{g['ms']:>10.1f}{ratio:>8.2f}x"
            f"{s['queries']:>9}{g['queries']:>10}"
        )


if __name__ == "__main__":
    main()
