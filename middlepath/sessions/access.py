"""Who may see and change which groups, sessions and notes: the one place these rules live.

Groups and sessions are seen by staff of their location with the schedule permissions;
notes (clinical content) only by clinical roles. Records of another location are
reported as not found.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from middlepath.accounts.models import User
from middlepath.sessions.models import (
    Note,
    Session,
    SessionQuerySet,
    TherapyGroup,
    TherapyGroupQuerySet,
)


def _require(user: User, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied("Your role does not allow this.")


def visible_groups(user: User) -> TherapyGroupQuerySet:
    if not user.has_perm("therapy.view_therapygroup"):
        return TherapyGroup.objects.none()
    return TherapyGroup.objects.at(user.location_ids())


def visible_sessions(user: User) -> SessionQuerySet:
    if not user.has_perm("therapy.view_session"):
        return Session.objects.none()
    return Session.objects.at(user.location_ids())


def get_group_for_user(
    user: User, pk: int, *, permission: str = "therapy.view_therapygroup"
) -> TherapyGroup:
    _require(user, "therapy.view_therapygroup")
    try:
        group = (
            visible_groups(user)
            .select_related(
                "group_type",
                "track__location",
                "track__program",
                "room",
                "facilitator",
                "co_facilitator",
            )
            .get(pk=pk)
        )
    except (TherapyGroup.DoesNotExist, ValueError, TypeError):
        raise Http404("No such group.") from None
    _require(user, permission)
    return group


def get_session_for_user(
    user: User, pk: int, *, permission: str = "therapy.view_session"
) -> Session:
    _require(user, "therapy.view_session")
    try:
        session = (
            visible_sessions(user)
            .select_related(
                "group__group_type", "patient", "location", "room", "facilitator", "co_facilitator"
            )
            .get(pk=pk)
        )
    except (Session.DoesNotExist, ValueError, TypeError):
        raise Http404("No such session.") from None
    _require(user, permission)
    return session


def may_read_notes(user: User) -> bool:
    return user.has_perm("therapy.view_note")


def get_note_for_user(user: User, session: Session) -> Note | None:
    """The session's note, for clinical staff; None when there is none yet."""
    _require(user, "therapy.view_note")
    return (
        Note.objects.filter(session=session).select_related("author", "cosigner", "topic").first()
    )
