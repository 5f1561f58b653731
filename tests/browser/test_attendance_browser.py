from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from middlepath.sessions import services
from middlepath.sessions.models import Attendance, CheckIn, Homework, Note
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def full_group(clinic, staff):
    """Today's session of an evening group of fifteen."""
    today = clinic.location.today()
    group = factories.make_group(
        clinic.evening, staff.counselor, name="Evening skills", meeting_days=[1, 2, 3, 4, 5, 6, 7]
    )
    members = []
    for number in range(15):
        patient = factories.enrolled_patient(
            clinic.evening,
            clinic.phases[1],
            first_name=f"Pat{factories.letters(number)}",
            last_name="Member",
        )
        services.add_member(
            group=group, patient=patient, by=staff.counselor, joined_on=today - dt.timedelta(days=7)
        )
        members.append(patient)
    services.generate_sessions(group=group, by=staff.counselor, first=today, last=today)
    return group, members, group.sessions.get()


def test_a_counselor_takes_attendance_for_fifteen_and_writes_the_note(
    page, screenshot, staff, full_group
):
    _group, members, session = full_group
    page.set_viewport_size({"width": 1024, "height": 1366})  # a tablet held upright
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("counselor")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Schedule").click()
    page.get_by_role("link", name="Evening skills").click()
    expect(page.get_by_role("heading", name="Attendance (15 expected)")).to_be_visible()

    rows = page.locator("form.att-row")
    expect(rows).to_have_count(15)
    # Each tap saves its row in place, without reloading the page.
    page.evaluate("window.__same_page = true")
    for index in range(13):
        rows.nth(index).locator("label.segment-present").click()
        expect(rows.nth(index).get_by_role("status")).to_have_text("saved")
    late = rows.nth(13)
    late.locator("label.segment-late").click()
    late.get_by_label("Minutes attended (of 90)").fill("70")
    late.get_by_label("Minutes attended (of 90)").press("Tab")
    expect(late.get_by_role("status")).to_have_text("saved")
    rows.nth(14).locator("label.segment-absent_unexcused").click()
    expect(rows.nth(14).get_by_role("status")).to_have_text("saved")
    assert page.evaluate("window.__same_page") is True
    screenshot("attendance")
    assert Attendance.objects.filter(session=session).count() == 15
    assert Attendance.objects.get(session=session, patient=members[13]).minutes == 70

    page.get_by_role("link", name="Write the note").click()
    check_ins = page.get_by_role("group", name="1. Check-in: each present member's current issue")
    boxes = check_ins.get_by_role("textbox")
    expect(boxes).to_have_count(14)
    for index in range(14):
        boxes.nth(index).fill(f"Issue of member {index}")
    page.get_by_label("…or in your words").fill("Saying no at work parties")
    page.get_by_label("Summary").fill("Role-played refusals; everyone practised once.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()

    page.get_by_role("textbox", name="Homework").fill("Write your refusal script")
    page.get_by_role("button", name="Assign homework").click()
    expect(page.get_by_text("Homework assigned.")).to_be_visible()
    page.get_by_role("button", name="Sign and lock").click()
    expect(page.get_by_text("Note signed.")).to_be_visible()
    screenshot("note")

    note = Note.objects.get(session=session)
    assert note.is_locked
    assert CheckIn.objects.filter(note=note).count() == 14
    assert Homework.objects.filter(session=session).count() == 14

    page.goto(f"/patients/{members[0].pk}/")
    expect(page.get_by_text("This week: 90 of 540 minutes")).to_be_visible()
    expect(page.get_by_text("Issue of member 0")).to_be_visible()
    expect(page.get_by_text("Issue of member 1")).to_have_count(0)
    screenshot("chart")
