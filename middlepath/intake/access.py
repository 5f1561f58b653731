"""Who may see and work which inquiry: the one place this rule lives.

Inquiries hold PHI from the first contact. Only roles with `intake.view_inquiry` (intake
coordinators, program directors, administrators) see the queue, and only for the locations
they work at, plus the inquiries that named no location (any site may take those up).
An inquiry the user may not see is reported as not found, so ids cannot be probed.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from middlepath.accounts.models import User
from middlepath.clinic.models import Location
from middlepath.intake.models import OPEN_STATUSES, Inquiry, InquiryQuerySet

VIEW = "intake.view_inquiry"
CHANGE = "intake.change_inquiry"
ADD = "intake.add_inquiry"
OVERRIDE = "intake.override_pipeline"
# Admitting registers a patient and opens an episode: the chart's own permissions.
ADMIT = ("intake.change_inquiry", "care.add_patient", "care.add_episode")


def visible_inquiries(user: User) -> InquiryQuerySet:
    if not user.is_authenticated or not user.has_perm(VIEW):
        return Inquiry.objects.none()
    return Inquiry.objects.for_locations(user.location_ids())


def get_inquiry_for_user(user: User, pk: int, *, permission: str = VIEW) -> Inquiry:
    """The inquiry with id `pk`, if `user` may see it and holds `permission` for it."""
    if not user.has_perm(VIEW):
        raise PermissionDenied("Your role does not include the inquiry queue.")
    try:
        inquiry = (
            visible_inquiries(user).select_related("location", "assigned_to", "patient").get(pk=pk)
        )
    except (Inquiry.DoesNotExist, ValueError, TypeError):
        raise Http404("No such inquiry.") from None
    if not user.has_perm(permission):
        raise PermissionDenied("Your role does not allow this change.")
    return inquiry


def can_admit(user: User) -> bool:
    return user.has_perms(ADMIT)


def queue_locations(user: User):
    return Location.objects.filter(pk__in=user.location_ids())


def dashboard_counts(user: User, location: Location) -> list[dict[str, object]] | None:
    """Open inquiries per status for the dashboard at `location`; None without the role.

    Inquiries that named no location are counted at every location, as they are in the
    queue: any site may take them up.
    """
    if not user.has_perm(VIEW) or location.pk not in user.location_ids():
        return None
    counts = visible_inquiries(user).for_locations([location.pk]).open().count_by_status()
    return [
        {"status": status.value, "label": status.label, "count": counts.get(status.value, 0)}
        for status in OPEN_STATUSES
    ]
