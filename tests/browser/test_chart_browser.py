from __future__ import annotations

import pytest
from playwright.sync_api import expect

from middlepath.accounts.roles import Role
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def counselor_with_patients(clinic):
    counselor = factories.make_staff(
        Role.COUNSELOR,
        clinic.location,
        username="maria",
        first_name="Maria",
        last_name="Lopez",
        credentials="LCSW",
    )
    rosa = factories.make_patient(
        clinic.location,
        first_name="Rosa",
        last_name="Delgado",
        preferred_name="Ro",
        phone="(555) 010-2345",
    )
    factories.admit(rosa, clinic.evening, clinic.phases[0], primary_counselor=counselor)
    for _ in range(30):
        factories.admit(factories.make_patient(clinic.location), clinic.day, clinic.phases[1])
    return counselor, rosa


def _sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/")


def test_a_counselor_signs_in_searches_and_opens_the_chart(
    page, screenshot, counselor_with_patients
):
    _, rosa = counselor_with_patients
    _sign_in(page, "maria")
    expect(page.get_by_role("heading", name="Dashboard: Riverside")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Evening track")).to_be_visible()
    screenshot("dashboard")

    page.get_by_role("link", name="Patients").click()
    results = page.locator("#results")
    expect(results).to_contain_text("31 patients, page 1 of 2.")
    page.get_by_label("Search").fill("delg")
    # htmx swaps the results in place as the user types.
    expect(results).to_contain_text("1 patient.")
    expect(results.get_by_role("link")).to_have_count(1)
    assert "delg" not in page.url.lower()
    screenshot("search")

    page.get_by_role("link", name="Delgado, Rosa").click()
    expect(page.get_by_role("heading", name="Ro Delgado")).to_be_visible()
    expect(page.get_by_text(rosa.mrn)).to_be_visible()
    expect(page.get_by_text("Maria Lopez, LCSW")).to_be_visible()
    expect(page.get_by_role("heading", name="History of care")).to_be_visible()
    screenshot("chart")


def test_a_wrong_password_explains_itself(page, staff):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("counselor")
    page.get_by_label("Password").fill("not it")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("do not match")).to_be_visible()


def test_the_keyboard_reaches_the_content_first(page, staff):
    _sign_in(page, "counselor")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
