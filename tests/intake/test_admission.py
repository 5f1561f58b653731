"""Admission from an inquiry: one transaction that makes the chart, the episode, the coverage."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from middlepath.billing.models import Coverage
from middlepath.care.models import Episode, EpisodeChange, Patient
from middlepath.intake import services
from middlepath.intake.models import Inquiry, InquiryStatus, InquiryStatusChange
from middlepath.privacy.models import AuditAction, AuditEvent
from tests import factories
from tests.intake.conftest import (
    BENEFITS_SELF_PAY,
    SCREENING_RESIDENTIAL,
    admission,
    contacted,
    screened,
    submit,
    verified,
)

S = InquiryStatus


@pytest.mark.django_db
class TestAdmitInquiry:
    def test_it_registers_the_patient_opens_the_episode_and_carries_coverage(
        self, inquiry, staff, clinic
    ):
        verified(inquiry, staff.intake)
        episode = services.admit_inquiry(
            inquiry=inquiry,
            by=staff.intake,
            primary_counselor=staff.counselor,
            **admission(clinic),
        )
        patient = episode.patient
        assert (patient.first_name, patient.last_name, patient.mrn[:2]) == (
            "Dana",
            "Whitfield",
            "MP",
        )
        assert (episode.track, episode.level_of_care, episode.primary_counselor) == (
            clinic.evening,
            "2.1",
            staff.counselor,
        )
        coverage = Coverage.objects.get(patient=patient)
        assert (coverage.payer_name, coverage.member_id, coverage.in_network) == (
            "Acme Health",
            "XJ123456",
            True,
        )
        inquiry.refresh_from_db()
        assert (inquiry.status, inquiry.patient, inquiry.episode) == (S.ADMITTED, patient, episode)
        event = AuditEvent.objects.get(action=AuditAction.INQUIRY_ADMIT)
        assert event.patient_id == patient.pk
        assert event.data["existing_patient"] is False
        assert AuditEvent.objects.filter(action=AuditAction.COVERAGE_CREATE).exists()

    def test_it_finds_an_existing_chart_by_name_and_birth_date(self, inquiry, staff, clinic):
        existing = factories.make_patient(
            clinic.other_location,
            first_name="DANA",
            last_name="whitfield",
            date_of_birth=dt.date(1988, 3, 14),
        )
        verified(inquiry, staff.intake)
        episode = services.admit_inquiry(inquiry=inquiry, by=staff.intake, **admission(clinic))
        assert episode.patient == existing
        assert Patient.objects.count() == 1
        existing.refresh_from_db()
        assert existing.location == clinic.location  # the admission moved the chart's site

    def test_a_different_birth_date_is_a_different_person(self, inquiry, staff, clinic):
        factories.make_patient(
            clinic.location,
            first_name="Dana",
            last_name="Whitfield",
            date_of_birth=dt.date(1990, 1, 1),
        )
        verified(inquiry, staff.intake)
        services.admit_inquiry(inquiry=inquiry, by=staff.intake, **admission(clinic))
        assert Patient.objects.count() == 2

    def test_two_matching_charts_stop_the_admission(self, inquiry, staff, clinic):
        for _ in range(2):
            factories.make_patient(
                clinic.location,
                first_name="Dana",
                last_name="Whitfield",
                date_of_birth=dt.date(1988, 3, 14),
            )
        verified(inquiry, staff.intake)
        with pytest.raises(ValidationError, match="More than one chart"):
            services.admit_inquiry(inquiry=inquiry, by=staff.intake, **admission(clinic))

    def test_a_patient_already_in_care_is_refused_and_nothing_changes(self, inquiry, staff, clinic):
        existing = factories.make_patient(
            clinic.location,
            first_name="Dana",
            last_name="Whitfield",
            date_of_birth=dt.date(1988, 3, 14),
        )
        factories.admit(existing, clinic.day, clinic.phases[1])
        verified(inquiry, staff.intake)
        with pytest.raises(ValidationError, match="already has an open episode"):
            services.admit_inquiry(inquiry=inquiry, by=staff.intake, **admission(clinic))
        inquiry.refresh_from_db()
        assert inquiry.status == S.BENEFITS_VERIFIED
        assert not Coverage.objects.exists()

    def test_self_pay_admits_straight_after_screening_without_coverage(self, clinic, staff):
        inquiry = submit(clinic.location, insurance="none", payer_name="")
        screened(inquiry, staff.intake)
        episode = services.admit_inquiry(inquiry=inquiry, by=staff.intake, **admission(clinic))
        assert episode.pk
        assert not Coverage.objects.exists()

    def test_a_self_pay_plan_carries_no_coverage(self, clinic, staff, inquiry):
        verified(inquiry, staff.intake, BENEFITS_SELF_PAY)
        services.admit_inquiry(inquiry=inquiry, by=staff.intake, **admission(clinic))
        assert not Coverage.objects.exists()

    def test_insured_and_unverified_is_refused(self, inquiry, staff, clinic):
        screened(inquiry, staff.intake)
        with pytest.raises(ValidationError, match="Verify benefits first"):
            services.admit_inquiry(inquiry=inquiry, by=staff.intake, **admission(clinic))

    @pytest.mark.parametrize("step", ["new", "contacted"])
    def test_no_admission_without_screening(self, inquiry, staff, clinic, step):
        if step == "contacted":
            contacted(inquiry, staff.intake)
        with pytest.raises(ValidationError, match="screen the person first") as caught:
            services.admit_inquiry(inquiry=inquiry, by=staff.intake, **admission(clinic))
        assert caught.value.error_list[0].code == "conflict"
        assert not Patient.objects.exists()

    def test_a_coordinator_cannot_override_screening(self, inquiry, staff, clinic):
        with pytest.raises(ValidationError, match="Only a program director"):
            services.admit_inquiry(
                inquiry=inquiry,
                by=staff.intake,
                override_reason="Urgent",
                **admission(clinic),
            )
        assert not Patient.objects.exists()

    def test_a_director_overrides_with_a_reason(self, inquiry, staff, clinic):
        episode = services.admit_inquiry(
            inquiry=inquiry,
            by=staff.director,
            override_reason="Transfer from our partner's inpatient unit with its assessment.",
            **admission(clinic),
        )
        change = InquiryStatusChange.objects.filter(inquiry=inquiry).last()
        assert (change.from_status, change.to_status, change.overridden) == (
            "new",
            "admitted",
            True,
        )
        assert AuditEvent.objects.get(action=AuditAction.INQUIRY_ADMIT).data["overridden"]
        assert episode.pk

    def test_a_residential_suggestion_stops_admission_unless_overridden(
        self, inquiry, staff, clinic
    ):
        screened(inquiry, staff.intake, SCREENING_RESIDENTIAL)
        verified_inquiry = Inquiry.objects.get(pk=inquiry.pk)
        services.record_benefits(inquiry=verified_inquiry, by=staff.intake, **BENEFITS_SELF_PAY)
        with pytest.raises(ValidationError, match="inpatient or residential"):
            services.admit_inquiry(inquiry=inquiry, by=staff.intake, **admission(clinic))
        services.admit_inquiry(
            inquiry=inquiry,
            by=staff.director,
            override_reason="Completed detox yesterday; the physician cleared IOP.",
            **admission(clinic),
        )
        assert InquiryStatusChange.objects.filter(inquiry=inquiry).last().overridden

    def test_an_admitted_inquiry_cannot_be_admitted_again(self, inquiry, staff, clinic):
        verified(inquiry, staff.intake)
        services.admit_inquiry(inquiry=inquiry, by=staff.intake, **admission(clinic))
        with pytest.raises(ValidationError, match="already admitted"):
            services.admit_inquiry(
                inquiry=inquiry, by=staff.director, override_reason="x", **admission(clinic)
            )

    def test_residential_is_not_an_episode_level(self, inquiry, staff, clinic):
        verified(inquiry, staff.intake)
        with pytest.raises(ValidationError) as caught:
            services.admit_inquiry(
                inquiry=inquiry, by=staff.intake, **admission(clinic, level_of_care="3.5")
            )
        assert "level_of_care" in caught.value.message_dict

    def test_unicode_names_match_in_any_normal_form(self, clinic, staff):
        inquiry = submit(clinic.location, first_name="José", last_name="李")
        existing = factories.make_patient(
            clinic.location, first_name="José", last_name="李", date_of_birth=dt.date(1988, 3, 14)
        )
        verified(inquiry, staff.intake)
        decomposed = "Jose\u0301"
        episode = services.admit_inquiry(
            inquiry=inquiry,
            by=staff.intake,
            **admission(clinic, first_name=decomposed, last_name="李"),
        )
        assert episode.patient == existing


@pytest.mark.django_db
class TestAdmissionIsAtomic:
    """A failure anywhere in the middle of an admission leaves nothing half-made."""

    @pytest.mark.parametrize(
        ("module", "name"),
        [
            (services.billing, "add_coverage"),  # after the patient and the episode
            (services.care, "open_episode"),  # after the patient
        ],
    )
    def test_a_forced_failure_leaves_no_patient(
        self, inquiry, staff, clinic, monkeypatch, module, name
    ):
        verified(inquiry, staff.intake)
        audit_before = AuditEvent.objects.count()

        def fail(*args, **kwargs):
            raise RuntimeError("the disk is full")

        monkeypatch.setattr(module, name, fail)
        with pytest.raises(RuntimeError):
            services.admit_inquiry(inquiry=inquiry, by=staff.intake, **admission(clinic))
        assert not Patient.objects.exists()
        assert not Episode.objects.exists()
        assert not EpisodeChange.objects.exists()
        assert not Coverage.objects.exists()
        inquiry.refresh_from_db()
        assert (inquiry.status, inquiry.patient_id) == (S.BENEFITS_VERIFIED, None)
        assert AuditEvent.objects.count() == audit_before
