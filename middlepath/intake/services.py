"""Every change to an inquiry: one function each, atomic and audited.

The public form, the staff pages, the API and the tests call these; nothing else saves the
intake models. Each raises django.core.exceptions.ValidationError with a message for the
user when the change is not allowed (code "conflict" when the inquiry's current state is
the obstacle), and then nothing of it is saved. Audit entries carry ids and codes, never
what the person told us.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from middlepath.accounts.models import User
from middlepath.billing import services as billing
from middlepath.care import services as care
from middlepath.care.models import EPISODE_LEVELS, Episode, Patient
from middlepath.clinic.models import Location, Phase, Track
from middlepath.intake import recommend
from middlepath.intake.access import OVERRIDE, VIEW
from middlepath.intake.models import (
    BenefitsVerification,
    CloseReason,
    ContactAttempt,
    ContactMethod,
    ContactOutcome,
    Inquiry,
    InquiryStatus,
    InquiryStatusChange,
    Insurance,
    PaymentKind,
    Screening,
    Source,
    normalize_name,
)
from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction

logger = logging.getLogger(__name__)
S = InquiryStatus

# What a person (or staff taking a call) may tell us about a request.
INQUIRY_FIELDS = (
    "location",
    "first_name",
    "last_name",
    "phone",
    "email",
    "best_time",
    "ok_to_leave_message",
    "for_whom",
    "loved_one_name",
    "relationship",
    "needs",
    "schedule_preference",
    "insurance",
    "payer_name",
    "member_id",
)
# Staff may also correct these later.
EDITABLE_FIELDS = (*INQUIRY_FIELDS, "date_of_birth")
SCREENING_FIELDS = (
    "substances",
    "substances_note",
    "last_use",
    "withdrawal",
    "medical",
    "psychiatric",
    "suicidal_thoughts",
    "safe_housing",
    "others_using_at_home",
    "sober_support",
    "obligations",
    "readiness",
    "stepping_down",
    "notes",
)
BENEFITS_FIELDS = (
    "payment",
    *BenefitsVerification.INSURANCE_ONLY,
    "day_rate",
    "weeks",
    "days_per_week",
    *BenefitsVerification.SELF_PAY_ONLY,
    "notes",
)
# A second identical submission this soon is a double click or a resent page, not news.
RESUBMIT_WINDOW = dt.timedelta(minutes=30)
INSURANCE_FOR_PAYER = {
    "medicaid": Insurance.MEDICAID,
    "medicare": Insurance.MEDICARE,
    "commercial": Insurance.PRIVATE,
    "other": Insurance.PRIVATE,
}


def _check_fields(values: Mapping[str, Any], allowed: tuple[str, ...], what: str) -> None:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ValidationError(f"Unknown {what} fields: {', '.join(unknown)}.")


def _conflict(message: str) -> ValidationError:
    return ValidationError(message, code="conflict")


def _locked(inquiry: Inquiry) -> Inquiry:
    """The inquiry as it is now in the database, its row locked until the transaction ends.

    Two coordinators working the same inquiry take turns, so a status is never moved twice
    from the same starting point. A fresh instance: the caller's copy is left as it was,
    also when the change is refused.
    """
    fresh = Inquiry(pk=inquiry.pk)
    fresh._state.adding = False  # a row that exists: validation must not treat it as new
    fresh.refresh_from_db(from_queryset=Inquiry.objects.select_for_update())
    return fresh


def _move(
    inquiry: Inquiry,
    to: str,
    *,
    by: User | None,
    reason: str = "",
    override: bool = False,
    **fields: Any,
) -> InquiryStatusChange:
    """Move `inquiry` (locked by the caller) to status `to`, with its row, and save it."""
    problem = inquiry.transition_problem(to)
    overridden = False
    if problem:
        if not override or inquiry.transition_problem(to, override=True):
            raise _conflict(problem)
        if by is None or not by.has_perm(OVERRIDE):
            raise _conflict(f"{problem} Only a program director may override this step.")
        if not reason.strip():
            raise ValidationError({"override_reason": "Say why this step is skipped."})
        overridden = True
    now = timezone.now()
    change = InquiryStatusChange.objects.create(
        inquiry=inquiry,
        from_status=inquiry.status,
        to_status=to,
        changed_at=now,
        changed_by=by,
        reason=reason.strip(),
        overridden=overridden,
    )
    inquiry.status = to
    inquiry.status_changed_at = now
    for name, value in fields.items():
        setattr(inquiry, name, value)
    inquiry.full_clean()
    inquiry.save()
    return change


def _normalized(fields: Mapping[str, Any]) -> dict[str, Any]:
    names = ("first_name", "last_name", "loved_one_name")
    return {
        key: normalize_name(value) if key in names and isinstance(value, str) else value
        for key, value in fields.items()
    }


def _identical_recent(fields: Mapping[str, Any]) -> Inquiry | None:
    since = timezone.now() - RESUBMIT_WINDOW
    return (
        Inquiry.objects.open()
        .filter(received_at__gte=since, source=Source.WEB_FORM, **fields)
        .order_by("-received_at")
        .first()
    )


@transaction.atomic
def submit_inquiry(
    *,
    by: User | None,
    source: str = Source.WEB_FORM,
    site_url: str = "",
    notify: bool = True,
    **fields: Any,
) -> Inquiry:
    """Record a request for help and tell the intake team a request is waiting.

    `by` is None for the public form. `site_url` (scheme and host) makes the link in the
    notification absolute; `notify=False` sends none (the demo clinic's made-up requests).
    Submitting the very same request again within half an hour returns the first one
    instead of queueing a copy. Staff may add the date of birth.
    """
    _check_fields(fields, INQUIRY_FIELDS if by is None else EDITABLE_FIELDS, "inquiry")
    fields = _normalized(fields)
    if source == Source.WEB_FORM:
        duplicate = _identical_recent(fields)
        if duplicate is not None:
            return duplicate
    inquiry = Inquiry(source=source, **fields)
    inquiry.full_clean()
    inquiry.save()
    InquiryStatusChange.objects.create(
        inquiry=inquiry, to_status=S.NEW, changed_at=inquiry.received_at, changed_by=by
    )
    audit.record(
        actor=by,
        action=AuditAction.INQUIRY_CREATE,
        obj=inquiry,
        data={"source": source, "location_id": inquiry.location_id},
    )
    inquiry_id, location_id = inquiry.pk, inquiry.location_id
    if notify:
        transaction.on_commit(lambda: notify_intake(inquiry_id, location_id, site_url=site_url))
    return inquiry


def notify_intake(inquiry_id: int, location_id: int | None, *, site_url: str = "") -> int:
    """Email the intake address(es) that a request is waiting; returns the emails sent.

    The email holds no PHI, by design: only that a request is waiting and a link to it,
    which needs a staff sign-in to open. With no preferred location every site is told.
    A mail failure is logged and swallowed: the request is safe in the queue regardless.
    """
    locations = Location.objects.filter(is_active=True)
    if location_id is not None:
        locations = Location.objects.filter(pk=location_id)
    recipients = sorted({loc.intake_email for loc in locations if loc.intake_email})
    if not recipients:
        logger.warning("No intake email address for inquiry %s; it waits in the queue.", inquiry_id)
        return 0
    link = site_url.rstrip("/") + reverse("intake:detail", args=[inquiry_id])
    body = (
        f"A consultation request (number {inquiry_id}) is waiting in the intake queue.\n\n"
        f"Open it here (staff sign-in needed):\n{link}\n\n"
        "This email leaves out everything about the person on purpose; "
        "their details are only in Middlepath.\n"
    )
    try:
        return send_mail(
            "A consultation request is waiting",
            body,
            settings.DEFAULT_FROM_EMAIL,
            recipients,
        )
    except Exception:  # the request is stored; a mail outage must not lose or fail it
        logger.exception("Could not send the intake notification for inquiry %s.", inquiry_id)
        return 0


@transaction.atomic
def update_inquiry(*, inquiry: Inquiry, by: User, changes: Mapping[str, Any]) -> list[str]:
    """Correct what the inquiry says; returns the names of the fields that changed."""
    _check_fields(changes, EDITABLE_FIELDS, "inquiry")
    changes = _normalized(changes)
    inquiry = _locked(inquiry)
    if inquiry.status == S.ADMITTED:
        raise _conflict("This person is admitted: change their details in the chart.")
    changed = [name for name, value in changes.items() if getattr(inquiry, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(inquiry, name, changes[name])
    inquiry.full_clean()
    inquiry.save()
    audit.record(
        actor=by, action=AuditAction.INQUIRY_UPDATE, obj=inquiry, data={"fields": sorted(changed)}
    )
    return changed


def _check_handler(inquiry: Inquiry, user: User) -> None:
    if not user.is_active or not user.has_perm(VIEW):
        raise ValidationError({"assigned_to": f"{user} does not work the intake queue."})
    if inquiry.location_id and inquiry.location_id not in user.location_ids():
        raise ValidationError({"assigned_to": f"{user} does not work at {inquiry.location}."})


@transaction.atomic
def assign_inquiry(*, inquiry: Inquiry, by: User, to: User | None) -> Inquiry:
    """Say who handles the inquiry (None: nobody yet)."""
    inquiry = _locked(inquiry)
    if to is not None:
        _check_handler(inquiry, to)
    if inquiry.assigned_to_id == (to.pk if to else None):
        return inquiry
    inquiry.assigned_to = to
    inquiry.save(update_fields=["assigned_to", "updated_at"])
    audit.record(
        actor=by,
        action=AuditAction.INQUIRY_ASSIGN,
        obj=inquiry,
        data={"assigned_to_id": to.pk if to else None},
    )
    return inquiry


@transaction.atomic
def log_contact(
    *,
    inquiry: Inquiry,
    by: User,
    method: str,
    outcome: str,
    note: str = "",
    attempted_at: dt.datetime | None = None,
) -> ContactAttempt:
    """Log a call, text or email to the person. Reaching them moves a new inquiry on.

    Whoever first works an unassigned inquiry becomes its handler.
    """
    inquiry = _locked(inquiry)
    if not inquiry.is_open:
        raise _conflict(
            f"This inquiry is {inquiry.get_status_display().lower()}; "
            "reopen it before logging contacts."
        )
    if outcome == ContactOutcome.LEFT_MESSAGE and not inquiry.ok_to_leave_message:
        raise ValidationError(
            {"outcome": "They asked that no message be left: confidentiality comes first."}
        )
    if method in (ContactMethod.CALL, ContactMethod.TEXT) and not inquiry.phone:
        raise ValidationError({"method": "There is no phone number on this inquiry."})
    if method == ContactMethod.EMAIL and not inquiry.email:
        raise ValidationError({"method": "There is no email address on this inquiry."})
    now = timezone.now()
    attempted_at = attempted_at or now
    if attempted_at > now + dt.timedelta(minutes=5):
        raise ValidationError({"attempted_at": "A contact cannot be logged ahead of time."})
    contact = ContactAttempt(
        inquiry=inquiry,
        method=method,
        outcome=outcome,
        note=note.strip(),
        attempted_at=attempted_at,
        by=by,
    )
    contact.full_clean()
    contact.save()
    if inquiry.assigned_to_id is None and by.has_perm(VIEW):
        inquiry.assigned_to = by
        inquiry.save(update_fields=["assigned_to", "updated_at"])
    if outcome == ContactOutcome.REACHED and inquiry.status == S.NEW:
        _move(inquiry, S.CONTACTED, by=by)
    audit.record(
        actor=by,
        action=AuditAction.INQUIRY_CONTACT,
        obj=inquiry,
        data={"contact_id": contact.pk, "method": method, "outcome": outcome},
    )
    return contact


# Statuses in which a (new) screening may be recorded: after a conversation, before the end.
SCREENABLE = (S.CONTACTED, S.SCREENED, S.BENEFITS_VERIFIED, S.ADMISSION_SCHEDULED)


@transaction.atomic
def record_screening(
    *,
    inquiry: Inquiry,
    by: User,
    chosen_level: str = "",
    override_reason: str = "",
    **answers: Any,
) -> Screening:
    """Record a screening and the level of care it suggests (see recommend.py).

    `chosen_level` differs from the suggestion only with an `override_reason`. A later
    screening replaces an earlier one as the current one; the earlier stays on record.
    """
    _check_fields(answers, SCREENING_FIELDS, "screening")
    inquiry = _locked(inquiry)
    if inquiry.status == S.NEW:
        raise _conflict("Log a contact first: a screening is a conversation with the person.")
    if inquiry.status not in SCREENABLE:
        raise _conflict(f"This inquiry is {inquiry.get_status_display().lower()}.")
    screening = Screening(inquiry=inquiry, by=by, **answers)
    screening.full_clean(
        exclude=["recommended_level", "reasons", "cautions", "urgent", "chosen_level"]
    )
    suggestion = recommend.recommend(screening.answers())
    chosen = chosen_level or suggestion.level
    if chosen not in recommend.Level.__members__.values():
        raise ValidationError({"chosen_level": "Pick one of the three levels of care."})
    override_reason = override_reason.strip() if chosen != suggestion.level else ""
    if chosen != suggestion.level and not override_reason:
        raise ValidationError(
            {"override_reason": "Say why you chose a level other than the suggested one."}
        )
    screening.recommended_level = suggestion.level
    screening.reasons = [{"code": r.code, "text": r.text} for r in suggestion.reasons]
    screening.cautions = [{"code": r.code, "text": r.text} for r in suggestion.cautions]
    screening.urgent = suggestion.urgent
    screening.chosen_level = chosen
    screening.override_reason = override_reason
    screening.full_clean()
    screening.save()
    if inquiry.status == S.CONTACTED:
        _move(inquiry, S.SCREENED, by=by)
    audit.record(
        actor=by,
        action=AuditAction.INQUIRY_SCREEN,
        obj=inquiry,
        data={"screening_id": screening.pk, "overridden": screening.is_overridden},
    )
    return screening


VERIFIABLE = (S.SCREENED, S.BENEFITS_VERIFIED, S.ADMISSION_SCHEDULED)


@transaction.atomic
def record_benefits(*, inquiry: Inquiry, by: User, **fields: Any) -> BenefitsVerification:
    """Record a verification of benefits, or a self-pay arrangement.

    What the payer confirmed is better knowledge than what the form said, so the inquiry's
    insurance, payer and member id follow the verification.
    """
    _check_fields(fields, BENEFITS_FIELDS, "benefits")
    inquiry = _locked(inquiry)
    if inquiry.status in (S.NEW, S.CONTACTED):
        raise _conflict("Screen the person first; benefits are verified after screening.")
    if inquiry.status not in VERIFIABLE:
        raise _conflict(f"This inquiry is {inquiry.get_status_display().lower()}.")
    verification = BenefitsVerification(inquiry=inquiry, by=by, **fields)
    verification.full_clean()
    verification.save()
    if verification.payment == PaymentKind.SELF_PAY:
        inquiry.insurance, inquiry.payer_name, inquiry.member_id = Insurance.NONE, "", ""
    else:
        inquiry.insurance = INSURANCE_FOR_PAYER.get(verification.payer_type, Insurance.PRIVATE)
        inquiry.payer_name = verification.payer_name
        inquiry.member_id = verification.member_id
    if inquiry.status == S.SCREENED:
        _move(inquiry, S.BENEFITS_VERIFIED, by=by)
    else:
        inquiry.full_clean()
        inquiry.save()
    audit.record(
        actor=by,
        action=AuditAction.INQUIRY_BENEFITS,
        obj=inquiry,
        data={"verification_id": verification.pk, "payment": verification.payment},
    )
    return verification


def _today_at(inquiry: Inquiry) -> dt.date:
    return inquiry.location.today() if inquiry.location_id else timezone.localdate()


@transaction.atomic
def schedule_admission(
    *, inquiry: Inquiry, by: User, on: dt.date, override_reason: str = ""
) -> Inquiry:
    """Set (or move) the admission date. Skipping steps needs a director's override."""
    inquiry = _locked(inquiry)
    today = _today_at(inquiry)
    if on < today:
        raise ValidationError({"on": "Pick today or a later date."})
    if on > today + dt.timedelta(days=60):
        raise ValidationError({"on": "More than 60 days ahead is almost surely a typo."})
    if inquiry.status == S.ADMISSION_SCHEDULED:
        previous = inquiry.admission_scheduled_for
        inquiry.admission_scheduled_for = on
        inquiry.save(update_fields=["admission_scheduled_for", "updated_at"])
        data = {"to": S.ADMISSION_SCHEDULED, "rescheduled": previous != on}
    else:
        _move(
            inquiry,
            S.ADMISSION_SCHEDULED,
            by=by,
            reason=override_reason,
            override=bool(override_reason.strip()),
            admission_scheduled_for=on,
        )
        data = {"to": S.ADMISSION_SCHEDULED, "overridden": bool(override_reason.strip())}
    audit.record(actor=by, action=AuditAction.INQUIRY_STATUS, obj=inquiry, data=data)
    return inquiry


@transaction.atomic
def close_inquiry(*, inquiry: Inquiry, by: User, reason: str, note: str = "") -> Inquiry:
    """Close an open inquiry with a reason (and a note, which "other" requires)."""
    inquiry = _locked(inquiry)
    if reason not in CloseReason.values:
        raise ValidationError({"reason": "Pick why the inquiry is closed."})
    if reason == CloseReason.OTHER and not note.strip():
        raise ValidationError({"note": "Say why the inquiry is closed."})
    _move(
        inquiry,
        S.CLOSED,
        by=by,
        reason=note.strip() or CloseReason(reason).label,
        close_reason=reason,
        admission_scheduled_for=None,
    )
    audit.record(
        actor=by,
        action=AuditAction.INQUIRY_STATUS,
        obj=inquiry,
        data={"to": S.CLOSED, "close_reason": reason},
    )
    return inquiry


@transaction.atomic
def reopen_inquiry(*, inquiry: Inquiry, by: User, reason: str) -> Inquiry:
    """Put a closed inquiry back in the queue as new, saying why."""
    inquiry = _locked(inquiry)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the inquiry is reopened."})
    _move(inquiry, S.NEW, by=by, reason=reason, close_reason="")
    audit.record(actor=by, action=AuditAction.INQUIRY_STATUS, obj=inquiry, data={"to": S.NEW})
    return inquiry


def matching_patient(*, first_name: str, last_name: str, date_of_birth: dt.date) -> Patient | None:
    """The chart of this person, if one exists: same name (any case) and date of birth.

    Searched across every location: a second chart for a person treated at another site
    would split their record. Two or more matches are already duplicates; admission stops
    rather than guess which one is right.
    """
    matches = list(
        Patient.objects.filter(
            first_name__iexact=first_name.strip(),
            last_name__iexact=last_name.strip(),
            date_of_birth=date_of_birth,
        )[:2]
    )
    if len(matches) > 1:
        raise _conflict(
            "More than one chart has this name and date of birth. Ask an administrator to "
            "merge them before admitting."
        )
    return matches[0] if matches else None


@transaction.atomic
def admit_inquiry(
    *,
    inquiry: Inquiry,
    by: User,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    track: Track,
    phase: Phase,
    admitted_on: dt.date,
    referral_source: str,
    level_of_care: str,
    primary_counselor: User | None = None,
    phone: str = "",
    email: str = "",
    ok_to_leave_message: bool = False,
    override_reason: str = "",
) -> Episode:
    """Admit the person: find or register the patient, open an episode, carry coverage over.

    All of it or nothing: any refusal or failure on the way rolls the whole admission back.
    """
    inquiry = _locked(inquiry)
    override = bool(override_reason.strip())
    problem = inquiry.transition_problem(S.ADMITTED)
    screening = inquiry.screenings.order_by("-screened_at", "-pk").first()
    if problem is None and screening is not None and screening.episode_level is None:
        problem = "The screening's level of care is inpatient or residential: refer the person on."
    if problem is not None:
        if inquiry.transition_problem(S.ADMITTED, override=True):
            raise _conflict(problem)
        if not override:
            raise _conflict(f"{problem} A program director may override with a reason.")
        if not by.has_perm(OVERRIDE):
            raise _conflict(f"{problem} Only a program director may override this step.")
    if level_of_care not in EPISODE_LEVELS:
        raise ValidationError({"level_of_care": "An outpatient episode is at level 1, 2.1 or 2.5."})
    first_name, last_name = normalize_name(first_name), normalize_name(last_name)
    patient = matching_patient(
        first_name=first_name, last_name=last_name, date_of_birth=date_of_birth
    )
    existing = patient is not None
    if patient is None:
        patient = care.register_patient(
            by=by,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            date_of_birth=date_of_birth,
            phone=phone,
            email=email,
            ok_to_leave_message=ok_to_leave_message,
            location=track.location,
        )
    episode = care.open_episode(
        patient=patient,
        by=by,
        track=track,
        phase=phase,
        admitted_on=admitted_on,
        referral_source=referral_source,
        level_of_care=level_of_care,
        primary_counselor=primary_counselor,
    )
    coverage = None
    verification = inquiry.verifications.order_by("-verified_at", "-pk").first()
    if verification is not None and verification.payment == PaymentKind.INSURANCE:
        coverage = billing.add_coverage(
            patient=patient,
            by=by,
            payer_type=verification.payer_type,
            payer_name=verification.payer_name,
            member_id=verification.member_id,
            plan_type=verification.plan_type,
            in_network=verification.in_network,
            effective_from=verification.coverage_from,
            effective_to=verification.coverage_to,
        )
    change = _move(
        inquiry,
        S.ADMITTED,
        by=by,
        reason=override_reason,
        override=override,
        patient=patient,
        episode=episode,
        location=track.location,
        date_of_birth=date_of_birth,
        admission_scheduled_for=None,
    )
    if problem is not None and not change.overridden:
        # The pipeline allowed the move; what was overridden is the screening's level.
        InquiryStatusChange.objects.filter(pk=change.pk).update(overridden=True)
    audit.record(
        actor=by,
        action=AuditAction.INQUIRY_ADMIT,
        obj=inquiry,
        data={
            "episode_id": episode.pk,
            "existing_patient": existing,
            "coverage_id": coverage.pk if coverage else None,
            "overridden": problem is not None,
        },
    )
    return episode
