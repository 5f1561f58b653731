from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from middlepath.care.models import Patient
from middlepath.demo.content import DEMO_PASSWORD
from middlepath.roster.models import RosterRun
from middlepath.sessions.models import Session
from tests.roster.solving import take_out_a_patient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _director_on_the_roster_page(page) -> None:
    """A one-location demo clinic, its director signed in and on the Roster page."""
    call_command(
        "demo",
        "--seed",
        "5",
        "--patients",
        "60",
        "--weeks",
        "1",
        "--locations",
        "1",
        "--no-progress",
    )
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("director")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/")
    page.get_by_role("link", name="Roster").click()
    expect(page.get_by_role("heading", name="Weekly roster: Riverside")).to_be_visible()


def test_a_director_builds_and_applies_next_weeks_roster(page, screenshot):
    _director_on_the_roster_page(page)
    # A patient who cannot come on Mondays this week.
    first_row = page.locator("tbody tr[id^=days-]").first
    first_row.get_by_label("Mon").uncheck()
    expect(first_row.get_by_role("status")).to_have_text("saved")
    # Found by name among the week's patients, as it is typed.
    rows = page.locator("tbody tr[id^=days-]")
    everyone = rows.count()
    row_id = first_row.get_attribute("id")
    patient = Patient.objects.get(pk=int(row_id.split("-")[1]))
    page.get_by_label("Find a patient").fill(patient.last_name)
    expect(page.get_by_text(f"of {everyone} found")).to_be_visible()
    expect(page.locator(f"#{row_id}")).to_be_visible()
    assert rows.count() < everyone
    screenshot("found")
    page.get_by_label("Find a patient").fill("")
    expect(rows).to_have_count(everyone)

    page.get_by_label("Time to search (seconds)").fill("5")
    page.get_by_role("button", name="Build roster").click()
    # The page stays usable while it builds, then shows the proposal.
    expect(page.get_by_role("heading", name="Proposed week")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("patients with their full week")).to_be_visible()
    screenshot("proposal")

    page.get_by_role("button", name="Apply this roster").click()
    expect(page.get_by_text("Roster applied")).to_be_visible()
    screenshot("applied")
    run = RosterRun.objects.get()
    assert run.status == RosterRun.Status.APPLIED
    week = run.plan.week_start
    rostered = Session.objects.filter(seated=True, date__range=(week, week + dt.timedelta(days=6)))
    assert rostered.count() == len(run.solution["sessions"]) > 0


def test_a_director_seats_a_patient_in_the_free_seats_they_left(page, screenshot):
    _director_on_the_roster_page(page)
    page.get_by_label("Time to search (seconds)").fill("5")
    page.get_by_role("button", name="Build roster").click()
    expect(page.get_by_role("heading", name="Proposed week")).to_be_visible(timeout=60_000)

    # A patient taken out of every group of the proposal, as a hand edit would.
    run = RosterRun.objects.get()
    patient = take_out_a_patient(run.solution)
    run.save(update_fields=["solution"])
    name = Patient.objects.get(pk=int(patient.rsplit("-", 1)[1])).display_name

    page.reload()
    listed = page.locator("li", has_text=f"{name}:")
    expect(listed).to_contain_text("they can be seated by hand")
    screenshot("seatable")
    listed.get_by_role("button", name=f"Seat {name} in the free seats").click()
    expect(page.locator("li", has_text=f"{name}:")).to_have_count(0)
    run.refresh_from_db()
    assert patient not in run.solution["unmet"]


def test_a_director_opens_a_session_and_takes_a_member_out_of_it(page, screenshot):
    _director_on_the_roster_page(page)
    page.get_by_label("Time to search (seconds)").fill("5")
    page.get_by_role("button", name="Build roster").click()
    expect(page.get_by_role("heading", name="Proposed week")).to_be_visible(timeout=60_000)

    # The members are fetched when the session is opened.
    cell = page.locator(".roster-grid td", has=page.locator("details")).first
    cell.locator("summary").click()
    move = cell.get_by_role("button", name="Move").first
    expect(move).to_be_visible()
    screenshot("members")
    member = cell.locator(".members li").first
    name = member.inner_text().split("\n")[0].strip()
    patient = member.locator("input[name=patient]").get_attribute("value")
    slot = member.locator("input[name=slot]").get_attribute("value")
    member.get_by_label(f"Move {name}").select_option(label="out of this slot")
    member.get_by_role("button", name="Move").click()
    # Half a block is no block: the validator says so at once.
    expect(page.get_by_role("alert")).to_contain_text("This roster breaks")
    screenshot("broken")
    run = RosterRun.objects.get()
    assert run.edited
    assert not any(patient in s["members"] for s in run.solution["sessions"] if s["slot"] == slot)
    assert any(patient in s["members"] for s in run.solution["sessions"])
