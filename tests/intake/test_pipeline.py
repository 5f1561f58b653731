"""The intake pipeline's services: each step, each refusal, each row and audit entry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from middlepath.intake import services
from middlepath.intake.models import (
    ContactAttempt,
    Inquiry,
    InquiryStatus,
    InquiryStatusChange,
    Screening,
)
from middlepath.privacy.models import AuditAction, AuditEvent
from tests.intake.conftest import (
    BENEFITS_INSURED,
    BENEFITS_SELF_PAY,
    SCREENING_IOP,
    SCREENING_RESIDENTIAL,
    contacted,
    screened,
    submit,
    verified,
)

S = InquiryStatus


def statuses(inquiry: Inquiry) -> list[tuple[str, str]]:
    return list(
        InquiryStatusChange.objects.filter(inquiry=inquiry).values_list("from_status", "to_status")
    )


@pytest.mark.django_db
class TestSubmitInquiry:
    def test_it_queues_the_request_as_new_with_its_first_row(self, clinic):
        inquiry = submit(clinic.location)
        assert inquiry.status == S.NEW
        assert statuses(inquiry) == [("", "new")]
        event = AuditEvent.objects.get(action=AuditAction.INQUIRY_CREATE)
        assert event.actor is None
        assert event.data == {"source": "web_form", "location_id": clinic.location.pk}

    def test_the_same_request_twice_is_one_inquiry(self, clinic):
        first = submit(clinic.location)
        again = submit(clinic.location)
        assert again.pk == first.pk
        assert Inquiry.objects.count() == 1

    def test_a_different_request_is_another_inquiry(self, clinic):
        submit(clinic.location)
        submit(clinic.location, needs="Evening groups, please.")
        assert Inquiry.objects.count() == 2

    def test_it_needs_a_way_to_reach_the_person(self, clinic):
        with pytest.raises(ValidationError, match="phone number or an email"):
            submit(clinic.location, phone="", email="")
        assert not Inquiry.objects.exists()

    def test_the_database_refuses_one_without_a_way_to_reach(self, clinic):
        with pytest.raises(IntegrityError), transaction.atomic():
            Inquiry.objects.create(first_name="A", phone="", email="")

    def test_it_emails_the_locations_intake_address_without_phi(
        self, clinic, mailoutbox, django_capture_on_commit_callbacks
    ):
        clinic.location.intake_email = "intake@riverside.example"
        clinic.location.save()
        with django_capture_on_commit_callbacks(execute=True):
            inquiry = submit(clinic.location, needs="I drink every night", email="dana@example.org")
        assert len(mailoutbox) == 1
        mail = mailoutbox[0]
        assert mail.to == ["intake@riverside.example"]
        assert f"/intake/{inquiry.pk}/" in mail.body
        for phi in ("Dana", "Whitfield", "010-7788", "dana@example.org", "drink"):
            assert phi not in mail.body and phi not in mail.subject

    def test_with_no_preferred_location_every_site_is_told(
        self, clinic, mailoutbox, django_capture_on_commit_callbacks
    ):
        clinic.location.intake_email = "a@example.org"
        clinic.location.save()
        clinic.other_location.intake_email = "b@example.org"
        clinic.other_location.save()
        with django_capture_on_commit_callbacks(execute=True):
            submit(None)
        assert sorted(mailoutbox[0].to) == ["a@example.org", "b@example.org"]

    def test_a_mail_failure_keeps_the_request(
        self, clinic, monkeypatch, django_capture_on_commit_callbacks
    ):
        clinic.location.intake_email = "a@example.org"
        clinic.location.save()

        def broken(*args, **kwargs):
            raise ConnectionRefusedError

        monkeypatch.setattr(services, "send_mail", broken)
        with django_capture_on_commit_callbacks(execute=True):
            submit(clinic.location)
        assert Inquiry.objects.count() == 1


@pytest.mark.django_db
class TestTransitionsTable:
    @pytest.mark.parametrize(
        ("start", "target", "allowed"),
        [
            (S.NEW, S.CONTACTED, True),
            (S.NEW, S.SCREENED, False),
            (S.NEW, S.ADMITTED, False),
            (S.CONTACTED, S.SCREENED, True),
            (S.CONTACTED, S.ADMITTED, False),
            (S.CONTACTED, S.BENEFITS_VERIFIED, False),
            (S.SCREENED, S.BENEFITS_VERIFIED, True),
            (S.BENEFITS_VERIFIED, S.ADMISSION_SCHEDULED, True),
            (S.BENEFITS_VERIFIED, S.ADMITTED, True),
            (S.ADMISSION_SCHEDULED, S.ADMITTED, True),
            (S.ADMITTED, S.CLOSED, False),
            (S.CLOSED, S.NEW, True),
            (S.CLOSED, S.ADMITTED, False),
        ],
    )
    def test_the_declared_moves(self, start, target, allowed):
        inquiry = Inquiry(status=start, insurance="private")
        assert (inquiry.transition_problem(target) is None) is allowed

    @pytest.mark.parametrize("target", [S.ADMISSION_SCHEDULED, S.ADMITTED])
    def test_only_self_pay_skips_benefits_verification(self, target):
        assert Inquiry(status=S.SCREENED, insurance="none").transition_problem(target) is None
        for insurance in ("private", "medicaid", "medicare", "unsure"):
            problem = Inquiry(status=S.SCREENED, insurance=insurance).transition_problem(target)
            assert "Verify benefits first" in problem

    def test_skipping_screening_says_what_to_do(self):
        problem = Inquiry(status=S.NEW).transition_problem(S.ADMITTED)
        assert problem.endswith("record a contact and screen the person first.")

    @pytest.mark.parametrize("start", [S.NEW, S.CONTACTED, S.SCREENED])
    def test_an_override_allows_scheduling_or_admitting_an_open_inquiry(self, start):
        inquiry = Inquiry(status=start, insurance="private")
        assert inquiry.transition_problem(S.ADMITTED, override=True) is None
        assert inquiry.transition_problem(S.ADMISSION_SCHEDULED, override=True) is None

    def test_no_override_reopens_the_end_of_the_pipeline(self):
        assert Inquiry(status=S.ADMITTED).transition_problem(S.NEW, override=True)
        assert Inquiry(status=S.CLOSED).transition_problem(S.ADMITTED, override=True)


@pytest.mark.django_db
class TestLogContact:
    def test_reaching_them_moves_a_new_inquiry_to_contacted(self, inquiry, staff):
        services.log_contact(inquiry=inquiry, by=staff.intake, method="call", outcome="reached")
        inquiry.refresh_from_db()
        assert inquiry.status == S.CONTACTED
        assert statuses(inquiry)[-1] == ("new", "contacted")
        event = AuditEvent.objects.get(action=AuditAction.INQUIRY_CONTACT)
        assert event.data["outcome"] == "reached"

    def test_an_unanswered_call_is_logged_and_changes_nothing_else(self, inquiry, staff):
        services.log_contact(inquiry=inquiry, by=staff.intake, method="call", outcome="no_answer")
        inquiry.refresh_from_db()
        assert inquiry.status == S.NEW
        assert ContactAttempt.objects.filter(inquiry=inquiry).count() == 1

    def test_the_first_to_work_it_handles_it(self, inquiry, staff):
        services.log_contact(inquiry=inquiry, by=staff.intake, method="call", outcome="no_answer")
        inquiry.refresh_from_db()
        assert inquiry.assigned_to == staff.intake

    def test_no_message_when_they_asked_for_none(self, clinic, staff):
        inquiry = submit(clinic.location, ok_to_leave_message=False)
        with pytest.raises(ValidationError, match="no message be left"):
            services.log_contact(
                inquiry=inquiry, by=staff.intake, method="call", outcome="left_message"
            )
        assert not ContactAttempt.objects.exists()

    def test_an_email_needs_an_address(self, inquiry, staff):
        with pytest.raises(ValidationError, match="no email address"):
            services.log_contact(
                inquiry=inquiry, by=staff.intake, method="email", outcome="reached"
            )

    def test_not_ahead_of_time(self, inquiry, staff):
        with pytest.raises(ValidationError, match="ahead of time"):
            services.log_contact(
                inquiry=inquiry,
                by=staff.intake,
                method="call",
                outcome="reached",
                attempted_at=timezone.now() + dt.timedelta(hours=2),
            )

    def test_not_on_a_closed_inquiry(self, inquiry, staff):
        services.close_inquiry(inquiry=inquiry, by=staff.intake, reason="duplicate")
        with pytest.raises(ValidationError, match="reopen it") as caught:
            services.log_contact(inquiry=inquiry, by=staff.intake, method="call", outcome="reached")
        assert caught.value.error_list[0].code == "conflict"


@pytest.mark.django_db
class TestRecordScreening:
    def test_it_needs_a_conversation_first(self, inquiry, staff):
        with pytest.raises(ValidationError, match="Log a contact first"):
            services.record_screening(inquiry=inquiry, by=staff.intake, **SCREENING_IOP)

    def test_it_stores_the_suggestion_and_moves_on(self, inquiry, staff):
        contacted(inquiry, staff.intake)
        screening = services.record_screening(inquiry=inquiry, by=staff.intake, **SCREENING_IOP)
        assert screening.recommended_level == "iop" == screening.chosen_level
        assert [r["code"] for r in screening.reasons][:2] == ["recent_use", "psychiatric_stable"]
        inquiry.refresh_from_db()
        assert inquiry.status == S.SCREENED
        event = AuditEvent.objects.get(action=AuditAction.INQUIRY_SCREEN)
        assert event.data == {"screening_id": screening.pk, "overridden": False}

    def test_choosing_another_level_needs_a_reason(self, inquiry, staff):
        contacted(inquiry, staff.intake)
        with pytest.raises(ValidationError, match="Say why"):
            services.record_screening(
                inquiry=inquiry, by=staff.intake, chosen_level="outpatient", **SCREENING_IOP
            )
        screening = services.record_screening(
            inquiry=inquiry,
            by=staff.intake,
            chosen_level="outpatient",
            override_reason="Works nights; the clinician agreed on weekly sessions.",
            **SCREENING_IOP,
        )
        assert screening.is_overridden
        assert screening.episode_level == "1"

    def test_bad_answers_are_refused_by_field(self, inquiry, staff):
        contacted(inquiry, staff.intake)
        with pytest.raises(ValidationError) as caught:
            services.record_screening(
                inquiry=inquiry,
                by=staff.intake,
                **{**SCREENING_IOP, "withdrawal": "terrible", "substances": ["glue"]},
            )
        assert set(caught.value.message_dict) >= {"withdrawal"}
        assert not Screening.objects.exists()

    def test_screening_again_keeps_the_status_and_the_history(self, inquiry, staff):
        screened(inquiry, staff.intake)
        services.record_screening(inquiry=inquiry, by=staff.intake, **SCREENING_RESIDENTIAL)
        inquiry.refresh_from_db()
        assert inquiry.status == S.SCREENED
        assert inquiry.screenings.count() == 2


@pytest.mark.django_db
class TestRecordBenefits:
    def test_it_comes_after_screening(self, inquiry, staff):
        contacted(inquiry, staff.intake)
        with pytest.raises(ValidationError, match="Screen the person first"):
            services.record_benefits(inquiry=inquiry, by=staff.intake, **BENEFITS_INSURED)

    def test_it_records_the_checklist_and_moves_on(self, inquiry, staff):
        screened(inquiry, staff.intake)
        verification = services.record_benefits(
            inquiry=inquiry, by=staff.intake, **BENEFITS_INSURED
        )
        inquiry.refresh_from_db()
        assert inquiry.status == S.BENEFITS_VERIFIED
        assert (inquiry.payer_name, inquiry.member_id) == ("Acme Health", "XJ123456")
        estimate = verification.estimate()
        # $6,000 allowed; $750 deductible left; 20% of $5,250; under the $3,500 left.
        assert estimate.patient_pays == Decimal("1800.00")
        assert verification.auth_shortfall() == 12

    def test_an_insurance_check_must_say_whether_iop_is_covered(self, inquiry, staff):
        screened(inquiry, staff.intake)
        with pytest.raises(ValidationError) as caught:
            services.record_benefits(
                inquiry=inquiry, by=staff.intake, **{**BENEFITS_INSURED, "iop_covered": None}
            )
        assert "iop_covered" in caught.value.message_dict

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"copay_per_day": Decimal("30")}, "copay_per_day"),
            ({"deductible_met": Decimal("2000")}, "deductible_met"),
            ({"out_of_pocket_met": Decimal("9000")}, "out_of_pocket_met"),
            ({"member_id": ""}, "member_id"),
            ({"coinsurance_percent": Decimal("120")}, "coinsurance_percent"),
            ({"day_rate": Decimal("0")}, "day_rate"),
        ],
    )
    def test_inconsistent_figures_are_refused(self, inquiry, staff, changes, field):
        screened(inquiry, staff.intake)
        with pytest.raises(ValidationError) as caught:
            services.record_benefits(
                inquiry=inquiry, by=staff.intake, **{**BENEFITS_INSURED, **changes}
            )
        assert field in caught.value.message_dict

    def test_a_self_pay_plan_drops_insurance_figures(self, inquiry, staff):
        screened(inquiry, staff.intake)
        verification = services.record_benefits(
            inquiry=inquiry,
            by=staff.intake,
            **{**BENEFITS_SELF_PAY, "payer_name": "Left over", "deductible": Decimal("10")},
        )
        assert (verification.payer_name, verification.deductible) == ("", None)
        inquiry.refresh_from_db()
        assert inquiry.insurance == "none"
        assert "12 payments of $300.00 weekly" in verification.estimate().notes[0]

    def test_a_payment_plan_needs_amount_and_frequency(self, inquiry, staff):
        screened(inquiry, staff.intake)
        with pytest.raises(ValidationError) as caught:
            services.record_benefits(
                inquiry=inquiry,
                by=staff.intake,
                **{**BENEFITS_SELF_PAY, "plan_amount": None, "plan_frequency": ""},
            )
        assert set(caught.value.message_dict) == {"plan_amount", "plan_frequency"}


@pytest.mark.django_db
class TestScheduleAdmission:
    def test_after_verification(self, inquiry, staff, clinic):
        verified(inquiry, staff.intake)
        on = clinic.location.today() + dt.timedelta(days=3)
        services.schedule_admission(inquiry=inquiry, by=staff.intake, on=on)
        inquiry.refresh_from_db()
        assert (inquiry.status, inquiry.admission_scheduled_for) == (S.ADMISSION_SCHEDULED, on)

    def test_self_pay_skips_verification(self, clinic, staff):
        inquiry = submit(clinic.location, insurance="none", payer_name="")
        screened(inquiry, staff.intake)
        services.schedule_admission(inquiry=inquiry, by=staff.intake, on=clinic.location.today())
        inquiry.refresh_from_db()
        assert inquiry.status == S.ADMISSION_SCHEDULED

    def test_insured_without_verification_is_refused(self, inquiry, staff, clinic):
        screened(inquiry, staff.intake)
        with pytest.raises(ValidationError, match="Verify benefits first"):
            services.schedule_admission(
                inquiry=inquiry, by=staff.intake, on=clinic.location.today()
            )

    def test_a_coordinator_cannot_override(self, inquiry, staff, clinic):
        with pytest.raises(ValidationError, match="Only a program director"):
            services.schedule_admission(
                inquiry=inquiry,
                by=staff.intake,
                on=clinic.location.today(),
                override_reason="In a hurry",
            )

    def test_a_director_overrides_with_a_reason(self, inquiry, staff, clinic):
        services.schedule_admission(
            inquiry=inquiry,
            by=staff.director,
            on=clinic.location.today(),
            override_reason="Step-down from St. Mary's detox with their assessment.",
        )
        change = InquiryStatusChange.objects.filter(inquiry=inquiry).last()
        assert change.overridden and change.to_status == S.ADMISSION_SCHEDULED
        assert "St. Mary" in change.reason

    def test_rescheduling_moves_the_date_only(self, inquiry, staff, clinic):
        verified(inquiry, staff.intake)
        today = clinic.location.today()
        services.schedule_admission(inquiry=inquiry, by=staff.intake, on=today)
        rows = len(statuses(inquiry))
        services.schedule_admission(
            inquiry=inquiry, by=staff.intake, on=today + dt.timedelta(days=2)
        )
        assert len(statuses(inquiry)) == rows

    @pytest.mark.parametrize("days", [-1, 61])
    def test_dates_must_make_sense(self, inquiry, staff, clinic, days):
        verified(inquiry, staff.intake)
        with pytest.raises(ValidationError):
            services.schedule_admission(
                inquiry=inquiry,
                by=staff.intake,
                on=clinic.location.today() + dt.timedelta(days=days),
            )


@pytest.mark.django_db
class TestCloseAndReopen:
    def test_closing_needs_a_reason_and_records_it(self, inquiry, staff):
        services.close_inquiry(
            inquiry=inquiry, by=staff.intake, reason="referred_elsewhere", note="To Lakeside"
        )
        inquiry.refresh_from_db()
        assert (inquiry.status, inquiry.close_reason) == (S.CLOSED, "referred_elsewhere")
        assert InquiryStatusChange.objects.filter(inquiry=inquiry).last().reason == "To Lakeside"

    def test_other_needs_a_note(self, inquiry, staff):
        with pytest.raises(ValidationError, match="Say why"):
            services.close_inquiry(inquiry=inquiry, by=staff.intake, reason="other")

    def test_an_unknown_reason_is_refused(self, inquiry, staff):
        with pytest.raises(ValidationError, match="Pick why"):
            services.close_inquiry(inquiry=inquiry, by=staff.intake, reason="bored")

    def test_closing_twice_is_a_conflict(self, inquiry, staff):
        services.close_inquiry(inquiry=inquiry, by=staff.intake, reason="declined")
        with pytest.raises(ValidationError, match="already closed"):
            services.close_inquiry(inquiry=inquiry, by=staff.intake, reason="declined")

    def test_reopening_puts_it_back_as_new(self, inquiry, staff):
        services.close_inquiry(inquiry=inquiry, by=staff.intake, reason="not_reachable")
        with pytest.raises(ValidationError, match="Say why"):
            services.reopen_inquiry(inquiry=inquiry, by=staff.intake, reason=" ")
        services.reopen_inquiry(inquiry=inquiry, by=staff.intake, reason="They called back.")
        inquiry.refresh_from_db()
        assert (inquiry.status, inquiry.close_reason) == (S.NEW, "")
        assert statuses(inquiry)[-2:] == [("new", "closed"), ("closed", "new")]


@pytest.mark.django_db
class TestAssignAndUpdate:
    def test_assign_to_a_coordinator_at_the_location(self, inquiry, staff):
        services.assign_inquiry(inquiry=inquiry, by=staff.director, to=staff.intake)
        inquiry.refresh_from_db()
        assert inquiry.assigned_to == staff.intake
        assert AuditEvent.objects.filter(action=AuditAction.INQUIRY_ASSIGN).exists()

    def test_not_to_someone_outside_the_queue(self, inquiry, staff):
        with pytest.raises(ValidationError, match="does not work the intake queue"):
            services.assign_inquiry(inquiry=inquiry, by=staff.director, to=staff.counselor)

    def test_update_audits_field_names_not_values(self, inquiry, staff):
        changed = services.update_inquiry(
            inquiry=inquiry,
            by=staff.intake,
            changes={"phone": "(555) 010-9999", "date_of_birth": dt.date(1988, 3, 14)},
        )
        assert changed == ["phone", "date_of_birth"]
        event = AuditEvent.objects.get(action=AuditAction.INQUIRY_UPDATE)
        assert event.data == {"fields": ["date_of_birth", "phone"]}
        assert "9999" not in str(event.data)

    def test_unknown_fields_are_refused(self, inquiry, staff):
        with pytest.raises(ValidationError, match="Unknown inquiry fields: status"):
            services.update_inquiry(
                inquiry=inquiry, by=staff.intake, changes={"status": "admitted"}
            )
