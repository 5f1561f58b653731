from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings

from middlepath.roster.baseline import Group, _lineups, _repair, _Week, baseline
from middlepath.roster.baseline_days import plan_days, stage_days
from middlepath.roster.generate import generate_instance
from middlepath.roster.instance import parse_instance
from middlepath.roster.validate import validate
from tests.roster.odd_weeks import odd_weeks


class TestBaseline:
    def test_it_seats_a_group_that_fits_exactly(self, make_week):
        instance = make_week(stages=["early"] * 8)
        solution = baseline(instance)
        assert validate(instance, solution) == []
        assert solution["objective"] == {"met": 8, "sessions": 2, "preferred_facilitator": 0}
        assert solution["status"] == "feasible"

    def test_it_sends_home_the_members_of_groups_too_small_to_run(self, make_week):
        # The late patients start a process group of three that the repair must dissolve.
        instance = make_week(stages=["early"] * 8 + ["late"] * 3)
        solution = baseline(instance)
        assert validate(instance, solution) == []
        assert solution["unmet"] == ["p09", "p10", "p11"]
        assert solution["objective"]["met"] == 8

    def test_it_claims_no_bound_beyond_everyone(self, make_week):
        instance = make_week(stages=["early"] * 5)
        assert baseline(instance)["bound"] == {"met": 5}

    def test_it_fixes_days_least_flexible_first_where_their_stage_already_comes(self, make_week):
        week = make_week(
            stages=["early", "early", "late"], needs={"skills": 1}, blocks=3, max_days=1
        )
        # Groups of one, so that no day is too thin for a group.
        for group_type in week["group_types"].values():
            group_type["min_size"] = 1
        available = {"p01": ["eve-mon", "eve-tue", "eve-wed"], "p02": ["eve-wed"]}
        available["p03"] = ["eve-tue", "eve-wed"]
        for patient in week["patients"]:
            patient["blocks"] = available[patient["id"]]
        days = plan_days(parse_instance(week))
        # p02 can only come on Wednesday, so p01 joins the early patient there, not on
        # Monday; the late p03 goes where fewer come.
        assert {p: [b.id for b in blocks or []] for p, blocks in days.items()} == {
            "p01": ["eve-wed"],
            "p02": ["eve-wed"],
            "p03": ["eve-tue"],
        }

    def test_it_fixes_days_on_a_full_block_only_when_none_other_is_left(self, make_week):
        week = make_week(stages=["early"] * 3, needs={"skills": 1}, blocks=2)
        week["rooms"] = [{"id": "room-a", "location": "north", "capacity": 2}]
        days = plan_days(parse_instance(week))
        assert [blocks[0].id for blocks in days.values() if blocks] == [
            "eve-mon",
            "eve-mon",
            "eve-tue",
        ]

    def test_nobody_is_left_alone_on_a_day_too_thin_for_a_group(self, make_week):
        week = make_week(stages=["early"] * 8 + ["late"], needs={"skills": 1}, blocks=2)
        for patient in week["patients"][:8]:
            patient["blocks"] = ["eve-mon"]
        week["patients"][8]["blocks"] = ["eve-tue", "eve-mon"]
        days = plan_days(parse_instance(week))
        # Tuesday, where no one else comes, would have been the late patient's first choice.
        assert [block.id for block in days["p09"] or []] == ["eve-mon"]

    def test_a_stage_meets_on_the_days_most_of_it_can_all_come(self, make_week):
        week = make_week(stages=["early"] * 9 + ["late"] * 8, blocks=4, min_days=2, max_days=4)
        week["patients"][0]["blocks"] = ["eve-mon", "eve-tue", "eve-thu"]
        for patient in week["patients"][1:9]:
            patient["blocks"] = ["eve-tue", "eve-wed", "eve-thu"]
        for patient in week["patients"]:
            patient["needs"] = {"process": 2}
        meets = stage_days(parse_instance(week))
        # Everyone early can come on Tuesday and Thursday; the late stage, free every day,
        # meets apart from them.
        assert meets == {
            ("north", "evening", "early"): ("eve-tue", "eve-thu"),
            ("north", "evening", "late"): ("eve-mon", "eve-wed"),
        }
        days = plan_days(parse_instance(week))
        assert {block.id for block in days["p01"] or []} == {"eve-tue", "eve-thu"}
        assert {block.id for block in days["p10"] or []} == {"eve-mon", "eve-wed"}

    def test_a_stage_too_few_for_a_process_group_is_sent_home_at_once(self, make_week):
        instance = parse_instance(make_week(stages=["early"] * 8 + ["late"] * 3))
        days = plan_days(instance)
        assert [p for p, blocks in days.items() if blocks is None] == ["p09", "p10", "p11"]

    def test_a_block_has_the_seats_of_as_many_rooms_as_counselors_work_then(self, make_week):
        # Two rooms, but on Monday's second slot only g1 works: 15 seats, not 30.
        week = make_week(stages=["early"] * 20, needs={"skills": 1}, blocks=2)
        week["staff"][1]["slots"] = ["eve-mon-1", "eve-tue-1", "eve-tue-2"]
        days = plan_days(parse_instance(week))
        coming = Counter(blocks[0].id for blocks in days.values() if blocks)
        assert coming == {"eve-mon": 15, "eve-tue": 5}

    def test_a_slot_runs_a_process_group_for_each_stage_present(self, make_week):
        # Twelve early and eight middle patients in two rooms: two process groups seat all
        # twenty in the first slot, then skills groups in the second.
        instance = make_week(stages=["early"] * 12 + ["middle"] * 8)
        solution = baseline(instance)
        assert validate(instance, solution) == []
        assert solution["objective"]["met"] == 20
        first = [s for s in solution["sessions"] if s["slot"] == "eve-mon-1"]
        assert sorted((s["type"], s["stage"], len(s["members"])) for s in first) == [
            ("process", "early", 12),
            ("process", "middle", 8),
        ]

    def test_the_counselor_with_sessions_to_spare_leads_first(self, make_week):
        # g1 works both days but may lead only two sessions; g2 works only Monday. Had g1
        # led Monday's, Tuesday's patients would have had nobody.
        instance = make_week(
            stages=["early"] * 16,
            needs={"skills": 1},
            blocks=2,
            staff=[
                {"id": "g1", "facilitates": ["skills", "psychoeducation"], "max_sessions": 2},
                {
                    "id": "g2",
                    "facilitates": ["skills", "psychoeducation"],
                    "max_sessions": 2,
                    "slots": ["eve-mon-1", "eve-mon-2"],
                },
            ],
        )
        for n, patient in enumerate(instance["patients"]):
            patient["blocks"] = ["eve-mon"] if n < 8 else ["eve-tue"]
        solution = baseline(instance)
        assert solution["objective"]["met"] == 16
        assert [s["facilitator"] for s in solution["sessions"]] == ["g2", "g2", "g1", "g1"]

    def test_whoever_finds_no_seat_is_sent_home_and_the_others_kept(self, make_week):
        # One room of 15 and a single day: the sixteenth patient has no seat in it.
        instance = make_week(stages=["early"] * 16, rooms=[("room-a", 15)])
        solution = baseline(instance)
        assert validate(instance, solution) == []
        assert solution["objective"] == {"met": 15, "sessions": 2, "preferred_facilitator": 0}
        assert solution["unmet"] == ["p16"]

    def test_it_meets_as_many_as_the_optimum_in_the_benchmarks_smallest_week(self):
        # The optimum is 21 of 40 (the day track is too thin for same-stage groups). Filled
        # in one pass, the week lost a few patients late in it, their groups fell under the
        # minimum and the repair sent home everyone; sent home early and the week filled
        # again without them, it met 17; keeping the best of its drafts, 21.
        instance = generate_instance(locations=1, patients_per_location=40, seed=2026)
        solution = baseline(instance)
        assert validate(instance, solution) == []
        assert solution["objective"]["met"] == 21

    def test_it_keeps_the_draft_of_the_week_that_meets_the_most(self):
        # Its first draft, repaired, meets 16; sent home, the patients short of a group type
        # leave too few of their stages for any group, and each later draft meets nobody.
        instance = generate_instance(locations=1, patients_per_location=30, seed=14)
        solution = baseline(instance)
        assert validate(instance, solution) == []
        assert solution["objective"]["met"] == 16

    def test_it_gives_up_on_a_plan_the_blocks_cannot_cover(self, make_week):
        instance = parse_instance(make_week(stages=["early"], target_minutes=360, max_days=2))
        assert plan_days(instance) == {"p01": None}

    def test_the_repair_tops_a_small_group_up_from_a_bigger_one_of_its_slot(self, make_week):
        instance = parse_instance(make_week(stages=["early"] * 17, needs={"skills": 1}))
        first, second = instance.blocks[0].slots
        ids = [p.id for p in instance.patients]

        def group(slot, type_name, members):
            return Group(slot, type_name, None, f"room-{type_name}", "g1", 15, list(members))

        skills, small = group(first, "skills", ids[:11]), group(first, "psychoeducation", ids[11:])
        later = [group(second, "skills", ids[:8]), group(second, "psychoeducation", ids[8:])]
        unmet: set[str] = set()
        groups = _repair(instance, [skills, small, *later], unmet)
        # Two who have their skills group in the second slot move over; dissolving the group
        # of six instead would have sent two home (the skills group holds 15), and the
        # second slot's psychoeducation group would have fallen below eight with them.
        assert unmet == set()
        assert len(groups) == 4
        assert sorted(small.members) == sorted([*ids[11:], "p01", "p02"])
        assert len(skills.members) == 9

    def test_a_patient_short_of_a_type_swaps_a_seat_they_can_spare(self, make_week):
        instance = parse_instance(
            make_week(stages=["early"] * 17, needs={"skills": 1, "psychoeducation": 1})
        )
        first, second = instance.blocks[0].slots
        ids = [p.id for p in instance.patients]

        def group(slot, type_name, members):
            return Group(slot, type_name, None, f"room-{type_name}", "g1", 15, list(members))

        # p09 sits in skills in both slots and in no psychoeducation group.
        skills = group(first, "skills", ids[:9])
        psychoeducation = group(first, "psychoeducation", ids[9:])
        later = [group(second, "psychoeducation", ids[:8]), group(second, "skills", ids[8:])]
        week = _Week(instance)
        week.groups = [skills, psychoeducation, *later]
        for g in week.groups:
            for member in g.members:
                week.needs[member][g.type] -= 1
        week.mend_shortfalls()
        assert "p09" in psychoeducation.members and "p09" not in skills.members
        assert all(n == 0 for needs in week.needs.values() for n in needs.values())

    def test_a_slot_weighs_every_line_up_only_where_they_are_few(self):
        kinds = [("psychoeducation", None), ("skills", None)] + [
            ("process", stage) for stage in ("early", "middle", "late")
        ]

        def seated(lineup):
            # Scores line-ups by their process groups for the middle stage.
            return [], (lineup.count(("process", "middle")), 0, 0)

        assert len(list(_lineups(kinds, 4, seated))) == 70
        # Ten groups of five kinds would be 1001 line-ups: one is grown instead.
        assert list(_lineups(kinds, 10, seated)) == [(("process", "middle"),) * 10]

    def test_a_big_centre_gets_a_valid_roster(self):
        instance = generate_instance(locations=1, patients_per_location=400, seed=5)
        instance["rooms"] = [
            {"id": f"loc0-room{n}", "location": "loc0", "capacity": 15} for n in range(10)
        ]
        solution = baseline(instance)
        assert validate(instance, solution) == []
        assert solution["objective"]["met"] > 200

    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_it_always_returns_a_valid_roster(self, seed: int):
        instance = generate_instance(locations=2, patients_per_location=60, seed=seed)
        assert validate(instance, baseline(instance)) == []


@settings(max_examples=300, deadline=None, database=None)
@given(week=odd_weeks())
def test_it_returns_a_valid_roster_whatever_the_week(week):
    # The solver starts from it and falls back on it: it must never fail.
    solution = baseline(week)
    assert validate(week, solution) == []
    assert solution["objective"]["met"] + len(solution["unmet"]) == len(week["patients"])
