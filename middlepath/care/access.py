"""Who may see and change which patient: the one place this rule lives.

HTML views, the API, FHIR and commands all call these helpers. A user sees the patients
of the locations they work at, and only with the role permission for the action.
A patient the user may not see is reported as not found, so ids cannot be probed.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from middlepath.accounts.models import User
from middlepath.care.models import Episode, Patient, PatientQuerySet


def visible_patients(user: User) -> PatientQuerySet:
    if not user.is_authenticated or not user.has_perm("care.view_patient"):
        return Patient.objects.none()
    return Patient.objects.at(user.location_ids())


def get_patient_for_user(user: User, pk: int, *, write: bool = False) -> Patient:
    """The patient with id `pk`, if `user` may see it (and change it, with `write`)."""
    if not user.has_perm("care.view_patient"):
        raise PermissionDenied("Your role does not include patient records.")
    try:
        patient = visible_patients(user).select_related("location").get(pk=pk)
    except (Patient.DoesNotExist, ValueError, TypeError):
        raise Http404("No such patient.") from None
    if write and not user.has_perm("care.change_patient"):
        raise PermissionDenied("Your role cannot change patient details.")
    return patient


def get_episode_for_user(user: User, pk: int, *, permission: str = "care.view_episode") -> Episode:
    """The episode with id `pk`, if its patient is visible and `user` holds `permission`."""
    if not user.has_perm("care.view_episode"):
        raise PermissionDenied("Your role does not include episodes of care.")
    try:
        episode = Episode.objects.select_related("patient", "track", "phase", "location").get(
            pk=pk, patient__in=visible_patients(user)
        )
    except (Episode.DoesNotExist, ValueError, TypeError):
        raise Http404("No such episode.") from None
    if not user.has_perm(permission):
        raise PermissionDenied("Your role does not allow this change.")
    return episode
