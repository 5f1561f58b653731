"""Dates and record ids typed into forms and links: the program's own range, never a 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from middlepath.web.converters import record_id
from middlepath.web.forms import EARLIEST_DATE, LATEST_DATE, DateField, date_from_query
from tests import factories

# Where Python's dates end: a week or a day either side of them is no date.
CALENDAR_ENDS = ("0001-01-01", "0001-01-07", "9999-12-27", "9999-12-31")


class _OneDate(forms.Form):
    day = DateField()


class TestDateField:
    @pytest.mark.parametrize("typed", [*CALENDAR_ENDS, "1899-12-31", "2200-01-01", "0206-12-07"])
    def test_a_date_outside_the_programs_years_is_refused_with_a_message(self, typed):
        form = _OneDate({"day": typed})
        assert not form.is_valid()
        assert form.errors["day"] == ["Enter a date between 1900 and 2199."]

    @pytest.mark.parametrize("typed", ["1900-01-01", "2026-12-07", "2199-12-31"])
    def test_a_date_within_them_is_kept(self, typed):
        form = _OneDate({"day": typed})
        assert form.is_valid()
        assert form.cleaned_data["day"] == dt.date.fromisoformat(typed)

    def test_the_date_picker_offers_only_those_years(self):
        html = str(_OneDate()["day"])
        assert 'type="date"' in html
        assert 'min="1900-01-01"' in html and 'max="2199-12-31"' in html


class TestDateFromQuery:
    @pytest.mark.parametrize("text", [None, "", "next week", "2026-02-30", *CALENDAR_ENDS])
    def test_no_date_or_one_outside_the_programs_years_is_none(self, text):
        assert date_from_query(text) is None

    @given(st.dates())
    def test_any_date_is_itself_within_the_years_and_none_outside(self, day):
        expected = day if EARLIEST_DATE <= day <= LATEST_DATE else None
        assert date_from_query(day.isoformat()) == expected


class TestRecordId:
    @pytest.mark.parametrize("text", [None, "", "abc", "-1", "1.5", " 7", "²", "٣", "9" * 19])
    def test_text_that_cannot_be_a_record_id_is_none(self, text):
        assert record_id(text) is None

    @given(st.text())
    def test_any_text_gives_none_or_an_id_the_database_can_hold(self, text):
        found = record_id(text)
        assert found is None or (text.isascii() and int(text) == found < 10**18)

    def test_up_to_eighteen_digits_is_an_id(self):
        assert record_id("42") == 42
        assert record_id("9" * 18) == 10**18 - 1


@pytest.mark.django_db
class TestPagesWithADateAtTheCalendarsEnd:
    """A link edited by hand to a date where a week's arithmetic would fail shows the page
    for the usual week or day instead."""

    @pytest.mark.parametrize("typed", CALENDAR_ENDS)
    def test_staff_pages(self, login, staff, clinic, typed):
        patient = factories.make_patient(clinic.location)
        client = login(staff.director)
        pages = [
            (reverse("sessions:schedule"), {"date": typed}),
            (reverse("reports:compliance"), {"week": typed}),
            (reverse("roster:my_schedule"), {"week": typed}),
            (reverse("roster:patient_schedule", args=[patient.pk]), {"week": typed}),
            (reverse("roster:roster"), {"week": typed}),
        ]
        for url, query in pages:
            response = client.get(url, query)
            assert response.status_code == 200, url


@pytest.mark.django_db
class TestNumbersBeyondTheDatabase:
    def test_an_absurd_id_among_a_forms_choices_is_a_bad_request(self, login, staff):
        # Set-up's user form checks its choices in the database itself: SQLite's driver
        # overflows on the id, PostgreSQL finds no such location; neither is a 500.
        url = reverse("admin:accounts_user_change", args=[staff.counselor.pk])
        response = login(staff.admin).post(url, {"locations": ["9" * 30]})
        assert response.status_code in (200, 400)
        if response.status_code == 400:
            assert b"could not be understood" in response.content
