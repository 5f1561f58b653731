from __future__ import annotations

from typing import Any

from middlepath.roster.cpsat_run import Budget
from middlepath.roster.instance import Instance, parse_instance
from middlepath.roster.leaders import preferred_leaders
from middlepath.roster.location_search import part
from middlepath.roster.validate import metrics, validate
from tests.roster.conftest import two_groups_a_slot, week

THREE_COUNSELORS = [
    {"id": g, "facilitates": ["process", "skills", "psychoeducation"]} for g in ("g1", "g2", "g3")
]


def chosen_again(instance: Instance, sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    budget = Budget(seconds=10.0, deterministic=True, seed=0, workers=1)
    found = preferred_leaders(instance, "north", sessions, limit=1.0, budget=budget)
    assert found is not None
    assert validate(instance, part(instance, "north", found, [])) == []
    return found


def with_preferred(instance: Instance, sessions: list[dict[str, Any]]) -> int:
    return metrics(instance, part(instance, "north", sessions, [])).preferred_facilitator


def test_each_process_group_gets_the_counselor_its_members_asked_for():
    # p01-p08 asked for g2 and p09-p16 for g1, who lead each other's group: swapped, all
    # sixteen have theirs; the sessions and their members stay as they were.
    prefer = {n: "g2" for n in range(1, 9)} | {n: "g1" for n in range(9, 17)}
    instance = parse_instance(week(stages=["early"] * 16, prefer=prefer))
    sessions = two_groups_a_slot(instance, ["g1", "g2", "g1", "g2"])
    assert with_preferred(instance, sessions) == 0

    found = chosen_again(instance, sessions)
    assert [s["facilitator"] for s in found[:2]] == ["g2", "g1"]
    assert with_preferred(instance, found) == 16
    unchanged = ("id", "slot", "type", "stage", "room", "members")
    assert [{k: s[k] for k in unchanged} for s in found] == [
        {k: s[k] for k in unchanged} for s in sessions
    ]


def test_a_counselor_leads_one_group_a_slot_and_no_more_than_their_cap():
    # All sixteen asked for g1, who leads one session a week (now a skills group): g1 can
    # lead only one of the two process groups of the slot, and then no skills group.
    staff = [dict(THREE_COUNSELORS[0], max_sessions=1), *THREE_COUNSELORS[1:]]
    prefer = {n: "g1" for n in range(1, 17)}
    instance = parse_instance(week(stages=["early"] * 16, prefer=prefer, staff=staff))
    sessions = two_groups_a_slot(instance, ["g2", "g3", "g1", "g2"])

    found = chosen_again(instance, sessions)
    assert [s["facilitator"] for s in found].count("g1") == 1
    assert with_preferred(instance, found) == 8


def test_leaders_over_a_cap_are_brought_within_it_where_others_can_lead():
    # g1 leads a session a week but leads two here; nobody asked for anyone: g3, free in
    # both slots, takes one of them.
    staff = [dict(THREE_COUNSELORS[0], max_sessions=1), *THREE_COUNSELORS[1:]]
    instance = parse_instance(week(stages=["early"] * 16, staff=staff))
    sessions = two_groups_a_slot(instance, ["g1", "g2", "g1", "g2"])
    assert validate(instance, part(instance, "north", sessions, [])) != []

    found = chosen_again(instance, sessions)
    assert [s["facilitator"] for s in found].count("g1") == 1


def test_no_leaders_when_no_choice_keeps_the_caps():
    # Two sessions a slot and two counselors, one of them for a session a week.
    staff = [dict(THREE_COUNSELORS[0], max_sessions=1), THREE_COUNSELORS[1]]
    instance = parse_instance(week(stages=["early"] * 16, staff=staff))
    budget = Budget(seconds=10.0, deterministic=True, seed=0, workers=1)
    sessions = two_groups_a_slot(instance, ["g1", "g2", "g1", "g2"])
    assert preferred_leaders(instance, "north", sessions, limit=1.0, budget=budget) is None
