"""From a request for help at 3 a.m. to an admitted patient, in a real browser."""

from __future__ import annotations

import re

import pytest
from django.core.cache import caches
from playwright.sync_api import expect

from middlepath.care.models import Patient
from middlepath.intake.models import Inquiry
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1280, "height": 800}
TABLET = {"width": 820, "height": 1180}


@pytest.fixture(autouse=True)
def _no_submissions_counted():
    """The rate limits count in a database cache that a transactional test does not roll back."""
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


def _sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label(_label("Username")).fill(username)
    page.get_by_label(_label("Password")).fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/")


def _label(text: str) -> re.Pattern[str]:
    """A field's label exactly, with or without Django's ':' suffix."""
    return re.compile(rf"^{re.escape(text)}:?$")


def _choose(page, question: str, answer: str) -> None:
    page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()


def test_a_request_at_night_becomes_an_admitted_patient(page, screenshot, staff, clinic):
    # Night: someone asks for help, without an account.
    page.set_viewport_size(LAPTOP)
    page.goto("/")
    page.get_by_role("link", name="Ask for a free, confidential consultation").click()
    expect(
        page.get_by_role("heading", name="Ask for a free, confidential consultation")
    ).to_be_visible()
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_text("Please check the fields marked below")).to_be_visible()
    screenshot("consultation-errors")

    page.get_by_label(_label("First name")).fill("Rosa")
    page.get_by_label(_label("Last name")).fill("Delgado")
    page.get_by_label(_label("Phone")).fill("(555) 010-2345")
    _choose(page, "May we leave a message that mentions the program?", "No")
    page.get_by_label(_label("What would help?")).fill(
        "I drink every night and want to stop. I work days."
    )
    page.get_by_label(_label("Preferred location")).select_option(label="Riverside")
    _choose(page, "Schedule", "Evenings")
    _choose(page, "Insurance", "Private insurance (through work or bought myself)")
    page.get_by_label(_label("Insurance company")).fill("Acme Health")
    page.get_by_label(_label("Member ID")).fill("XJ123456")
    screenshot("consultation-filled")
    page.set_viewport_size(TABLET)
    screenshot("consultation-tablet")
    page.set_viewport_size(LAPTOP)
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", name="Thank you: your request is in")).to_be_visible()
    assert "rosa" not in page.url.lower() and "delgado" not in page.url.lower()
    assert Inquiry.objects.count() == 1
    screenshot("consultation-thanks")

    # Morning: the intake coordinator works it through.
    _sign_in(page, "intake")
    expect(page.get_by_role("heading", name="Open inquiries")).to_be_visible()
    screenshot("dashboard")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inquiries").click()
    row = page.get_by_role("row", name=re.compile("Rosa Delgado"))
    expect(row).to_contain_text("waiting")
    screenshot("queue")
    row.get_by_role("link", name="Rosa Delgado").click()
    expect(page.get_by_role("heading", name=re.compile("Rosa Delgado"))).to_be_visible()
    expect(page.get_by_text("no messages: speak only to them")).to_be_visible()

    form = page.get_by_role("form", name="Log a contact")
    form.get_by_label("Call", exact=True).check()
    form.get_by_label(_label("Outcome")).select_option(label="Reached them")
    form.get_by_label(_label("Note")).fill("Talked for 20 minutes; screened on the call.")
    form.get_by_role("button", name="Log contact").click()
    expect(page.get_by_text("Contact logged.")).to_be_visible()

    page.get_by_role("link", name="Screen", exact=True).click()
    page.get_by_role("group", name="Substances").get_by_label("Alcohol", exact=True).check()
    _choose(page, "Most recent use", "In the last 24 hours")
    _choose(page, "Withdrawal risk", "Mild symptoms (shaky, sweaty, poor sleep)")
    _choose(page, "Medical concerns", "None")
    _choose(page, "Mental-health concerns", "Yes, stable or being treated")
    _choose(page, "Thoughts of suicide", "No")
    _choose(page, "Has a safe, stable place to live?", "Yes")
    _choose(page, "Does anyone at home drink heavily or use drugs?", "No")
    _choose(page, "Sober support network", "Could build one (family, mutual-help groups)")
    _choose(page, "Has work, school or family obligations to keep?", "Yes")
    _choose(page, "Readiness", "Wants to start treatment")
    _choose(page, "Stepping down from inpatient or residential care", "No")
    suggestion = page.locator("#suggestion")
    expect(suggestion).to_contain_text("Suggested level of care: Intensive outpatient")
    expect(suggestion).to_contain_text("not a diagnosis")
    screenshot("screening")
    page.get_by_role("button", name="Save the screening").click()
    expect(page.get_by_text("Screening saved.")).to_be_visible()

    page.get_by_role("link", name="Verify benefits", exact=True).click()
    expect(page.get_by_text("free to the caller")).to_be_visible()
    page.get_by_label(_label("Payer type")).select_option(label="Commercial (private)")
    expect(page.get_by_label(_label("Payer name"))).to_have_value("Acme Health")
    _choose(page, "In network", "Yes")
    _choose(page, "IOP covered", "Yes")
    _choose(page, "Prior authorization needed", "No")
    page.get_by_label(_label("Deductible")).fill("1000")
    page.get_by_label(_label("Deductible met so far")).fill("250")
    page.get_by_label(_label("Coinsurance (%)")).fill("20")
    page.get_by_label(_label("Out-of-pocket maximum")).fill("4000")
    page.get_by_label(_label("Amount per IOP day")).fill("250")
    estimate = page.locator("#estimate")
    expect(estimate).to_contain_text("20% × $5,250.00 = $1,050.00")
    expect(estimate).to_contain_text("$1,800.00")
    screenshot("benefits")
    page.get_by_role("button", name="Save the verification").click()
    expect(page.get_by_text("Benefits verification saved.")).to_be_visible()
    page.set_viewport_size(TABLET)
    screenshot("inquiry-tablet")
    page.set_viewport_size(LAPTOP)
    screenshot("inquiry")

    page.get_by_role("link", name="Admit", exact=True).click()
    expect(page.get_by_label(_label("First name"))).to_have_value("Rosa")
    expect(page.get_by_label(_label("Level of care"))).to_have_value("2.1")
    page.get_by_label(_label("Date of birth")).fill("1988-03-14")
    page.get_by_label(_label("Primary counselor")).select_option(label=str(staff.counselor))
    screenshot("admit")
    page.get_by_role("button", name="Admit").click()

    patient = Patient.objects.get()
    expect(page.get_by_role("heading", name="Rosa Delgado")).to_be_visible()
    expect(page.get_by_text(f"MRN {patient.mrn}").first).to_be_visible()
    expect(page.get_by_text("Evening track").first).to_be_visible()
    screenshot("chart")
    inquiry = Inquiry.objects.get()
    assert (inquiry.status, inquiry.patient_id) == ("admitted", patient.pk)
