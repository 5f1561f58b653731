from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from middlepath.care import services
from middlepath.care.models import (
    DischargeReason,
    Episode,
    EpisodeChange,
    LevelOfCare,
    Patient,
    luhn_check_digit,
    mrn_for,
)
from middlepath.privacy.models import AuditAction, AuditEvent
from tests import factories
from tests.clock import TODAY


class TestMrn:
    def test_it_has_a_prefix_the_id_and_a_check_digit(self):
        assert mrn_for(1234) == "MP0001234" + luhn_check_digit("0001234")

    def test_the_check_digit_catches_a_single_typo(self):
        assert luhn_check_digit("0001234") != luhn_check_digit("0001235")
        assert luhn_check_digit("0001234") != luhn_check_digit("0002134")


@pytest.mark.django_db
class TestRegisterPatient:
    def test_it_creates_the_patient_with_an_mrn_and_audits(self, clinic, staff):
        patient = factories.make_patient(
            clinic.location, by=staff.intake, first_name="José", last_name="李"
        )
        patient.refresh_from_db()
        assert patient.mrn == mrn_for(patient.pk)
        assert patient.full_name == "José 李"
        event = AuditEvent.objects.get(action=AuditAction.PATIENT_CREATE)
        assert (event.patient_id, event.actor) == (patient.pk, staff.intake)

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("date_of_birth", TODAY + dt.timedelta(days=1), "in the future"),
            ("date_of_birth", dt.date(1850, 1, 1), "after 1900"),
            ("email", "not-an-email", "valid email"),
            ("phone", "call me", "phone number"),
            ("first_name", "x" * 101, "at most 100"),
        ],
    )
    def test_it_refuses_bad_details_and_saves_nothing(self, clinic, field, value, message):
        with pytest.raises(ValidationError, match=message):
            factories.make_patient(clinic.location, **{field: value})
        assert not Patient.objects.exists()
        assert not AuditEvent.objects.exists()

    def test_it_refuses_fields_it_does_not_know(self, clinic):
        with pytest.raises(ValidationError, match="Unknown patient fields: mrn"):
            factories.make_patient(clinic.location, mrn="MP1")


@pytest.mark.django_db
class TestUpdatePatient:
    def test_it_saves_and_audits_the_names_of_changed_fields_not_values(self, clinic, staff):
        patient = factories.make_patient(clinic.location)
        changed = services.update_patient(
            patient=patient,
            by=staff.counselor,
            changes={"phone": "(555) 010-2345", "city": "Millbrook"},
        )
        assert sorted(changed) == ["city", "phone"]
        event = AuditEvent.objects.get(action=AuditAction.PATIENT_UPDATE)
        assert event.data == {"fields": ["city", "phone"]}
        assert "555" not in str(event.data)

    def test_no_change_writes_nothing(self, clinic, staff):
        patient = factories.make_patient(clinic.location)
        assert (
            services.update_patient(patient=patient, by=staff.counselor, changes={"city": ""}) == []
        )
        assert not AuditEvent.objects.filter(action=AuditAction.PATIENT_UPDATE).exists()


@pytest.mark.django_db
class TestOpenEpisode:
    def test_it_opens_an_episode_with_an_admission_row(self, clinic, staff):
        patient = factories.make_patient(clinic.location)
        episode = factories.admit(patient, clinic.evening, clinic.phases[0], by=staff.intake)
        assert episode.is_open
        assert (episode.location, episode.program) == (clinic.location, clinic.program)
        change = episode.changes.get()
        assert change.kind == EpisodeChange.Kind.ADMISSION
        assert AuditEvent.objects.filter(
            action=AuditAction.EPISODE_OPEN, patient_id=patient.pk
        ).exists()

    def test_a_patient_has_at_most_one_open_episode(self, clinic, staff):
        patient = factories.make_patient(clinic.location)
        factories.admit(patient, clinic.evening, clinic.phases[0])
        with pytest.raises(ValidationError, match="already has an open episode"):
            factories.admit(patient, clinic.day, clinic.phases[0])
        assert Episode.objects.count() == 1

    def test_the_database_also_refuses_a_second_open_episode(self, clinic):
        patient = factories.make_patient(clinic.location)
        first = factories.admit(patient, clinic.evening, clinic.phases[0])
        duplicate = Episode(
            patient=patient,
            location=first.location,
            program=first.program,
            track=first.track,
            phase=first.phase,
            admitted_on=TODAY,
            referral_source="self",
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            duplicate.save()

    def test_readmission_after_discharge_opens_a_new_episode(self, clinic, staff):
        patient = factories.make_patient(clinic.location)
        first = factories.admit(
            patient, clinic.evening, clinic.phases[0], admitted_on=TODAY - dt.timedelta(days=60)
        )
        services.discharge_episode(
            episode=first,
            by=staff.counselor,
            discharged_on=TODAY - dt.timedelta(days=30),
            reason=DischargeReason.LEFT_AGAINST_ADVICE,
        )
        second = factories.admit(
            patient, clinic.day, clinic.phases[0], admitted_on=TODAY - dt.timedelta(days=5)
        )
        assert second.pk != first.pk
        assert [e.is_open for e in patient.episodes.order_by("admitted_on")] == [False, True]

    def test_readmission_cannot_predate_the_last_discharge(self, clinic, staff):
        patient = factories.make_patient(clinic.location)
        first = factories.admit(
            patient, clinic.evening, clinic.phases[0], admitted_on=TODAY - dt.timedelta(days=60)
        )
        services.discharge_episode(
            episode=first,
            by=staff.counselor,
            discharged_on=TODAY - dt.timedelta(days=10),
            reason="completed",
        )
        with pytest.raises(ValidationError, match="before the last discharge"):
            factories.admit(
                patient, clinic.evening, clinic.phases[0], admitted_on=TODAY - dt.timedelta(days=20)
            )

    def test_admission_moves_the_patient_to_the_tracks_location(self, clinic):
        patient = factories.make_patient(clinic.other_location)
        factories.admit(patient, clinic.evening, clinic.phases[0])
        patient.refresh_from_db()
        assert patient.location == clinic.location

    def test_a_phase_of_another_program_is_refused(self, clinic):
        other_program = factories.make_program()
        other_phase = factories.make_phases(other_program)[0]
        patient = factories.make_patient(clinic.location)
        with pytest.raises(ValidationError, match="another program"):
            factories.admit(patient, clinic.evening, other_phase)
        assert not Episode.objects.exists()

    def test_residential_level_is_not_an_outpatient_episode(self, clinic):
        patient = factories.make_patient(clinic.location)
        with pytest.raises(ValidationError, match="transfer out of the program"):
            factories.admit(
                patient,
                clinic.evening,
                clinic.phases[0],
                level_of_care=LevelOfCare.RESIDENTIAL_HIGH,
            )


@pytest.fixture
def episode(clinic, staff):
    patient = factories.make_patient(clinic.location)
    return factories.admit(patient, clinic.evening, clinic.phases[0], by=staff.intake)


@pytest.mark.django_db
class TestChangeEpisode:
    def test_stepping_down_a_phase(self, clinic, staff, episode):
        change = services.change_episode(
            episode=episode,
            by=staff.counselor,
            effective_on=TODAY,
            reason="Goals met",
            phase=clinic.phases[1],
        )
        episode.refresh_from_db()
        assert episode.phase == clinic.phases[1]
        assert change.direction == "step down"
        assert (change.from_phase, change.to_phase) == (clinic.phases[0], clinic.phases[1])

    def test_stepping_back_up_is_normal_too(self, clinic, staff, episode):
        services.change_episode(
            episode=episode,
            by=staff.counselor,
            effective_on=TODAY - dt.timedelta(days=3),
            reason="Goals met",
            phase=clinic.phases[1],
        )
        change = services.change_episode(
            episode=episode,
            by=staff.counselor,
            effective_on=TODAY,
            reason="Lapse",
            phase=clinic.phases[0],
        )
        assert change.direction == "step up"
        assert episode.changes.filter(kind="change").count() == 2

    def test_level_of_care_up_and_down(self, clinic, staff, episode):
        up = services.change_episode(
            episode=episode,
            by=staff.physician,
            effective_on=TODAY,
            reason="More support",
            level_of_care=LevelOfCare.PARTIAL_HOSPITALIZATION,
        )
        down = services.change_episode(
            episode=episode,
            by=staff.physician,
            effective_on=TODAY,
            reason="Stable",
            level_of_care=LevelOfCare.OUTPATIENT,
        )
        assert (up.direction, down.direction) == ("step up", "step down")

    def test_moving_to_residential_is_a_discharge_not_a_change(self, staff, episode):
        with pytest.raises(ValidationError, match="is a discharge"):
            services.change_episode(
                episode=episode,
                by=staff.physician,
                effective_on=TODAY,
                reason="Unsafe",
                level_of_care=LevelOfCare.INPATIENT_MONITORED,
            )

    def test_a_track_change_stays_at_the_location(self, clinic, staff, episode):
        services.change_episode(
            episode=episode,
            by=staff.counselor,
            effective_on=TODAY,
            reason="New job",
            track=clinic.day,
        )
        with pytest.raises(ValidationError, match="at this location"):
            services.change_episode(
                episode=episode,
                by=staff.counselor,
                effective_on=TODAY,
                reason="Moved",
                track=clinic.other_track,
            )

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"reason": " "}, "Say why"),
            ({"reason": "x"}, "Nothing changes"),
            ({"reason": "x", "effective_on": dt.date(2000, 1, 1)}, "before the admission"),
        ],
    )
    def test_it_refuses_a_change_that_makes_no_sense(self, clinic, staff, episode, kwargs, message):
        arguments = {"effective_on": TODAY, **kwargs}
        if "effective_on" in kwargs:
            arguments["phase"] = clinic.phases[1]
        with pytest.raises(ValidationError, match=message):
            services.change_episode(episode=episode, by=staff.counselor, **arguments)
        assert episode.changes.count() == 1

    def test_a_closed_episode_cannot_change(self, clinic, staff, episode):
        services.discharge_episode(
            episode=episode, by=staff.counselor, discharged_on=TODAY, reason="completed"
        )
        with pytest.raises(ValidationError, match="closed"):
            services.change_episode(
                episode=episode,
                by=staff.counselor,
                effective_on=TODAY,
                reason="x",
                phase=clinic.phases[1],
            )


@pytest.mark.django_db
class TestDischarge:
    def test_it_closes_the_episode_with_a_row_and_an_audit_entry(self, staff, episode):
        services.discharge_episode(
            episode=episode,
            by=staff.counselor,
            discharged_on=TODAY,
            reason="completed",
            note="Well done",
        )
        episode.refresh_from_db()
        assert not episode.is_open
        assert episode.changes.last().kind == EpisodeChange.Kind.DISCHARGE
        assert AuditEvent.objects.filter(action=AuditAction.EPISODE_DISCHARGE).exists()

    @pytest.mark.parametrize(
        ("day", "reason", "message"),
        [
            (TODAY + dt.timedelta(days=1), "completed", "ahead of time"),
            (TODAY - dt.timedelta(days=365), "completed", "before admission"),
            (TODAY, "bored", "Pick a discharge reason"),
        ],
    )
    def test_it_refuses_bad_discharges(self, staff, episode, day, reason, message):
        with pytest.raises(ValidationError, match=message):
            services.discharge_episode(
                episode=episode, by=staff.counselor, discharged_on=day, reason=reason
            )
        episode.refresh_from_db()
        assert episode.is_open

    def test_twice_is_refused(self, staff, episode):
        services.discharge_episode(
            episode=episode, by=staff.counselor, discharged_on=TODAY, reason="completed"
        )
        with pytest.raises(ValidationError, match="already closed"):
            services.discharge_episode(
                episode=episode, by=staff.counselor, discharged_on=TODAY, reason="completed"
            )


@pytest.mark.django_db
class TestCareTeam:
    def test_staff_of_the_location_can_join(self, staff, episode):
        member = services.add_care_team_member(
            episode=episode,
            by=staff.director,
            user=staff.case_manager,
            responsibility="case_manager",
        )
        assert member in episode.care_team.all()

    def test_staff_of_another_location_cannot(self, staff, episode):
        with pytest.raises(ValidationError, match="does not work at"):
            services.add_care_team_member(
                episode=episode, by=staff.director, user=staff.outsider, responsibility="therapist"
            )
