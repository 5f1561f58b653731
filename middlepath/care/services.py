"""Every change to patients and episodes: one function each, atomic and audited.

Views, the API, commands and tests call these; nothing else saves these models.
Each raises django.core.exceptions.ValidationError with a message for the user when the
change is not allowed, and then nothing of it is saved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from middlepath.accounts.models import User
from middlepath.care.models import (
    EPISODE_LEVELS,
    CareTeamMember,
    DischargeReason,
    Episode,
    EpisodeChange,
    LevelOfCare,
    Patient,
    mrn_for,
)
from middlepath.clinic.models import Phase, Track
from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction

# The fields of Patient that staff may set; anything else in `changes` is refused.
PATIENT_FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "date_of_birth",
    "phone",
    "email",
    "ok_to_leave_message",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "recovery_stage",
    "location",
)


def _check_fields(values: Mapping[str, Any]) -> None:
    unknown = sorted(set(values) - set(PATIENT_FIELDS))
    if unknown:
        raise ValidationError(f"Unknown patient fields: {', '.join(unknown)}.")


@transaction.atomic
def register_patient(*, by: User | None, **fields: Any) -> Patient:
    """Create a patient record and give it a medical record number."""
    _check_fields(fields)
    patient = Patient(**fields)
    patient.full_clean(exclude=["mrn"])
    patient.save()
    patient.mrn = mrn_for(patient.pk)
    patient.save(update_fields=["mrn"])
    audit.record(actor=by, action=AuditAction.PATIENT_CREATE, obj=patient)
    return patient


@transaction.atomic
def update_patient(*, patient: Patient, by: User, changes: Mapping[str, Any]) -> list[str]:
    """Apply `changes` to the patient's details; returns the names of fields that changed.

    The audit entry names the changed fields, not their values (values are PHI).
    """
    _check_fields(changes)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    changed = [name for name, value in changes.items() if getattr(patient, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(patient, name, changes[name])
    patient.full_clean()
    patient.save()
    audit.record(
        actor=by, action=AuditAction.PATIENT_UPDATE, obj=patient, data={"fields": sorted(changed)}
    )
    return changed


def _open_episode_exists_error() -> ValidationError:
    return ValidationError(
        "This patient already has an open episode of care. Discharge it before readmitting."
    )


@transaction.atomic
def open_episode(
    *,
    patient: Patient,
    by: User | None,
    track: Track,
    phase: Phase,
    admitted_on: dt.date,
    referral_source: str,
    level_of_care: str = LevelOfCare.INTENSIVE_OUTPATIENT,
    primary_counselor: User | None = None,
) -> Episode:
    """Admit the patient: open an episode on `track` (its location and program).

    A patient has at most one open episode; readmission after a discharge opens a new one.
    """
    # Lock the patient row so that two admissions of one patient cannot race.
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.episodes.open().exists():
        raise _open_episode_exists_error()
    last_discharge = patient.episodes.discharged().order_by("-discharged_on").first()
    if last_discharge and admitted_on < last_discharge.discharged_on:
        raise ValidationError(
            "Readmission cannot be before the last discharge "
            f"({last_discharge.discharged_on:%b %d, %Y})."
        )
    if admitted_on > timezone.localdate() + dt.timedelta(days=60):
        raise ValidationError("An admission date more than 60 days ahead is almost surely a typo.")
    episode = Episode(
        patient=patient,
        location=track.location,
        program=track.program,
        track=track,
        phase=phase,
        level_of_care=level_of_care,
        primary_counselor=primary_counselor,
        admitted_on=admitted_on,
        referral_source=referral_source,
    )
    episode.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            episode.save()
    except IntegrityError:
        raise _open_episode_exists_error() from None
    EpisodeChange.objects.create(
        episode=episode,
        kind=EpisodeChange.Kind.ADMISSION,
        effective_on=admitted_on,
        recorded_by=by,
        to_level=level_of_care,
        to_phase=phase,
        to_track=track,
        reason=f"Referral: {episode.get_referral_source_display()}",
    )
    if patient.location_id != track.location_id:
        patient.location = track.location
        patient.save(update_fields=["location", "updated_at"])
    audit.record(actor=by, action=AuditAction.EPISODE_OPEN, obj=episode)
    return episode


@transaction.atomic
def change_episode(
    *,
    episode: Episode,
    by: User,
    effective_on: dt.date,
    reason: str,
    level_of_care: str | None = None,
    phase: Phase | None = None,
    track: Track | None = None,
) -> EpisodeChange:
    """Move an open episode to another level of care, phase and/or track, up or down."""
    episode = (
        Episode.objects.select_for_update().select_related("track", "phase").get(pk=episode.pk)
    )
    if not episode.is_open:
        raise ValidationError("This episode is closed; readmit the patient to change their care.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the patient's care is changing."})
    if level_of_care is not None and level_of_care not in EPISODE_LEVELS:
        raise ValidationError(
            {
                "level_of_care": "Residential or inpatient care is a discharge (transferred to a "
                "higher level of care), not a change within this episode."
            }
        )
    new_level = level_of_care if level_of_care is not None else episode.level_of_care
    new_phase = phase or episode.phase
    new_track = track or episode.track
    if (new_level, new_phase.pk, new_track.pk) == (
        episode.level_of_care,
        episode.phase_id,
        episode.track_id,
    ):
        raise ValidationError("Nothing changes: pick a different level of care, phase or track.")
    if new_phase.program_id != episode.program_id:
        raise ValidationError({"phase": "That phase belongs to another program."})
    if new_track.program_id != episode.program_id or new_track.location_id != episode.location_id:
        raise ValidationError(
            {
                "track": "Pick a track of this program at this location "
                "(a move to another site is a transfer)."
            }
        )
    latest = (
        episode.changes.order_by("-effective_on").values_list("effective_on", flat=True).first()
    )
    if effective_on < episode.admitted_on or (latest and effective_on < latest):
        raise ValidationError(
            {
                "effective_on": "The change cannot take effect before the admission "
                "or the last change."
            }
        )
    change = EpisodeChange.objects.create(
        episode=episode,
        kind=EpisodeChange.Kind.CHANGE,
        effective_on=effective_on,
        recorded_by=by,
        from_level=episode.level_of_care,
        to_level=new_level,
        from_phase=episode.phase,
        to_phase=new_phase,
        from_track=episode.track,
        to_track=new_track,
        reason=reason.strip(),
    )
    episode.level_of_care, episode.phase, episode.track = new_level, new_phase, new_track
    episode.save(update_fields=["level_of_care", "phase", "track"])
    audit.record(
        actor=by,
        action=AuditAction.EPISODE_CHANGE,
        obj=episode,
        data={"change_id": change.pk, "direction": change.direction or "lateral"},
    )
    return change


@transaction.atomic
def discharge_episode(
    *,
    episode: Episode,
    by: User,
    discharged_on: dt.date,
    reason: str,
    note: str = "",
) -> Episode:
    episode = Episode.objects.select_for_update().get(pk=episode.pk)
    if not episode.is_open:
        raise ValidationError("This episode is already closed.")
    if reason not in DischargeReason.values:
        raise ValidationError({"reason": "Pick a discharge reason."})
    if discharged_on < episode.admitted_on:
        raise ValidationError({"discharged_on": "Discharge cannot be before admission."})
    if discharged_on > timezone.localdate():
        raise ValidationError({"discharged_on": "A discharge cannot be recorded ahead of time."})
    episode.discharged_on = discharged_on
    episode.discharge_reason = reason
    episode.discharge_note = note.strip()
    episode.save(update_fields=["discharged_on", "discharge_reason", "discharge_note"])
    EpisodeChange.objects.create(
        episode=episode,
        kind=EpisodeChange.Kind.DISCHARGE,
        effective_on=discharged_on,
        recorded_by=by,
        from_level=episode.level_of_care,
        from_phase_id=episode.phase_id,
        from_track_id=episode.track_id,
        reason=episode.get_discharge_reason_display(),
    )
    audit.record(
        actor=by, action=AuditAction.EPISODE_DISCHARGE, obj=episode, data={"reason": reason}
    )
    return episode


@transaction.atomic
def add_care_team_member(
    *, episode: Episode, by: User, user: User, responsibility: str, since: dt.date | None = None
) -> CareTeamMember:
    if not episode.is_open:
        raise ValidationError("The care team of a closed episode cannot change.")
    if not user.is_active or episode.location_id not in user.location_ids():
        raise ValidationError(f"{user} does not work at {episode.location}.")
    member = CareTeamMember(
        episode=episode,
        user=user,
        responsibility=responsibility,
        since=since or timezone.localdate(),
    )
    member.full_clean()
    member.save()
    audit.record(
        actor=by,
        action=AuditAction.CARE_TEAM_CHANGE,
        obj=episode,
        data={"added_user_id": user.pk, "responsibility": responsibility},
    )
    return member
