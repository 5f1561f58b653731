"""The intake team's pages: who may see them, what they show, what they audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from middlepath.care.models import Patient
from middlepath.intake import services
from middlepath.intake.models import Inquiry, InquiryStatus
from middlepath.privacy.models import AuditAction, AuditEvent
from tests.intake.conftest import (
    BENEFITS_INSURED,
    SCREENING_IOP,
    contacted,
    screened,
    submit,
    verified,
)

QUEUE = reverse("intake:queue")
S = InquiryStatus


def detail_url(inquiry: Inquiry, name: str = "detail") -> str:
    return reverse(f"intake:{name}", args=[inquiry.pk])


def form_data(values: dict) -> dict:
    """Service-style values as a browser would post them."""
    data = {}
    for name, value in values.items():
        if isinstance(value, bool):
            data[name] = "yes" if value else "no"
        elif value is None:
            data[name] = ""
        else:
            data[name] = value
    return data


@pytest.mark.django_db
class TestQueue:
    def test_anonymous_is_sent_to_sign_in(self, client):
        response = client.get(QUEUE)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    @pytest.mark.parametrize(
        "persona", ["counselor", "case_manager", "physician", "biller", "no_role", "outsider"]
    )
    def test_other_roles_are_refused(self, login, staff, persona):
        assert login(getattr(staff, persona)).get(QUEUE).status_code == 403

    @pytest.mark.parametrize("persona", ["intake", "director", "admin"])
    def test_intake_directors_and_admins_see_it(self, login, staff, inquiry, persona):
        response = login(getattr(staff, persona)).get(QUEUE)
        assert response.status_code == 200
        assert b"Dana Whitfield" in response.content

    def test_new_requests_come_first_with_their_age(self, login, staff, clinic):
        older = submit(clinic.location, first_name="Older")
        Inquiry.objects.filter(pk=older.pk).update(
            received_at=timezone.now() - dt.timedelta(hours=2, minutes=5)
        )
        contacted(submit(clinic.location, first_name="Talking"), staff.intake)
        submit(clinic.location, first_name="Newest")
        response = login(staff.intake).get(QUEUE)
        names = [inquiry.first_name for inquiry in response.context["page"]]
        assert names == ["Older", "Newest", "Talking"]
        assert b"waiting 2 h" in response.content

    def test_inquiries_of_another_location_are_not_shown(self, login, staff, clinic):
        submit(clinic.other_location, first_name="Elsewhere")
        submit(None, first_name="Anywhere")
        intake_here = login(staff.intake).get(QUEUE)
        assert b"Elsewhere" not in intake_here.content
        assert b"Anywhere" in intake_here.content  # no preference: any site may take it
        assert b"Elsewhere" in login(staff.director).get(QUEUE).content

    def test_filters_by_status_and_location(self, login, staff, clinic):
        submit(clinic.location, first_name="Here")
        contacted(submit(clinic.location, first_name="Reached"), staff.intake)
        submit(clinic.other_location, first_name="There")
        client = login(staff.director)
        page = client.get(QUEUE, {"status": "contacted"}).context["page"]
        assert [i.first_name for i in page] == ["Reached"]
        page = client.get(QUEUE, {"location": clinic.other_location.pk}).context["page"]
        assert [i.first_name for i in page] == ["There"]

    def test_closed_and_admitted_leave_the_default_view(self, login, staff, inquiry):
        services.close_inquiry(inquiry=inquiry, by=staff.intake, reason="duplicate")
        client = login(staff.intake)
        assert b"Dana" not in client.get(QUEUE).content
        assert b"Dana" in client.get(QUEUE, {"status": "all"}).content

    def test_bad_filter_values_give_a_message(self, login, staff):
        response = login(staff.intake).get(QUEUE, {"status": "zzz", "location": "abc"})
        assert response.status_code == 200
        assert b"Check the filters" in response.content

    def test_htmx_gets_just_the_results(self, login, staff, inquiry):
        response = login(staff.intake).get(QUEUE, headers={"HX-Request": "true"})
        assert response.content.lstrip().startswith(b'<div id="results"')

    def test_it_is_audited_without_names(self, login, staff, inquiry):
        login(staff.intake).get(QUEUE)
        event = AuditEvent.objects.get(action=AuditAction.INQUIRY_LIST)
        assert event.data == {"results": 1, "page": 1}

    def test_query_count_does_not_grow_with_inquiries(
        self, login, staff, clinic, django_assert_max_num_queries
    ):
        client = login(staff.intake)
        for _ in range(3):
            contacted(submit(clinic.location, needs=str(_)), staff.intake)
        with django_assert_max_num_queries(20) as few:
            client.get(QUEUE)
        for number in range(20):
            inquiry = submit(clinic.location, needs=f"more {number}")
            services.log_contact(
                inquiry=inquiry, by=staff.intake, method="call", outcome="no_answer"
            )
        with django_assert_max_num_queries(len(few.captured_queries)):
            client.get(QUEUE)


@pytest.mark.django_db
class TestDetail:
    def test_it_shows_the_request_and_audits_the_view(self, login, staff, inquiry):
        response = login(staff.intake).get(detail_url(inquiry))
        assert response.status_code == 200
        assert b"Dana Whitfield" in response.content
        assert b"(555) 010-7788" in response.content
        assert AuditEvent.objects.filter(
            action=AuditAction.INQUIRY_VIEW, object_id=str(inquiry.pk), actor=staff.intake
        ).exists()

    @pytest.mark.parametrize(
        "name", ["detail", "edit", "screening", "benefits", "schedule", "admit", "close", "reopen"]
    )
    def test_every_page_that_shows_it_is_audited(self, login, staff, inquiry, name):
        assert login(staff.director).get(detail_url(inquiry, name)).status_code == 200
        assert AuditEvent.objects.filter(
            action=AuditAction.INQUIRY_VIEW, object_id=str(inquiry.pk), actor=staff.director
        ).exists()

    def test_another_locations_inquiry_is_not_found(self, login, staff, clinic):
        elsewhere = submit(clinic.other_location)
        response = login(staff.intake).get(detail_url(elsewhere))
        assert response.status_code == 404
        assert b"Whitfield" not in response.content

    @pytest.mark.parametrize("persona", ["counselor", "biller", "no_role"])
    def test_other_roles_are_refused(self, login, staff, inquiry, persona):
        assert login(getattr(staff, persona)).get(detail_url(inquiry)).status_code == 403

    def test_an_admin_reads_but_cannot_work_it(self, login, staff, inquiry):
        client = login(staff.admin)
        page = client.get(detail_url(inquiry))
        assert page.status_code == 200
        assert b"Log contact" not in page.content
        response = client.post(detail_url(inquiry, "contact"), {"method": "call"})
        assert response.status_code == 403

    def test_it_shows_the_suggestion_and_the_estimate(self, login, staff, inquiry):
        verified(inquiry, staff.intake)
        content = login(staff.intake).get(detail_url(inquiry)).content.decode()
        assert "Suggested level of care: Intensive outpatient" in content
        assert "not a diagnosis" in content
        assert "20% × $5,250.00 = $1,050.00" in content
        assert "$1,800.00" in content
        assert "Verification is free to the caller" in content

    def test_times_show_in_the_locations_time_zone(self, login, staff, clinic):
        clinic.location.time_zone = "America/Los_Angeles"
        clinic.location.save()
        inquiry = submit(clinic.location)
        Inquiry.objects.filter(pk=inquiry.pk).update(
            received_at=dt.datetime(2025, 1, 15, 11, 0, tzinfo=dt.UTC)
        )
        content = login(staff.intake).get(detail_url(inquiry)).content.decode()
        assert "Wed Jan 15, 2025, 3:00 AM (America/Los_Angeles)" in content

    def test_query_count_does_not_grow_with_history(
        self, login, staff, inquiry, django_assert_max_num_queries
    ):
        client = login(staff.intake)
        with django_assert_max_num_queries(25) as few:
            client.get(detail_url(inquiry))
        for _ in range(5):
            services.log_contact(
                inquiry=inquiry, by=staff.director, method="call", outcome="no_answer"
            )
        verified(inquiry, staff.intake)
        services.record_screening(inquiry=inquiry, by=staff.director, **SCREENING_IOP)
        with django_assert_max_num_queries(len(few.captured_queries) + 4):
            client.get(detail_url(inquiry))


@pytest.mark.django_db
class TestWorkingAnInquiry:
    def test_log_a_contact(self, login, staff, inquiry):
        client = login(staff.intake)
        response = client.post(
            detail_url(inquiry, "contact"), {"method": "call", "outcome": "reached", "note": "Hi"}
        )
        assert response.status_code == 302
        inquiry.refresh_from_db()
        assert inquiry.status == S.CONTACTED

    def test_a_refused_contact_shows_why_on_the_page(self, login, staff, clinic):
        inquiry = submit(clinic.location, ok_to_leave_message=False)
        response = login(staff.intake).post(
            detail_url(inquiry, "contact"), {"method": "call", "outcome": "left_message"}
        )
        assert response.status_code == 200
        assert b"no message be left" in response.content

    def test_contact_only_by_post(self, login, staff, inquiry):
        assert login(staff.intake).get(detail_url(inquiry, "contact")).status_code == 405

    def test_assign(self, login, staff, inquiry):
        response = login(staff.director).post(
            detail_url(inquiry, "assign"), {"assigned_to": staff.intake.pk}
        )
        assert response.status_code == 302
        inquiry.refresh_from_db()
        assert inquiry.assigned_to == staff.intake

    def test_screening_page_previews_the_suggestion_with_htmx(self, login, staff, inquiry):
        contacted(inquiry, staff.intake)
        client = login(staff.intake)
        data = {**form_data(SCREENING_IOP), "preview": "1"}
        response = client.post(
            detail_url(inquiry, "screening"), data, headers={"HX-Request": "true"}
        )
        assert response.content.lstrip().startswith(b'<div id="suggestion"')
        assert b"Intensive outpatient" in response.content
        assert not inquiry.screenings.exists()
        partial = client.post(
            detail_url(inquiry, "screening"),
            {"last_use": "day", "preview": "1"},
            headers={"HX-Request": "true"},
        )
        assert b"once every question is answered" in partial.content

    def test_screening_is_saved(self, login, staff, inquiry):
        contacted(inquiry, staff.intake)
        response = login(staff.intake).post(
            detail_url(inquiry, "screening"), form_data(SCREENING_IOP)
        )
        assert response.status_code == 302
        assert inquiry.screenings.get().recommended_level == "iop"

    def test_choosing_another_level_without_a_reason_is_explained(self, login, staff, inquiry):
        contacted(inquiry, staff.intake)
        response = login(staff.intake).post(
            detail_url(inquiry, "screening"),
            {**form_data(SCREENING_IOP), "chosen_level": "outpatient"},
        )
        assert response.status_code == 200
        assert b"Say why you chose a level" in response.content

    def test_an_unanswered_safety_question_is_not_a_no(self, login, staff, inquiry):
        contacted(inquiry, staff.intake)
        data = form_data(SCREENING_IOP)
        del data["safe_housing"]
        response = login(staff.intake).post(detail_url(inquiry, "screening"), data)
        assert response.status_code == 200
        assert not inquiry.screenings.exists()

    def test_benefits_page_previews_the_estimate_and_saves(self, login, staff, inquiry):
        screened(inquiry, staff.intake)
        client = login(staff.intake)
        data = {
            **{k: ("true" if v is True else v) for k, v in BENEFITS_INSURED.items()},
            "weeks": 8,
            "days_per_week": 3,
        }
        page = client.get(detail_url(inquiry, "benefits"))
        assert b"free to the caller" in page.content
        assert b'value="Acme Health"' in page.content  # from the inquiry
        preview = client.post(
            detail_url(inquiry, "benefits"),
            {**data, "preview": "1"},
            headers={"HX-Request": "true"},
        )
        assert b"$1,800.00" in preview.content
        response = client.post(detail_url(inquiry, "benefits"), data)
        assert response.status_code == 302
        inquiry.refresh_from_db()
        assert inquiry.status == S.BENEFITS_VERIFIED

    def test_admit_page_prefills_and_admits(self, login, staff, inquiry, clinic):
        verified(inquiry, staff.intake)
        client = login(staff.intake)
        page = client.get(detail_url(inquiry, "admit"))
        assert page.context["form"].initial["level_of_care"] == "2.1"
        assert page.context["form"].initial["first_name"] == "Dana"
        assert b"Override" not in page.content  # directors only
        response = client.post(
            detail_url(inquiry, "admit"),
            {
                "first_name": "Dana",
                "last_name": "Whitfield",
                "date_of_birth": "1988-03-14",
                "track": clinic.evening.pk,
                "phase": clinic.phases[0].pk,
                "level_of_care": "2.1",
                "admitted_on": clinic.location.today().isoformat(),
                "referral_source": "self",
                "primary_counselor": staff.counselor.pk,
            },
        )
        patient = Patient.objects.get()
        assert response["Location"] == reverse("intake:first_week", args=[inquiry.pk])
        chart = client.get(reverse("care:patient_detail", args=[patient.pk]))
        assert b"Dana Whitfield" in chart.content and patient.mrn.encode() in chart.content

    def test_admitting_too_early_shows_why(self, login, staff, inquiry, clinic):
        client = login(staff.intake)
        page = client.get(detail_url(inquiry, "admit"))
        assert b"screen the person first" in page.content
        response = client.post(
            detail_url(inquiry, "admit"),
            {
                "first_name": "Dana",
                "last_name": "Whitfield",
                "date_of_birth": "1988-03-14",
                "track": clinic.evening.pk,
                "phase": clinic.phases[0].pk,
                "level_of_care": "2.1",
                "admitted_on": clinic.location.today().isoformat(),
                "referral_source": "self",
            },
        )
        assert response.status_code == 200
        assert not Patient.objects.exists()

    def test_a_director_sees_the_override(self, login, staff, inquiry):
        assert b"Override" in login(staff.director).get(detail_url(inquiry, "admit")).content

    def test_schedule_close_and_reopen(self, login, staff, inquiry, clinic):
        verified(inquiry, staff.intake)
        client = login(staff.intake)
        on = (clinic.location.today() + dt.timedelta(days=2)).isoformat()
        assert client.post(detail_url(inquiry, "schedule"), {"on": on}).status_code == 302
        response = client.post(detail_url(inquiry, "close"), {"reason": "other"})
        assert b"Say why the inquiry is closed" in response.content
        client.post(detail_url(inquiry, "close"), {"reason": "declined", "note": "Not now."})
        inquiry.refresh_from_db()
        assert inquiry.status == S.CLOSED
        client.post(detail_url(inquiry, "reopen"), {"reason": "Called back."})
        inquiry.refresh_from_db()
        assert inquiry.status == S.NEW

    def test_staff_record_a_phone_inquiry(self, login, staff, clinic):
        response = login(staff.intake).post(
            reverse("intake:create"),
            {
                "first_name": "Lee",
                "phone": "555 010 1212",
                "best_time": "any",
                "ok_to_leave_message": "yes",
                "for_whom": "self",
                "schedule_preference": "day",
                "insurance": "medicaid",
                "location": clinic.location.pk,
                "date_of_birth": "1970-06-01",
            },
        )
        inquiry = Inquiry.objects.get()
        assert response["Location"] == detail_url(inquiry)
        assert (inquiry.source, inquiry.date_of_birth) == ("staff", dt.date(1970, 6, 1))

    def test_edit_details(self, login, staff, inquiry):
        client = login(staff.intake)
        page = client.get(detail_url(inquiry, "edit"))
        assert b'value="Dana"' in page.content
        data = {**page.context["form"].initial, "location": inquiry.location_id}
        data.update(email="dana@example.org", last_name="Whitfield-Ames")
        data = {k: ("" if v is None else v) for k, v in data.items()}
        assert client.post(detail_url(inquiry, "edit"), data).status_code == 302
        inquiry.refresh_from_db()
        assert (inquiry.email, inquiry.last_name) == ("dana@example.org", "Whitfield-Ames")

    @pytest.mark.parametrize(
        "name", ["edit", "screening", "benefits", "schedule", "admit", "close", "reopen"]
    )
    def test_read_only_roles_cannot_open_the_forms(self, login, staff, inquiry, name):
        assert login(staff.admin).get(detail_url(inquiry, name)).status_code == 403


@pytest.mark.django_db
class TestDashboardCounts:
    def test_the_dashboard_counts_open_inquiries_by_status(self, login, staff, clinic):
        submit(clinic.location, first_name="A")
        submit(None, first_name="B")
        contacted(submit(clinic.location, first_name="C"), staff.intake)
        submit(clinic.other_location, first_name="D")
        response = login(staff.intake).get(reverse("dashboard"))
        counts = {row["status"]: row["count"] for row in response.context["inquiry_counts"]}
        assert counts == {
            "new": 2,
            "contacted": 1,
            "screened": 0,
            "benefits_verified": 0,
            "admission_scheduled": 0,
        }
        assert b"Open inquiries" in response.content

    def test_roles_without_the_queue_see_no_counts(self, login, staff, inquiry):
        response = login(staff.no_role).get(reverse("dashboard"))
        assert response.context["inquiry_counts"] is None
        assert b"Open inquiries" not in response.content

    def test_the_nav_links_the_queue_for_its_roles_only(self, login, staff):
        assert b'href="/intake/"' in login(staff.intake).get(reverse("dashboard")).content
        assert b'href="/intake/"' not in login(staff.no_role).get(reverse("dashboard")).content

    def test_an_admitted_patient_leaves_the_counts(self, login, staff, inquiry, clinic):
        verified(inquiry, staff.intake)
        before = login(staff.intake).get(reverse("dashboard")).context["inquiry_counts"]
        assert sum(row["count"] for row in before) == 1
        services.admit_inquiry(
            inquiry=inquiry,
            by=staff.intake,
            first_name="Dana",
            last_name="Whitfield",
            date_of_birth=dt.date(1988, 3, 14),
            track=clinic.evening,
            phase=clinic.phases[0],
            admitted_on=clinic.location.today(),
            referral_source="self",
            level_of_care="2.1",
        )
        counts = login(staff.intake).get(reverse("dashboard")).context["inquiry_counts"]
        assert sum(row["count"] for row in counts) == 0
