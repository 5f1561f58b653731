"""Automated accessibility checks (axe-core, WCAG 2 A and AA) of the main pages."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

from middlepath.demo.content import DEMO_PASSWORD
from middlepath.sessions.models import Session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def _problems(page) -> list[str]:
    results = Axe().run(page, options=WCAG)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_the_main_pages_have_no_serious_accessibility_problems(page):
    call_command(
        "demo",
        "--seed",
        "2",
        "--patients",
        "30",
        "--weeks",
        "1",
        "--locations",
        "1",
        "--no-progress",
    )
    problems: dict[str, list[str]] = {}
    for url in ["/", "/consultation/", "/accounts/login/"]:
        page.goto(url)
        problems[url] = _problems(page)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("director")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/")
    session = Session.objects.filter(kind="group").order_by("-date").first()
    patient_id = session.attendance.first().patient_id if session.attendance.exists() else None
    urls = [
        "/dashboard/",
        "/patients/",
        "/groups/",
        f"/groups/{session.group_id}/",
        "/schedule/",
        f"/sessions/{session.pk}/",
        f"/sessions/{session.pk}/note/",
        "/reports/compliance/",
        "/reports/audit/",
        "/intake/",
        "/roster/",
        "/account/tokens/",
        "/account/schedule/",
    ]
    if patient_id:
        urls.append(f"/patients/{patient_id}/")
    for url in urls:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        problems[url] = _problems(page)
    assert {url: found for url, found in problems.items() if found} == {}
