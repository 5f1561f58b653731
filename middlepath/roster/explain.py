"""Why a patient could not be given a full week: plain reasons for the director.

Pure Python on the roster format, beside the solver: it looks first for a rule of the week
that rules the patient out whatever the roster, then at the roster itself: the days it left
no seat for them on, and why no other group could open there (every room in use, no
counselor free, too few people for a new group), or the free seats that make their week
(`free_seating` names them, for seating the patient in one click), so that the director
knows what to change (a day, a counselor's hours, a room) or can seat them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

from middlepath.roster.instance import Block, Instance, Patient, parse_instance
from middlepath.roster.matching import match

DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
# Why a slot had no seat for a patient, most binding first.
_CAUSES = (
    "every room in use",
    "no counselor free to lead another group",
    "a new group needs at least {} people",
)


def _days(names: list[str], joined_by: str = "or") -> str:
    """The days in week order, as a reader would list them."""
    order = list(DAY_NAMES)
    ordered = sorted(names, key=lambda name: order.index(name) if name in order else len(order))
    labels = [DAY_NAMES.get(name, name) for name in ordered]
    if len(labels) == 1:
        return labels[0]
    return ", ".join(labels[:-1]) + f" {joined_by} " + labels[-1]


def explain_unmet(
    instance: Instance | Mapping[str, Any], solution: Mapping[str, Any]
) -> dict[str, str]:
    """A reason for every patient listed as unmet in `solution` (its sessions, if it has
    any, say what the roster left free)."""
    if not isinstance(instance, Instance):
        instance = parse_instance(instance)
    roster = _Roster(instance, solution.get("sessions", []))
    reasons = {}
    for patient_id in solution.get("unmet", []):
        patient = instance.patient_by_id[patient_id]
        reasons[patient_id] = _ruled_out(instance, patient) or roster.reason(patient)
    return reasons


def seatable_unmet(instance: Instance | Mapping[str, Any], solution: Mapping[str, Any]) -> set[str]:
    """The patients listed as unmet in `solution` whom its free seats give a whole week
    (`free_seating` finds each one's seats)."""
    if not isinstance(instance, Instance):
        instance = parse_instance(instance)
    roster = _Roster(instance, solution.get("sessions", []))
    return {
        patient_id
        for patient_id in solution.get("unmet", [])
        if roster.seating(instance.patient_by_id[patient_id]) is not None
    }


def free_seating(
    instance: Instance | Mapping[str, Any], solution: Mapping[str, Any], patient_id: str
) -> dict[str, str] | None:
    """A seat for the patient in every slot of whole days of theirs, among the free seats of
    `solution`'s sessions, that gives them their whole plan (slot id: session id); None if
    the free seats do not make their week."""
    if not isinstance(instance, Instance):
        instance = parse_instance(instance)
    patient = instance.patient_by_id.get(patient_id)
    if patient is None:
        return None
    return _Roster(instance, solution.get("sessions", [])).seating(patient)


def _ruled_out(instance: Instance, patient: Patient) -> str | None:
    """The first rule of the week that leaves the patient out whatever the roster."""
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
                who = "patient" if len(peers) == 1 else "patients"
                return (
                    f"only {len(peers)} {who} in {patient.stage} recovery can come on their "
                    f"days; a {type_code} group needs {group_type.min_size}"
                )
    return None


class _Roster:
    """What a roster leaves free, slot by slot: seats in its sessions, rooms, counselors."""

    def __init__(self, instance: Instance, sessions: Sequence[Mapping[str, Any]]) -> None:
        self.instance = instance
        self.in_slot: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for session in sessions:
            self.in_slot[session["slot"]].append(session)
        self.led = Counter(session["facilitator"] for session in sessions)
        self.smallest = min((t.min_size for t in instance.group_types.values()), default=0)

    def reason(self, patient: Patient) -> str:
        """What in the roster leaves the patient without a full week."""
        blocks, offers = self._offers(patient)
        week = self._free_week(patient, blocks, offers)
        if week is not None:
            days = _days([b.day for b in week], "and")
            return f"the free seats on {days} make their week: they can be seated by hand"
        full = [b for b in blocks if not all(offers[slot.id] for slot in b.slots)]
        if full:
            causes = sorted(
                {
                    self._why_full(patient.location, slot.id)
                    for block in full
                    for slot in block.slots
                    if not offers[slot.id]
                }
            )
            why = "; ".join(_CAUSES[cause].format(self.smallest) for cause in causes)
            reason = f"no free seat for them on {_days([b.day for b in full], 'and')} ({why})"
            rest = [b.day for b in blocks if b not in full]
            if rest:
                verb = "does" if len(rest) == 1 else "do"
                reason += f", and {_days(rest, 'and')} alone {verb} not make their week"
            return reason
        # Every day has a seat in every slot, but not of the types the plan needs.
        lacking = [
            type_name
            for type_name, count in sorted(patient.needs.items())
            if sum(type_name in offered for offered in offers.values()) < count
        ]
        groups = ", ".join(self._groups(type_name, patient) for type_name in lacking)
        return f"too few free seats in {groups or 'the groups their plan needs'} on their days"

    def _groups(self, type_name: str, patient: Patient) -> str:
        group_type = self.instance.group_types.get(type_name)
        if group_type is not None and group_type.same_stage:
            return f"{patient.stage}-recovery {type_name} groups"
        return f"{type_name} groups"

    def seating(self, patient: Patient) -> dict[str, str] | None:
        """A seat in the roster's free seats for every slot of the days that make the
        patient's week (slot id: session id), or None."""
        blocks, offers = self._offers(patient)
        week = self._free_week(patient, blocks, offers)
        if week is None:
            return None
        slots = [slot.id for block in week for slot in block.slots]
        kinds = _matching(patient.needs, [offers[slot_id] for slot_id in slots]) or {}
        seating = {}
        for n, slot_id in enumerate(slots):
            # The type a need was matched to, else any free one; the emptiest such session.
            wanted = kinds.get(n) or sorted(offers[slot_id])[0]
            seating[slot_id] = min(
                (
                    session
                    for session in self.in_slot[slot_id]
                    if session["type"] == wanted and self._has_seat(session, patient)
                ),
                key=lambda session: (len(session["members"]), session["id"]),
            )["id"]
        return seating

    def _offers(self, patient: Patient) -> tuple[list[Block], dict[str, set[str]]]:
        """The patient's days, and the group types with a seat for them in each slot."""
        blocks = [self.instance.block_by_id[block_id] for block_id in patient.blocks]
        offers = {
            slot.id: self._free_seats(patient, slot.id) for block in blocks for slot in block.slots
        }
        return blocks, offers

    def _has_seat(self, session: Mapping[str, Any], patient: Patient) -> bool:
        group_type = self.instance.group_types.get(session["type"])
        room = self.instance.room_by_id.get(session["room"])
        if group_type is None or room is None:
            return False
        if group_type.same_stage and session.get("stage") != patient.stage:
            return False
        return len(session["members"]) < min(group_type.max_size, room.capacity)

    def _free_seats(self, patient: Patient, slot_id: str) -> set[str]:
        """The group types of the slot's sessions with a seat the patient may take."""
        return {s["type"] for s in self.in_slot[slot_id] if self._has_seat(s, patient)}

    def _free_week(
        self, patient: Patient, blocks: list[Block], offers: Mapping[str, set[str]]
    ) -> tuple[Block, ...] | None:
        """Days on which the roster's free seats alone give the patient their whole plan."""
        open_days = [b for b in blocks if all(offers[slot.id] for slot in b.slots)]
        for count in range(max(patient.min_days, 1), min(patient.max_days, len(open_days)) + 1):
            for chosen in combinations(open_days, count):
                if sum(b.minutes for b in chosen) < patient.target_minutes:
                    continue
                if (
                    _matching(patient.needs, [offers[s.id] for b in chosen for s in b.slots])
                    is not None
                ):
                    return chosen
        return None

    def _why_full(self, location: str, slot_id: str) -> int:
        """Why no other group could open in the slot for someone without a seat (the index
        of its cause in `_CAUSES`)."""
        sessions = self.in_slot[slot_id]
        used = {session["room"] for session in sessions}
        if not any(
            room.location == location and room.id not in used and room.capacity >= self.smallest
            for room in self.instance.rooms
        ):
            return 0
        leading = {session["facilitator"] for session in sessions}
        if not any(
            member.location == location
            and slot_id in member.slots
            and member.id not in leading
            and self.led[member.id] < member.max_sessions
            for member in self.instance.staff
        ):
            return 1
        return 2


def _matching(needs: Mapping[str, int], offers: list[set[str]]) -> dict[int, str] | None:
    """One seat in each slot (of the types `offers` has free there) covering all the
    `needs`: the type each slot given to a need takes, by its index; None if there is none."""
    wanted = [type_name for type_name, count in sorted(needs.items()) for _ in range(count)]
    chosen = match(len(wanted), len(offers), lambda seat, slot: wanted[seat] in offers[slot])
    if chosen is None:
        return None
    return {slot: wanted[seat] for seat, slot in chosen.items()}
