from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from middlepath.roster.generate import generate_instance
from middlepath.roster.instance import RosterInputError, parse_instance, parse_solution

Change = Callable[[dict[str, Any]], None]


def _set(path: list[Any], value: Any) -> Change:
    def change(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _drop(path: list[Any]) -> Change:
    def change(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


class TestParseInstance:
    def test_it_reads_a_well_formed_week(self, nine_early):
        instance = parse_instance(nine_early)
        assert [p.id for p in instance.patients][:2] == ["p01", "p02"]
        assert instance.block_by_id["eve-mon"].minutes == 180
        assert instance.location_of_slot("eve-mon-2") == "north"
        assert instance.locations == ("north",)
        assert instance.group_types["process"].same_stage is True

    def test_its_records_are_frozen(self, nine_early):
        instance = parse_instance(nine_early)
        with pytest.raises(AttributeError):
            instance.patients[0].stage = "late"  # type: ignore[misc]

    @pytest.mark.parametrize(
        ("change", "words"),
        [
            (_set(["format"], "middlepath-roster/2"), ["'format' must be 'middlepath-roster/1'"]),
            (_drop(["patients"]), ["missing field 'patients'"]),
            (_drop(["patients", 0, "stage"]), ["patient 'p01'", "missing field 'stage'"]),
            (_set(["patients", 0, "blocks"], ["eve-sun"]), ["patient 'p01'", "unknown block"]),
            (
                _set(["staff", 0, "slots"], ["eve-sun-1"]),
                ["staff 'g1'", "unknown slot 'eve-sun-1'"],
            ),
            (_set(["staff", 0, "facilitates"], ["yoga"]), ["staff 'g1'", "unknown group type"]),
            (_set(["patients", 1, "id"], "p01"), ["duplicate patient id 'p01'"]),
            (_set(["rooms", 1, "id"], "room-a"), ["duplicate room id 'room-a'"]),
            (_set(["rooms", 0, "capacity"], -3), ["room 'room-a'", "'capacity' must be positive"]),
            (_set(["rooms", 0, "capacity"], 0), ["'capacity' must be positive"]),
            (_set(["rooms", 0, "capacity"], True), ["'capacity' must be a whole number"]),
            (_set(["group_types", "skills", "min_size"], 0), ["'skills'", "'min_size'"]),
            (_set(["group_types", "skills", "min_size"], 16), ["min_size (16)", "max_size (15)"]),
            (_set(["blocks", 0, "slots", 0, "minutes"], -90), ["slot 'eve-mon-1'", "'minutes'"]),
            (_set(["blocks", 0, "slots", 0, "start"], "6pm"), ["'start' must look like 18:00"]),
            (_set(["patients", 0, "target_minutes"], 0), ["patient 'p01'", "'target_minutes'"]),
            (_set(["patients", 0, "min_days"], 3), ["min_days (3) is greater than max_days (1)"]),
            (_set(["patients", 0, "needs"], {"yoga": 1}), ["needs unknown group type 'yoga'"]),
            (_set(["patients", 0, "needs"], {"skills": -1}), ["'skills' must be at least 0"]),
            (_set(["patients", 0, "track"], "day"), ["block 'eve-mon' is 'evening'"]),
            (_set(["patients", 0, "prefer_facilitator"], "g9"), ["unknown prefer_facilitator"]),
            (_set(["staff", 0, "max_sessions"], -1), ["'max_sessions' must be at least 0"]),
            (_set(["blocks", 0, "slots"], []), ["block 'eve-mon'", "must not be empty"]),
            (_set(["patients"], {}), ["'patients' must be a list"]),
            (_set(["patients", 0], "p01"), ["patients[0] must be a JSON object"]),
        ],
    )
    def test_it_rejects_bad_input_naming_the_culprit(
        self, nine_early, change: Change, words: list[str]
    ):
        change(nine_early)
        with pytest.raises(RosterInputError) as caught:
            parse_instance(nine_early)
        for word in words:
            assert word in str(caught.value)

    def test_it_rejects_a_patient_block_of_another_location(self, nine_early):
        nine_early["blocks"].append(
            {
                "id": "south-mon",
                "location": "south",
                "track": "evening",
                "day": "mon",
                "slots": [{"id": "south-mon-1", "start": "18:00", "minutes": 90}],
            }
        )
        nine_early["patients"][0]["blocks"] = ["south-mon"]
        with pytest.raises(RosterInputError, match="'south-mon' is 'evening' at 'south'"):
            parse_instance(nine_early)

    def test_it_rejects_two_blocks_of_one_track_on_one_day(self, nine_early):
        twin = dict(nine_early["blocks"][0], id="eve-mon-bis")
        twin["slots"] = [{"id": "bis-1", "start": "18:00", "minutes": 90}]
        nine_early["blocks"].append(twin)
        with pytest.raises(RosterInputError, match="one block per day and track"):
            parse_instance(nine_early)

    def test_it_rejects_what_is_not_an_object(self):
        with pytest.raises(RosterInputError, match="must be a JSON object, not a list"):
            parse_instance([])


@pytest.mark.parametrize(
    ("prefer", "leaders", "granted"),
    [
        ("g1", ["g1", "g1"], True),
        ("g1", ["g1", "g2"], False),
        ("g1", [], False),  # no process session: not "had" the preferred lead
        (None, ["g1"], False),
    ],
)
def test_a_patient_has_the_preferred_counselor_only_in_every_process_session(
    nine_early, prefer, leaders, granted
):
    if prefer is not None:
        nine_early["patients"][0]["prefer_facilitator"] = prefer
    patient = parse_instance(nine_early).patients[0]
    assert patient.with_preferred(leaders) is granted


class TestOneLocation:
    def test_it_keeps_one_locations_week(self):
        instance = parse_instance(generate_instance(locations=2, patients_per_location=10, seed=1))
        week = instance.one_location("loc1")
        assert week.locations == ("loc1",)
        assert len(week.patients) == 10 and len(week.blocks) == 10
        assert week.staff == tuple(g for g in instance.staff if g.location == "loc1")


class TestOneTrack:
    def test_it_keeps_one_tracks_week_with_the_counselors_whole_caps(self, make_week):
        staff = [
            {"id": "g1", "facilitates": ["process"], "max_sessions": 3},
            {"id": "g2", "facilitates": ["skills"], "slots": ["eve-mon-1"]},
        ]
        instance = parse_instance(make_week(stages=["early"] * 2, day_stages=["late"], staff=staff))
        assert instance.tracks_at("north") == ("day", "evening")
        day = instance.one_track("north", "day")
        assert [b.id for b in day.blocks] == ["day-mon"]
        assert [p.id for p in day.patients] == ["d01"]
        assert [r.id for r in day.rooms] == ["room-a", "room-b"]
        g1, g2 = day.staff
        assert g1.slots == {"day-mon-1", "day-mon-2"} and g1.max_sessions == 3
        assert g2.slots == set()
        assert day.tracks_at("north") == ("day",)
        assert instance.tracks_at("south") == ()

    def test_less_caps_takes_off_what_counselors_lead_elsewhere(self, make_week):
        staff = [
            {"id": "g1", "facilitates": ["process"], "max_sessions": 3},
            {"id": "g2", "facilitates": ["skills"], "max_sessions": 2},
        ]
        instance = parse_instance(make_week(stages=["early"] * 2, day_stages=["late"], staff=staff))
        day = instance.one_track("north", "day").less_caps({"g1": 2})
        assert [(g.id, g.max_sessions) for g in day.staff] == [("g1", 1), ("g2", 2)]
        assert day.staff[0].slots == {"day-mon-1", "day-mon-2"}
        assert [p.id for p in day.patients] == ["d01"]
        assert [g.max_sessions for g in day.less_caps({"g1": 5, "g2": 2}).staff] == [0, 0]


class TestParseSolution:
    def test_it_reads_a_solution(self, nine_early_roster):
        solution = parse_solution(nine_early_roster)
        assert solution.status == "optimal"
        assert solution.sessions[1].stage is None
        assert solution.objective is not None and solution.objective.met == 9
        assert solution.bound_met == 9

    @pytest.mark.parametrize(
        ("change", "words"),
        [
            (_set(["status"], "great"), ["'status' must be one of"]),
            (_drop(["unmet"]), ["missing field 'unmet'"]),
            (_drop(["sessions", 0, "room"]), ["session 'x1'", "missing field 'room'"]),
            (_set(["sessions", 0, "members"], "p01"), ["'members' must be a list"]),
            (_set(["objective", "met"], -1), ["'met' must be at least 0"]),
            (_set(["seconds"], "fast"), ["'seconds' must be a non-negative number"]),
        ],
    )
    def test_it_rejects_a_malformed_solution(
        self, nine_early_roster, change: Change, words: list[str]
    ):
        change(nine_early_roster)
        with pytest.raises(RosterInputError) as caught:
            parse_solution(nine_early_roster)
        for word in words:
            assert word in str(caught.value)
