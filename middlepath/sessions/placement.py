"""Where a newly admitted patient can sit: groups of their track with a free seat."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from middlepath.care.models import Patient
from middlepath.sessions.models import Membership, TherapyGroup
from middlepath.sessions.services import patterns_overlap


@dataclass(frozen=True)
class Suggestion:
    group: TherapyGroup
    members: int

    @property
    def free_seats(self) -> int:
        return self.group.group_type.max_size - self.members


def suggest_groups(patient: Patient, *, day: dt.date) -> list[Suggestion]:
    """Active groups of the patient's track with space, their stage fitting the patient's
    where the group type needs one stage, not clashing with groups they already attend.

    Emptier groups first within each type: a new member helps a small group most.
    """
    episode = patient.episodes.open().first()
    if episode is None:
        return []
    current = list(
        TherapyGroup.objects.filter(
            memberships__in=Membership.objects.filter(patient=patient).current()
        )
    )
    groups = (
        TherapyGroup.objects.active()
        .filter(track_id=episode.track_id)
        .exclude(pk__in=[group.pk for group in current])
        .with_member_count(day)
        .select_related("group_type", "facilitator", "room")
        .order_by("group_type__name", "name")
    )
    suggestions = [
        Suggestion(group, group.member_count)
        for group in groups
        if group.member_count < group.group_type.max_size
        and (not group.group_type.same_stage or group.stage == patient.recovery_stage)
        and not any(patterns_overlap(group, other) for other in current)
    ]
    return sorted(suggestions, key=lambda s: (s.group.group_type.name, s.members, s.group.name))
