from __future__ import annotations

from typing import Any

import pytest

from middlepath.roster.instance import RosterInputError
from middlepath.roster.validate import STRUCTURE, Violation, metrics, validate


def rules(found: list[Violation]) -> set[int]:
    return {v.rule for v in found}


def only(found: list[Violation], rule: int, *words: str) -> Violation:
    """The single violation of that rule, whose message mentions all the words."""
    matching = [v for v in found if v.rule == rule]
    assert len(matching) == 1, found
    for word in words:
        assert word in matching[0].message, matching[0]
    return matching[0]


class TestValidate:
    def test_it_accepts_a_roster_that_keeps_every_rule(self, nine_early, nine_early_roster):
        assert validate(nine_early, nine_early_roster) == []

    def test_it_accepts_an_empty_roster_with_everyone_unmet(self, nine_early):
        everyone = [p["id"] for p in nine_early["patients"]]
        empty = {"format": "middlepath-roster-solution/1", "sessions": [], "unmet": everyone}
        assert validate(nine_early, empty) == []

    # Rule 1: met or unmet, never both.
    def test_it_flags_an_unmet_patient_who_sits_in_a_session(self, nine_early, nine_early_roster):
        nine_early_roster["unmet"] = ["p03"]
        found = validate(nine_early, nine_early_roster)
        assert rules(found) == {1}
        assert all("'p03'" in v.message for v in found)

    def test_it_flags_a_patient_listed_twice_in_unmet(self, nine_early, nine_early_roster):
        for session in nine_early_roster["sessions"]:
            session["members"].remove("p09")
        nine_early_roster["unmet"] = ["p09", "p09"]
        only(validate(nine_early, nine_early_roster), 1, "'p09'", "2 times")

    # Rule 2: whole blocks, own blocks, one session per slot.
    def test_it_flags_a_patient_who_leaves_half_way_through_a_block(
        self, nine_early, nine_early_roster
    ):
        nine_early_roster["sessions"][1]["members"].remove("p02")
        found = validate(nine_early, nine_early_roster)
        only(found, 2, "'p02'", "eve-mon-2")

    def test_it_flags_a_patient_in_two_sessions_of_one_slot(self, make_week, nine_early_roster):
        instance = make_week(stages=["early"] * 9)
        nine_early_roster["sessions"].append(
            {
                "id": "x3",
                "slot": "eve-mon-1",
                "type": "skills",
                "stage": None,
                "room": "room-b",
                "facilitator": "g2",
                "members": ["p01"] + [f"p0{n}" for n in range(2, 9)],
            }
        )
        found = validate(instance, nine_early_roster)
        assert 2 in rules(found)
        assert any("'p01'" in v.message and "2 sessions" in v.message for v in found)

    def test_it_flags_a_block_that_is_not_one_of_the_patients_blocks(
        self, make_week, nine_early_roster
    ):
        instance = make_week(stages=["early"] * 9, blocks=2)
        instance["patients"][0]["blocks"] = ["eve-tue"]
        instance["patients"][0]["min_days"] = 1
        found = validate(instance, nine_early_roster)
        only(found, 2, "'p01'", "eve-mon", "not one of their blocks")

    # Rule 3: days, minutes, needs.
    def test_it_flags_too_few_days(self, make_week, nine_early_roster):
        instance = make_week(stages=["early"] * 9, blocks=2, min_days=2, max_days=2)
        instance["patients"] = [dict(p, target_minutes=180) for p in instance["patients"]]
        found = validate(instance, nine_early_roster)
        assert rules(found) == {3}
        assert len(found) == 9
        assert "comes on 1 days, outside 2-2" in found[0].message

    def test_it_flags_too_few_minutes(self, nine_early, nine_early_roster):
        nine_early["patients"][4]["target_minutes"] = 270
        only(validate(nine_early, nine_early_roster), 3, "'p05'", "180 minutes", "270")

    def test_it_flags_an_unmet_need(self, nine_early, nine_early_roster):
        nine_early["patients"][0]["needs"]["psychoeducation"] = 1
        only(validate(nine_early, nine_early_roster), 3, "'p01'", "0 psychoeducation", "needs 1")

    # Rule 4: sizes, rooms.
    def test_it_flags_an_undersized_session(self, nine_early, nine_early_roster):
        for session in nine_early_roster["sessions"]:
            session["members"] = session["members"][:7]
        nine_early_roster["unmet"] = ["p08", "p09"]
        found = validate(nine_early, nine_early_roster)
        assert rules(found) == {4}
        assert "7 members, fewer than process min_size 8" in found[0].message

    def test_it_flags_a_session_over_its_max_size(self, make_week, nine_early_roster):
        instance = make_week(stages=["early"] * 9)
        instance["group_types"]["skills"]["max_size"] = 8
        only(validate(instance, nine_early_roster), 4, "'x2'", "more than skills max_size 8")

    def test_it_flags_a_session_bigger_than_its_room(self, make_week, nine_early_roster):
        instance = make_week(stages=["early"] * 9, rooms=[("room-a", 8), ("room-b", 15)])
        found = validate(instance, nine_early_roster)
        assert rules(found) == {4}
        assert len(found) == 2
        assert "more than room 'room-a' holds (8)" in found[0].message

    def test_it_flags_a_room_at_another_location(self, nine_early, nine_early_roster):
        nine_early["rooms"].append({"id": "south-a", "location": "south", "capacity": 15})
        nine_early_roster["sessions"][0]["room"] = "south-a"
        only(validate(nine_early, nine_early_roster), 4, "'south-a'", "'south'")

    def test_it_flags_two_sessions_in_one_room_at_once(self, make_week, nine_early_roster):
        instance = make_week(stages=["early"] * 18)
        second = [f"p{n:02d}" for n in range(10, 19)]
        nine_early_roster["sessions"] += [
            {
                "id": "x3",
                "slot": "eve-mon-1",
                "type": "process",
                "stage": "early",
                "room": "room-a",
                "facilitator": "g2",
                "members": second,
            },
            {
                "id": "x4",
                "slot": "eve-mon-2",
                "type": "skills",
                "stage": None,
                "room": "room-b",
                "facilitator": "g2",
                "members": second,
            },
        ]
        only(validate(instance, nine_early_roster), 4, "'room-a'", "2 sessions", "eve-mon-1")

    # Rule 5: facilitators.
    def test_it_flags_a_facilitator_who_does_not_lead_that_type(self, make_week, nine_early_roster):
        instance = make_week(
            stages=["early"] * 9,
            staff=[
                {"id": "g1", "facilitates": ["skills"]},
                {"id": "g2", "facilitates": ["process"]},
            ],
        )
        only(validate(instance, nine_early_roster), 5, "'g1'", "does not facilitate process")

    def test_it_flags_a_facilitator_who_is_not_there_that_slot(self, make_week, nine_early_roster):
        instance = make_week(
            stages=["early"] * 9,
            staff=[
                {"id": "g1", "facilitates": ["process", "skills"], "slots": ["eve-mon-1"]},
                {"id": "g2", "facilitates": ["process", "skills"]},
            ],
        )
        only(validate(instance, nine_early_roster), 5, "'g1'", "not available", "eve-mon-2")

    def test_it_flags_a_facilitator_leading_two_sessions_at_once(
        self, make_week, nine_early_roster
    ):
        instance = make_week(stages=["early"] * 18)
        second = [f"p{n:02d}" for n in range(10, 19)]
        for slot, type_name, stage in (
            ("eve-mon-1", "process", "early"),
            ("eve-mon-2", "skills", None),
        ):
            nine_early_roster["sessions"].append(
                {
                    "id": f"y-{slot}",
                    "slot": slot,
                    "type": type_name,
                    "stage": stage,
                    "room": "room-b",
                    "facilitator": "g1",
                    "members": second,
                }
            )
        found = validate(instance, nine_early_roster)
        assert rules(found) == {5}
        assert "'g1' leads 2 sessions in slot 'eve-mon-1'" in found[0].message

    def test_it_flags_a_facilitator_over_max_sessions(self, make_week, nine_early_roster):
        instance = make_week(
            stages=["early"] * 9,
            staff=[{"id": "g1", "facilitates": ["process", "skills"], "max_sessions": 1}],
        )
        only(validate(instance, nine_early_roster), 5, "'g1' leads 2 sessions, max_sessions is 1")

    def test_it_flags_a_facilitator_from_another_location(self, nine_early, nine_early_roster):
        nine_early["blocks"].append(
            {
                "id": "south-mon",
                "location": "south",
                "track": "evening",
                "day": "mon",
                "slots": [{"id": "south-mon-1", "start": "18:00", "minutes": 90}],
            }
        )
        nine_early["staff"].append(
            {
                "id": "s9",
                "location": "south",
                "facilitates": ["process"],
                "slots": ["south-mon-1"],
                "max_sessions": 5,
            }
        )
        nine_early_roster["sessions"][0]["facilitator"] = "s9"
        found = validate(nine_early, nine_early_roster)
        assert rules(found) == {5}
        assert any("works at 'south'" in v.message for v in found)

    # Rule 6: one stage per same-stage group.
    def test_it_flags_a_mixed_stage_process_group(self, nine_early, nine_early_roster):
        nine_early["patients"][6]["stage"] = "late"
        only(validate(nine_early, nine_early_roster), 6, "'p07'", "'late'", "'early'")

    def test_it_flags_a_process_group_without_a_stage(self, nine_early, nine_early_roster):
        nine_early_roster["sessions"][0]["stage"] = None
        only(validate(nine_early, nine_early_roster), 6, "must name its stage")

    def test_it_ignores_the_stage_of_a_mixed_group_type(self, nine_early, nine_early_roster):
        nine_early["patients"][6]["stage"] = "late"
        nine_early_roster["sessions"][0]["members"].remove("p07")
        nine_early_roster["sessions"][1]["members"].remove("p07")
        nine_early_roster["unmet"] = ["p07"]
        assert validate(nine_early, nine_early_roster) == []

    # Structure: ids that do not exist, ids used twice.
    @pytest.mark.parametrize(
        ("field", "value", "words"),
        [
            ("slot", "eve-sun-1", ("unknown slot", "eve-sun-1")),
            ("room", "attic", ("unknown room", "attic")),
            ("facilitator", "g9", ("unknown facilitator", "g9")),
            ("type", "yoga", ("unknown group type", "yoga")),
        ],
    )
    def test_it_flags_unknown_ids_in_a_session(
        self, nine_early, nine_early_roster, field: str, value: str, words: tuple[str, ...]
    ):
        nine_early_roster["sessions"][1][field] = value
        found = validate(nine_early, nine_early_roster)
        assert STRUCTURE in rules(found)
        assert any(all(w in v.message for w in words) for v in found if v.rule == STRUCTURE)

    def test_it_flags_an_unknown_member(self, nine_early, nine_early_roster):
        nine_early_roster["sessions"][0]["members"].append("p99")
        only(validate(nine_early, nine_early_roster), STRUCTURE, "unknown patient 'p99'")

    def test_it_flags_an_unknown_patient_in_unmet(self, nine_early, nine_early_roster):
        nine_early_roster["unmet"] = ["p99"]
        only(validate(nine_early, nine_early_roster), STRUCTURE, "unknown patient 'p99'")

    def test_it_flags_a_member_listed_twice(self, nine_early, nine_early_roster):
        nine_early_roster["sessions"][0]["members"].append("p01")
        only(validate(nine_early, nine_early_roster), STRUCTURE, "'p01' is listed 2 times")

    def test_it_flags_duplicate_session_ids(self, nine_early, nine_early_roster):
        nine_early_roster["sessions"][1]["id"] = "x1"
        only(validate(nine_early, nine_early_roster), STRUCTURE, "'x1' is used by 2 sessions")

    def test_it_rejects_a_file_that_is_not_a_solution(self, nine_early):
        with pytest.raises(RosterInputError, match="format"):
            validate(nine_early, {"format": "middlepath-roster/1", "sessions": [], "unmet": []})

    def test_it_names_the_rule_when_printed(self):
        assert str(Violation(4, "too small")) == "rule 4: too small"
        assert str(Violation(STRUCTURE, "unknown room")) == "structure: unknown room"


class TestMetrics:
    def test_it_recomputes_the_objective_from_the_roster(self, nine_early, nine_early_roster):
        nine_early_roster["objective"] = {"met": 99, "sessions": 0, "preferred_facilitator": 42}
        score = metrics(nine_early, nine_early_roster)
        assert score.as_dict() == {"met": 9, "sessions": 2, "preferred_facilitator": 0}

    def test_it_counts_patients_whose_process_groups_are_all_with_their_counselor(
        self, make_week, nine_early_roster
    ):
        instance: dict[str, Any] = make_week(
            stages=["early"] * 9, prefer={1: "g1", 2: "g2", 3: "g1"}
        )
        nine_early_roster["unmet"] = []
        assert metrics(instance, nine_early_roster).preferred_facilitator == 2

    def test_it_does_not_count_unmet_patients_or_patients_without_process(
        self, make_week, nine_early_roster
    ):
        instance = make_week(stages=["early"] * 10, prefer={1: "g1", 10: "g1"})
        # p10 is met on paper but has no process session at all (it breaks rule 3 too).
        assert metrics(instance, nine_early_roster).preferred_facilitator == 1
        nine_early_roster["unmet"] = ["p01"]
        assert metrics(instance, nine_early_roster).met == 9
