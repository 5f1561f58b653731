"""Every change to groups, sessions, attendance, notes and homework: atomic and audited.

Each function raises ValidationError with a message for the user when a rule refuses the
change, and then nothing of it is saved. A refusal because something is full carries the
code "conflict" (the API answers 409).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from middlepath.accounts.models import User
from middlepath.care.models import Patient
from middlepath.clinic.models import CurriculumTopic, Location, Room
from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction
from middlepath.sessions.models import (
    Addendum,
    Attendance,
    CheckIn,
    GroupGuest,
    Homework,
    Membership,
    Note,
    Session,
    TherapyGroup,
)

MAX_GENERATE_DAYS = 366
CONFLICT = "conflict"


# --- groups and membership -------------------------------------------------------------


def _works_at(user: User | None, location: Location, role: str) -> None:
    if user is not None and (not user.is_active or location.pk not in user.location_ids()):
        raise ValidationError(f"The {role}, {user}, does not work at {location}.")


def _room_is_open(room: Room | None, location: Location) -> None:
    if room is None:
        return
    if room.location_id != location.pk:
        raise ValidationError({"room": f"{room.name} is at another location."})
    if not room.is_active:
        raise ValidationError({"room": f"{room.name} is closed; pick another room."})


@transaction.atomic
def create_group(
    *,
    by: User,
    name: str,
    group_type,
    track,
    facilitator: User,
    room: Room,
    meeting_days: list[int],
    start_time: dt.time,
    minutes: int = 90,
    stage: str = "",
    co_facilitator: User | None = None,
) -> TherapyGroup:
    group = TherapyGroup(
        name=name.strip(),
        group_type=group_type,
        track=track,
        facilitator=facilitator,
        co_facilitator=co_facilitator,
        room=room,
        meeting_days=sorted(meeting_days),
        start_time=start_time,
        minutes=minutes,
        stage=stage,
    )
    group.full_clean()
    _works_at(facilitator, track.location, "facilitator")
    _works_at(co_facilitator, track.location, "co-facilitator")
    _room_is_open(room, track.location)
    group.save()
    audit.record(actor=by, action=AuditAction.GROUP_CREATE, obj=group)
    return group


GROUP_FIELDS = (
    "name",
    "facilitator",
    "co_facilitator",
    "room",
    "meeting_days",
    "start_time",
    "minutes",
    "stage",
    "is_active",
)
# Fields whose change moves future sessions (those not yet attended or documented).
PATTERN_FIELDS = {"facilitator", "co_facilitator", "room", "meeting_days", "start_time", "minutes"}


@transaction.atomic
def update_group(*, group: TherapyGroup, by: User, changes: Mapping[str, object]) -> list[str]:
    """Change a group; a new pattern applies to its future sessions, never to past ones."""
    unknown = sorted(set(changes) - set(GROUP_FIELDS))
    if unknown:
        raise ValidationError(f"Unknown group fields: {', '.join(unknown)}.")
    group = (
        TherapyGroup.objects.select_for_update().select_related("track__location").get(pk=group.pk)
    )
    changed = [name for name, value in changes.items() if getattr(group, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(group, name, changes[name])
    if "meeting_days" in changed:
        group.meeting_days = sorted(group.meeting_days)
    group.full_clean()
    _works_at(group.facilitator, group.location, "facilitator")
    _works_at(group.co_facilitator, group.location, "co-facilitator")
    if "room" in changed:
        _room_is_open(group.room, group.location)
    group.save()
    if PATTERN_FIELDS & set(changed):
        _reschedule_future_sessions(group, by)
    audit.record(
        actor=by, action=AuditAction.GROUP_UPDATE, obj=group, data={"fields": sorted(changed)}
    )
    return changed


def _reschedule_future_sessions(group: TherapyGroup, by: User) -> None:
    today = group.location.today()
    future = group.sessions.filter(date__gte=today, attendance__isnull=True, note__isnull=True)
    last = future.order_by("-date").values_list("date", flat=True).first()
    if last is None:
        return
    future.delete()
    if group.is_active:
        generate_sessions(group=group, by=by, first=today, last=last)


def patterns_overlap(one: TherapyGroup, other: TherapyGroup) -> bool:
    if not set(one.meeting_days) & set(other.meeting_days):
        return False
    day = dt.date.min
    one_start = dt.datetime.combine(day, one.start_time)
    other_start = dt.datetime.combine(day, other.start_time)
    one_end = one_start + dt.timedelta(minutes=one.minutes)
    other_end = other_start + dt.timedelta(minutes=other.minutes)
    return one_start < other_end and other_start < one_end


def current_member_count(group: TherapyGroup) -> int:
    return group.memberships.current().count()


@transaction.atomic
def add_member(
    *, group: TherapyGroup, patient: Patient, by: User, joined_on: dt.date | None = None
) -> Membership:
    """Seat a patient in a group: an enrolled patient of the group's track, if there is room."""
    # Lock the group so two coordinators cannot both take its last seat.
    group = (
        TherapyGroup.objects.select_for_update()
        .select_related("group_type", "track__location")
        .get(pk=group.pk)
    )
    if not group.is_active:
        raise ValidationError(f"{group.name} no longer meets.")
    episode = patient.episodes.open().select_related("track").first()
    if episode is None:
        raise ValidationError(
            f"{patient.display_name} has no open episode of care: admit them first."
        )
    if episode.track_id != group.track_id:
        raise ValidationError(
            f"{patient.display_name} is on the {episode.track.name}; {group.name} is on the "
            f"{group.track.name}."
        )
    if group.group_type.same_stage and patient.recovery_stage != group.stage:
        raise ValidationError(
            f"{group.name} is for {group.get_stage_display().lower()}; {patient.display_name} is "
            f"in {patient.get_recovery_stage_display().lower()}."
        )
    if group.memberships.current().filter(patient=patient).exists():
        raise ValidationError(f"{patient.display_name} is already a member of {group.name}.")
    for other in TherapyGroup.objects.filter(memberships__in=patient.memberships.current()):
        if patterns_overlap(group, other):
            raise ValidationError(
                f"{group.name} meets at the same time as {other.name}, which "
                f"{patient.display_name} already attends."
            )
    size = current_member_count(group)
    if size >= group.group_type.max_size:
        raise ValidationError(
            f"{group.name} is full ({size} of {group.group_type.max_size}). "
            "Pick another group or open a new one.",
            code=CONFLICT,
        )
    joined_on = joined_on or group.location.today()
    if joined_on < episode.admitted_on:
        raise ValidationError("A patient cannot join a group before their admission.")
    membership = Membership(group=group, patient=patient, joined_on=joined_on)
    membership.full_clean(validate_constraints=False)
    membership.save()
    audit.record(
        actor=by, action=AuditAction.MEMBERSHIP_ADD, obj=membership, data={"group_id": group.pk}
    )
    return membership


@transaction.atomic
def remove_member(
    *, group: TherapyGroup, patient: Patient, by: User, left_on: dt.date | None = None
) -> Membership | None:
    """End a membership from `left_on` (default today): later sessions no longer expect them."""
    membership = (
        Membership.objects.select_for_update()
        .current()
        .filter(group=group, patient=patient)
        .first()
    )
    if membership is None:
        raise ValidationError(f"{patient.display_name} is not a member of {group.name}.")
    left_on = left_on or group.location.today()
    later = Attendance.objects.filter(session__group=group, patient=patient, date__gte=left_on)
    if later.exists():
        raise ValidationError(
            f"Attendance is recorded for {patient.display_name} on or after {left_on:%b %d}; "
            "end the membership after that date."
        )
    audit.record(
        actor=by, action=AuditAction.MEMBERSHIP_END, obj=membership, data={"group_id": group.pk}
    )
    if left_on <= membership.joined_on:
        # Joined and left before ever being expected: a seat given by mistake.
        membership.delete()
        return None
    membership.left_on = left_on
    membership.save(update_fields=["left_on"])
    return membership


@transaction.atomic
def add_guest(
    *, group: TherapyGroup, patient: Patient, by: User, name: str, relationship: str
) -> GroupGuest:
    """Seat a family member in a family group as the guest of a member patient."""
    if not group.is_family:
        raise ValidationError("Guests join family groups only.")
    if not group.memberships.current().filter(patient=patient).exists():
        raise ValidationError(f"{patient.display_name} is not a member of {group.name}.")
    guest = GroupGuest(
        group=group,
        patient=patient,
        name=name.strip(),
        relationship=relationship.strip(),
        joined_on=group.location.today(),
    )
    guest.full_clean()
    guest.save()
    audit.record(actor=by, action=AuditAction.GUEST_ADD, obj=guest, data={"group_id": group.pk})
    return guest


# --- sessions ---------------------------------------------------------------------------


def expected_patients(session: Session) -> QuerySet[Patient]:
    """Who should be at a session: the visit's patient, the seats of a rostered session, or
    the group's members on its date (the rule lives in SessionQuerySet.expected)."""
    expected = Session.objects.filter(pk=session.pk).expected().get(session.pk, [])
    return Patient.objects.filter(pk__in=expected)


def _conflicts(sessions: list[Session]) -> list[str]:
    """Double bookings of a room or a person among `sessions` and what is already booked."""
    if not sessions:
        return []
    rooms = {s.room_id for s in sessions if s.room_id}
    people = {s.facilitator_id for s in sessions} | {
        s.co_facilitator_id for s in sessions if s.co_facilitator_id
    }
    window = (min(s.starts_at for s in sessions), max(s.ends_at for s in sessions))
    booked = list(
        Session.objects.overlapping(*window)
        .filter(
            Q(room_id__in=rooms) | Q(facilitator_id__in=people) | Q(co_facilitator_id__in=people)
        )
        .select_related("group", "room", "facilitator")
    )
    problems = []
    for new in sessions:
        for other in [*booked, *(s for s in sessions if s is not new)]:
            if other.pk is not None and other.pk == new.pk:
                continue
            if not (other.starts_at < new.ends_at and new.starts_at < other.ends_at):
                continue
            if new.room_id and new.room_id == other.room_id:
                problems.append(
                    f"{new.room} is already booked on {new.date:%a %b %d} at "
                    f"{other.start_time:%H:%M} ({other.title})."
                )
            new_people = {new.facilitator_id, new.co_facilitator_id} - {None}
            other_people = {other.facilitator_id, other.co_facilitator_id} - {None}
            if new_people & other_people:
                problems.append(
                    f"{other.facilitator} already leads {other.title} on {new.date:%a %b %d} at "
                    f"{other.start_time:%H:%M}."
                )
    return sorted(set(problems))


def refuse_conflicts(sessions: list[Session]) -> None:
    problems = _conflicts(sessions)
    if problems:
        shown = problems[:5] + ([f"…and {len(problems) - 5} more."] if len(problems) > 5 else [])
        raise ValidationError([ValidationError(problem, code=CONFLICT) for problem in shown])


@transaction.atomic
def generate_sessions(
    *, group: TherapyGroup, by: User, first: dt.date, last: dt.date
) -> list[Session]:
    """Create the group's sessions between two dates from its weekly pattern.

    Dates that already have the session are skipped, so generating twice is harmless.
    """
    if last < first:
        raise ValidationError("The end date is before the start date.")
    if (last - first).days > MAX_GENERATE_DAYS:
        raise ValidationError(f"Generate at most {MAX_GENERATE_DAYS} days at a time.")
    group = TherapyGroup.objects.select_related("track__location", "room").get(pk=group.pk)
    if not group.is_active:
        raise ValidationError(f"{group.name} no longer meets.")
    _room_is_open(group.room, group.location)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    wanted = [day for day in days if group.meets_on(day)]
    existing = set(
        group.sessions.filter(date__in=wanted, start_time=group.start_time).values_list(
            "date", flat=True
        )
    )
    sessions = []
    for day in wanted:
        if day in existing:
            continue
        session = Session(
            kind=Session.Kind.GROUP,
            group=group,
            location=group.location,
            date=day,
            start_time=group.start_time,
            minutes=group.minutes,
            room=group.room,
            facilitator=group.facilitator,
            co_facilitator=group.co_facilitator,
        )
        session.place_in_time()
        sessions.append(session)
    refuse_conflicts(sessions)
    created = Session.objects.bulk_create(sessions)
    if created:
        audit.record(
            actor=by,
            action=AuditAction.SESSION_SCHEDULE,
            obj=group,
            data={"sessions": len(created), "first": first.isoformat(), "last": last.isoformat()},
        )
    return created


def _patient_is_free(patient: Patient, session: Session) -> None:
    other = (
        Session.objects.overlapping(session.starts_at, session.ends_at).expecting(patient).first()
    )
    if other is not None:
        raise ValidationError(
            f"{patient.display_name} is expected at {other.title} then "
            f"({other.start_time:%H:%M}–{other.end_time:%H:%M}).",
            code=CONFLICT,
        )


@transaction.atomic
def schedule_visit(
    *,
    by: User,
    kind: str,
    patient: Patient,
    date: dt.date,
    start_time: dt.time,
    minutes: int,
    facilitator: User,
    room: Room | None = None,
) -> Session:
    """Book an individual, family, case-management or medical visit with one patient."""
    if kind not in Session.Kind.values or kind == Session.Kind.GROUP:
        raise ValidationError({"kind": "Pick individual, family, case management or medical."})
    episode = patient.episodes.open().select_related("location").first()
    if episode is None:
        raise ValidationError(f"{patient.display_name} has no open episode of care.")
    location = episode.location
    _works_at(facilitator, location, "clinician")
    _room_is_open(room, location)
    session = Session(
        kind=kind,
        patient=patient,
        location=location,
        date=date,
        start_time=start_time,
        minutes=minutes,
        room=room,
        facilitator=facilitator,
    )
    session.full_clean(exclude=["starts_at", "ends_at"], validate_constraints=False)
    session.place_in_time()
    refuse_conflicts([session])
    _patient_is_free(patient, session)
    session.save()
    audit.record(actor=by, action=AuditAction.SESSION_SCHEDULE, obj=session)
    return session


@transaction.atomic
def cancel_session(*, session: Session, by: User, reason: str) -> Session:
    """The program cancels a session: everyone expected is marked 'cancelled by program'."""
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.is_cancelled:
        raise ValidationError("This session is already cancelled.")
    if not reason.strip():
        raise ValidationError(
            {"reason": "Say why the session is cancelled (staff, weather, holiday…)."}
        )
    if session.attendance.filter(status__in=Attendance.ATTENDED).exists():
        raise ValidationError("Attendance shows people were there; correct the attendance instead.")
    session.status = Session.Status.CANCELLED
    session.cancel_reason = reason.strip()[:200]
    session.save(update_fields=["status", "cancel_reason"])
    existing = {row.patient_id: row for row in session.attendance.all()}
    rows = []
    for patient_id in expected_patients(session).values_list("pk", flat=True):
        row = existing.get(patient_id) or Attendance(
            session=session, patient_id=patient_id, date=session.date
        )
        row.status, row.minutes, row.recorded_by = Attendance.Status.CANCELLED, 0, by
        rows.append(row)
    Attendance.objects.bulk_create([row for row in rows if row.pk is None])
    Attendance.objects.bulk_update(
        [row for row in rows if row.pk is not None], ["status", "minutes", "recorded_by"]
    )
    audit.record(
        actor=by, action=AuditAction.SESSION_CANCEL, obj=session, data={"session_id": session.pk}
    )
    return session


# --- attendance -------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceEntry:
    patient_id: int
    status: str
    minutes: int | None = None


def _minutes_for(entry: AttendanceEntry, session: Session, name: str) -> int:
    status, minutes = entry.status, entry.minutes
    if status not in Attendance.Status.values:
        raise ValidationError(f"{name}: “{status}” is not an attendance status.")
    if status not in Attendance.ATTENDED:
        if minutes:
            raise ValidationError(f"{name}: an absence has no attended minutes.")
        return 0
    if status == Attendance.Status.PRESENT:
        if minutes is not None and minutes != session.minutes:
            raise ValidationError(
                f"{name}: present means all {session.minutes} minutes; "
                "use late or left early for part of the session."
            )
        return session.minutes
    if minutes is None or minutes <= 0:
        raise ValidationError(f"{name}: enter the minutes actually attended.")
    if minutes > session.minutes:
        raise ValidationError(
            f"{name}: {minutes} minutes is more than the session's {session.minutes}."
        )
    return minutes


@transaction.atomic
def record_attendance(
    *, session: Session, by: User, entries: Iterable[AttendanceEntry]
) -> list[Attendance]:
    """Record (or correct) attendance for some or all expected patients, all or nothing."""
    session = Session.objects.select_for_update().select_related("location").get(pk=session.pk)
    if session.is_cancelled:
        raise ValidationError("This session was cancelled; there is no attendance to take.")
    if session.date > session.location.today():
        raise ValidationError("Attendance can be taken on the day of the session, not before.")
    entries = list(entries)
    expected = {patient.pk: patient for patient in expected_patients(session)}
    errors, rows = [], []
    seen: set[int] = set()
    for entry in entries:
        patient = expected.get(entry.patient_id)
        if patient is None:
            errors.append(
                f"Patient #{entry.patient_id} is not expected at this session "
                "(not a member of the group on that date)."
            )
            continue
        if entry.patient_id in seen:
            errors.append(f"{patient.display_name} appears twice.")
            continue
        seen.add(entry.patient_id)
        try:
            rows.append((patient, entry.status, _minutes_for(entry, session, patient.display_name)))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    existing = {row.patient_id: row for row in session.attendance.select_for_update()}
    saved = []
    for patient, status, minutes in rows:
        row = existing.get(patient.pk) or Attendance(
            session=session, patient=patient, date=session.date
        )
        changed = row.pk is None or (row.status, row.minutes) != (status, minutes)
        row.status, row.minutes, row.recorded_by, row.date = status, minutes, by, session.date
        row.save()
        saved.append(row)
        if changed:
            audit.record(
                actor=by,
                action=AuditAction.ATTENDANCE_RECORD,
                obj=row,
                data={"session_id": session.pk, "status": status, "minutes": minutes},
            )
    return saved


# --- notes ------------------------------------------------------------------------------

NOTE_SECTIONS = ("focus", "interventions", "response", "plan")


def _may_write_notes(user: User) -> None:
    if not user.has_perm("therapy.add_note"):
        raise PermissionDenied("Only clinical staff write notes.")


def _present_ids(session: Session) -> set[int]:
    return set(
        session.attendance.filter(status__in=Attendance.ATTENDED).values_list(
            "patient_id", flat=True
        )
    )


@transaction.atomic
def save_note(
    *,
    session: Session,
    by: User,
    topic: CurriculumTopic | None = None,
    topic_text: str = "",
    summary: str = "",
    check_ins: Mapping[int, str] | None = None,
    **sections: str,
) -> Note:
    """Create or update the draft note of a session. Signed notes are locked."""
    _may_write_notes(by)
    unknown = set(sections) - set(NOTE_SECTIONS)
    if unknown:
        raise ValidationError(f"Unknown note sections: {', '.join(sorted(unknown))}.")
    session = Session.objects.select_related("group__group_type").get(pk=session.pk)
    if session.is_cancelled:
        raise ValidationError("A cancelled session has no note.")
    note = Note.objects.select_for_update().filter(session=session).first()
    if note is not None and note.is_locked:
        raise ValidationError("This note is signed and locked; add an addendum instead.")
    if note is not None and note.author_id != by.pk:
        raise ValidationError(f"{note.author} is writing this note; only they can edit the draft.")
    if (
        topic is not None
        and session.group_id
        and topic.group_type_id != session.group.group_type_id
    ):
        raise ValidationError({"topic": "That topic belongs to another kind of group."})
    note = note or Note(session=session, author=by)
    note.topic, note.topic_text, note.summary = topic, topic_text.strip(), summary.strip()
    for name in NOTE_SECTIONS:
        setattr(note, name, sections.get(name, getattr(note, name)).strip())
    note.full_clean(exclude=["session"])
    note.save()
    if check_ins is not None:
        _save_check_ins(note, session, check_ins)
    audit.record(actor=by, action=AuditAction.NOTE_SAVE, obj=note, data={"session_id": session.pk})
    return note


def _save_check_ins(note: Note, session: Session, check_ins: Mapping[int, str]) -> None:
    if session.group_id is None:
        raise ValidationError("Check-ins belong to group notes.")
    present = _present_ids(session)
    strangers = set(check_ins) - present
    if strangers:
        raise ValidationError("Check-ins are for members who were present; take attendance first.")
    texts = {patient_id: text.strip() for patient_id, text in check_ins.items()}
    if any(len(text) > 600 for text in texts.values()):
        raise ValidationError("Keep each check-in under 600 characters.")
    existing = {check_in.patient_id: check_in for check_in in note.check_ins.all()}
    note.check_ins.filter(patient_id__in=[pid for pid, text in texts.items() if not text]).delete()
    changed = []
    for patient_id, text in texts.items():
        if text and patient_id in existing and existing[patient_id].text != text:
            existing[patient_id].text = text
            changed.append(existing[patient_id])
    CheckIn.objects.bulk_update(changed, ["text"])
    CheckIn.objects.bulk_create(
        CheckIn(note=note, patient_id=patient_id, text=text)
        for patient_id, text in texts.items()
        if text and patient_id not in existing
    )


@transaction.atomic
def sign_note(*, note: Note, by: User) -> Note:
    """Sign and lock a note; a trainee's or unlicensed author's note waits for co-signature."""
    note = Note.objects.select_for_update().select_related("session").get(pk=note.pk)
    if note.is_locked:
        raise ValidationError("This note is already signed.")
    if note.author_id != by.pk:
        raise ValidationError("Only the author signs a note.")
    session = note.session
    missing = []
    if session.group_id:
        present = _present_ids(session)
        if not session.attendance.exists():
            missing.append("attendance")
        checked_in = set(note.check_ins.values_list("patient_id", flat=True))
        if present - checked_in:
            missing.append(f"check-ins for {len(present - checked_in)} present member(s)")
        if not note.topic_id and not note.topic_text:
            missing.append("the topic or skill")
        if not note.summary:
            missing.append("the summary")
    else:
        if not session.attendance.exists():
            missing.append("attendance")
        missing.extend(name for name in ("focus", "plan") if not getattr(note, name))
    if missing:
        raise ValidationError(f"Before signing, add {', '.join(missing)}.")
    if not by.is_licensed:
        if by.supervisor_id is None:
            raise ValidationError(
                "Your notes need a supervisor's co-signature, and no supervisor is set for you. "
                "Ask your program director."
            )
        note.cosigner_id = by.supervisor_id
    note.status, note.signed_at = Note.Status.SIGNED, timezone.now()
    note.save(update_fields=["status", "signed_at", "cosigner", "updated_at"])
    audit.record(actor=by, action=AuditAction.NOTE_SIGN, obj=note, data={"session_id": session.pk})
    return note


@transaction.atomic
def cosign_note(*, note: Note, by: User) -> Note:
    note = Note.objects.select_for_update().get(pk=note.pk)
    if not note.awaiting_cosign:
        raise ValidationError("This note is not waiting for a co-signature.")
    if by.pk != note.cosigner_id or not by.has_perm("therapy.cosign_note"):
        raise PermissionDenied("Only the author's supervisor co-signs this note.")
    note.cosigned_at = timezone.now()
    note.save(update_fields=["cosigned_at", "updated_at"])
    audit.record(
        actor=by, action=AuditAction.NOTE_COSIGN, obj=note, data={"session_id": note.session_id}
    )
    return note


@transaction.atomic
def add_addendum(*, note: Note, by: User, text: str) -> Addendum:
    _may_write_notes(by)
    if not note.is_locked:
        raise ValidationError("The note is still a draft: edit it instead.")
    if not text.strip():
        raise ValidationError({"text": "Write the correction or addition."})
    addendum = Addendum.objects.create(note=note, author=by, text=text.strip())
    audit.record(
        actor=by, action=AuditAction.NOTE_ADDENDUM, obj=note, data={"addendum_id": addendum.pk}
    )
    return addendum


# --- homework ---------------------------------------------------------------------------


@transaction.atomic
def assign_homework(
    *,
    session: Session,
    by: User,
    text: str,
    due_on: dt.date,
    patients: Iterable[Patient] | None = None,
) -> list[Homework]:
    """Assign homework at the end of a session, to everyone present or to some of them."""
    _may_write_notes(by)
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Describe the homework."})
    if len(text) > 500:
        raise ValidationError({"text": "Keep homework under 500 characters."})
    if due_on < session.date:
        raise ValidationError(
            {"due_on": "Homework cannot be due before the session it was set in."}
        )
    present = _present_ids(session)
    chosen = present if patients is None else {patient.pk for patient in patients}
    if not chosen:
        raise ValidationError("Nobody was present to take homework; take attendance first.")
    if chosen - present:
        raise ValidationError("Homework goes to members who were present.")
    assigned = Homework.objects.bulk_create(
        Homework(patient_id=patient_id, session=session, text=text, due_on=due_on, assigned_by=by)
        for patient_id in sorted(chosen)
    )
    for homework in assigned:
        audit.record(
            actor=by,
            action=AuditAction.HOMEWORK_ASSIGN,
            obj=homework,
            data={"session_id": session.pk},
        )
    return assigned


@transaction.atomic
def review_homework(
    *, homework: Homework, by: User, done: bool, session: Session | None = None
) -> Homework:
    """Mark homework done or not done, usually at the next session."""
    homework = Homework.objects.select_for_update().get(pk=homework.pk)
    homework.status = Homework.Status.DONE if done else Homework.Status.NOT_DONE
    homework.reviewed_in, homework.reviewed_by, homework.reviewed_at = session, by, timezone.now()
    homework.save(update_fields=["status", "reviewed_in", "reviewed_by", "reviewed_at"])
    audit.record(actor=by, action=AuditAction.HOMEWORK_REVIEW, obj=homework, data={"done": done})
    return homework
