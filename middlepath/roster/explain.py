"""Why a patient could not be given a full week: plain reasons for the director.

Pure Python on the roster format, beside the solver: it looks for the first constraint
that rules the patient out, so the director knows what to change (a day, a facilitator's
hours, a room).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from middlepath.roster.instance import Instance, parse_instance

DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}


def _days(names: list[str]) -> str:
    labels = [DAY_NAMES.get(name, name) for name in names]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]


def explain_unmet(
    instance: Instance | Mapping[str, Any], solution: Mapping[str, Any]
) -> dict[str, str]:
    """A reason for every patient listed as unmet in `solution`."""
    if not isinstance(instance, Instance):
        instance = parse_instance(instance)
    return {patient_id: _reason(instance, patient_id) for patient_id in solution.get("unmet", [])}


def _reason(instance: Instance, patient_id: str) -> str:
    patient = instance.patient_by_id[patient_id]
    blocks = [instance.block_by_id[block_id] for block_id in patient.blocks]
    if len(blocks) < patient.min_days:
        return (
            f"only {len(blocks)} available day{'s' if len(blocks) != 1 else ''}; "
            f"their phase needs at least {patient.min_days}"
        )
    longest = sorted((sum(slot.minutes for slot in block.slots) for block in blocks), reverse=True)
    reachable = sum(longest[: patient.max_days])
    if reachable < patient.target_minutes:
        return (
            f"their available days give at most {reachable} minutes, short of the "
            f"{patient.target_minutes}-minute weekly target"
        )
    slot_ids = {slot.id for block in blocks for slot in block.slots}
    for type_code, count in sorted(patient.needs.items()):
        if count <= 0:
            continue
        leaders = [
            member
            for member in instance.staff
            if member.location == patient.location
            and type_code in member.facilitates
            and member.slots & slot_ids
        ]
        if not leaders:
            return f"no facilitator for {type_code} groups on {_days([b.day for b in blocks])}"
        group_type = instance.group_types[type_code]
        if group_type.same_stage:
            peers = [
                other
                for other in instance.patients
                if other.location == patient.location
                and other.track == patient.track
                and other.stage == patient.stage
                and set(other.blocks) & set(patient.blocks)
            ]
            if len(peers) < group_type.min_size:
                return (
                    f"only {len(peers)} patients in {patient.stage} recovery can come on their "
                    f"days; a {type_code} group needs {group_type.min_size}"
                )
    return (
        "the groups that fit their days were full, or rooms and staff hours ran out: "
        "more facilitator slots or another room would help"
    )
