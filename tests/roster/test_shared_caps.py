from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from ortools.sat.python import cp_model

from middlepath.roster import shared_caps
from middlepath.roster.cpsat_run import Budget, run
from middlepath.roster.instance import parse_instance
from middlepath.roster.leaders import preferred_leaders
from middlepath.roster.location_search import LocationResult, LocationSearch, part
from middlepath.roster.shared_caps import caps_bind, tracks_in_turn, within_caps
from middlepath.roster.validate import metrics, validate

BUDGET = {"seconds": 5.0, "deterministic": True, "seed": 0, "workers": 1}


def g1_leads_everything(instance: dict[str, Any]) -> list[dict[str, Any]]:
    """Each track's roster as searched alone: g1 leads its process and skills sessions."""
    sessions = []
    for track, prefix, stage in (("evening", "p", "early"), ("day", "d", "late")):
        members = [p["id"] for p in instance["patients"] if p["id"].startswith(prefix)]
        short = "eve" if track == "evening" else "day"
        for slot, type_name, room in ((1, "process", "room-a"), (2, "skills", "room-a")):
            sessions.append(
                {
                    "id": f"{short}-{slot}",
                    "slot": f"{short}-mon-{slot}",
                    "type": type_name,
                    "stage": stage if type_name == "process" else None,
                    "room": room,
                    "facilitator": "g1",
                    "members": members,
                }
            )
    return sessions


def test_another_counselor_takes_over_what_one_cannot_lead(make_week):
    staff = [
        {"id": "g1", "facilitates": ["process", "skills"], "max_sessions": 2},
        {"id": "g2", "facilitates": ["process", "skills"]},
    ]
    raw = make_week(stages=["early"] * 8, day_stages=["late"] * 9, staff=staff)
    instance = parse_instance(raw)
    over = g1_leads_everything(raw)
    assert [v.rule for v in validate(instance, part(instance, "north", over, []))] == [5]

    shared = within_caps(instance, "north", over, [], limit=5.0, budget=Budget(**BUDGET))

    assert shared is not None
    roster = part(instance, "north", *shared)
    assert validate(instance, roster) == []
    measured = metrics(instance, roster)
    assert (measured.met, measured.sessions) == (17, 4)
    led = [s["facilitator"] for s in shared[0]]
    assert led.count("g1") <= 2


def test_none_when_nobody_can_take_over(make_week):
    # g1 alone: four sessions to lead, two allowed; fewer met or none is not the same roster.
    staff = [{"id": "g1", "facilitates": ["process", "skills"], "max_sessions": 2}]
    raw = make_week(stages=["early"] * 8, day_stages=["late"] * 9, staff=staff)
    instance = parse_instance(raw)

    over = g1_leads_everything(raw)
    shared = within_caps(instance, "north", over, [], limit=5.0, budget=Budget(**BUDGET))

    assert shared is None


def test_with_fewer_met_when_the_same_cannot_keep_the_caps(make_week):
    # g1 alone may lead one track's process and skills groups: the nine of the day track
    # are met, in two sessions, and the eight of the evening are not.
    staff = [{"id": "g1", "facilitates": ["process", "skills"], "max_sessions": 2}]
    raw = make_week(stages=["early"] * 8, day_stages=["late"] * 9, staff=staff)
    instance = parse_instance(raw)

    over = g1_leads_everything(raw)
    fewer = within_caps(
        instance, "north", over, [], limit=1.0, budget=Budget(**BUDGET), keep_met=False
    )

    assert fewer is not None
    roster = part(instance, "north", *fewer)
    assert validate(instance, roster) == []
    measured = metrics(instance, roster)
    assert (measured.met, measured.sessions) == (9, 2)


def g1_leads_both_skills_groups(instance: dict[str, Any]) -> list[dict[str, Any]]:
    """Each track's roster as searched alone, in three sessions: both stages' process groups
    in the first slot, everyone in g1's skills group in the second."""
    sessions = []
    for prefix, short in (("p", "eve"), ("d", "day")):
        patients = [p for p in instance["patients"] if p["id"].startswith(prefix)]
        for n, stage in enumerate(("early", "late"), start=1):
            sessions.append(
                {
                    "id": f"{short}-process-{stage}",
                    "slot": f"{short}-mon-1",
                    "type": "process",
                    "stage": stage,
                    "room": f"room-{'ab'[n - 1]}",
                    "facilitator": f"g{n + 1}",
                    "members": [p["id"] for p in patients if p["stage"] == stage],
                }
            )
        sessions.append(
            {
                "id": f"{short}-skills",
                "slot": f"{short}-mon-2",
                "type": "skills",
                "stage": None,
                "room": "room-a",
                "facilitator": "g1",
                "members": [p["id"] for p in patients],
            }
        )
    return sessions


def test_in_more_sessions_when_as_many_cannot_keep_the_caps(one_skills_session_a_week):
    raw = one_skills_session_a_week
    instance = parse_instance(raw)
    over = g1_leads_both_skills_groups(raw)
    assert [v.rule for v in validate(instance, part(instance, "north", over, []))] == [5]
    budget = Budget(**BUDGET)

    assert within_caps(instance, "north", over, [], limit=1.0, budget=budget) is None
    shared = within_caps(instance, "north", over, [], limit=5.0, budget=budget, spare_sessions=1)

    assert shared is not None
    roster = part(instance, "north", *shared)
    assert validate(instance, roster) == []
    measured = metrics(instance, roster)
    assert (measured.met, measured.sessions) == (18, 7)


@pytest.mark.parametrize(("keep_met", "runs"), [(True, 3), (False, 1)])
def test_a_search_keeping_the_same_met_starts_again_with_another_seed(
    one_skills_session_a_week, monkeypatch, keep_met, runs
):
    # The first two runs find nothing in their hundredth of a second: a search keeping the
    # same patients met starts again with the next seed, and the third brings the roster
    # within the caps; local search (fewer met) runs once, with all its time.
    raw = one_skills_session_a_week
    instance = parse_instance(raw)
    monkeypatch.setattr(shared_caps, "RESTART_SECONDS", 0.01)
    seen: list[tuple[int, float]] = []

    def first_two_find_nothing(model: Any, **options: Any) -> Any:
        seen.append((options["restart"], options["limit"]))
        solver, status = run(model, **options)
        return solver, cp_model.UNKNOWN if len(seen) <= 2 else status

    monkeypatch.setattr(shared_caps, "run", first_two_find_nothing)
    shared = within_caps(
        instance,
        "north",
        g1_leads_both_skills_groups(raw),
        [],
        limit=1.0,
        budget=Budget(**BUDGET),
        keep_met=keep_met,
        spare_sessions=1,
    )

    assert [restart for restart, _ in seen] == list(range(runs))
    if keep_met:
        assert all(limit == 0.01 for _, limit in seen)
        assert shared is not None
    else:
        assert seen[0][1] == pytest.approx(1.0)
        assert shared is None


class TestCapsBind:
    @staticmethod
    def week(make_week: Any, *, cap: int, evening: int) -> Any:
        staff = [{"id": "g1", "facilitates": ["process", "skills"], "max_sessions": cap}]
        raw = make_week(stages=["early"] * evening, day_stages=["late"] * 9, staff=staff)
        return parse_instance(raw)

    # Two sessions a week: each track alone meets all its patients, the location only one
    # track's. Four: both tracks.
    @pytest.mark.parametrize(("cap", "binds"), [(2, True), (4, False)])
    def test_caps_bind_when_the_location_meets_fewer_than_its_tracks_alone(
        self, make_week, cap, binds
    ):
        instance = self.week(make_week, cap=cap, evening=8)
        assert caps_bind(instance, "north", limit=5.0, budget=Budget(**BUDGET)) is binds

    def test_patients_no_track_can_meet_are_not_the_caps_binding(self, make_week):
        # Seven in the evening fill no group of eight, alone or not: the location meets
        # nine of sixteen, as many as its tracks alone.
        instance = self.week(make_week, cap=4, evening=7)
        assert not caps_bind(instance, "north", limit=5.0, budget=Budget(**BUDGET))

    def test_the_location_may_take_half_the_time(self, make_week, monkeypatch):
        # Cut short, the location's bound proves nothing and the check says "no" wrongly:
        # its run, the slow one, is given half the check's time, the tracks the rest.
        limits: list[float] = []

        def recorded(model: cp_model.CpModel, **options: Any) -> Any:
            limits.append(options["limit"])
            return run(model, **options)

        monkeypatch.setattr(shared_caps, "run", recorded)
        instance = self.week(make_week, cap=2, evening=8)
        assert caps_bind(instance, "north", limit=4.0, budget=Budget(**BUDGET))
        # Then each track's in turn shares what is left, all of it here (tiny runs).
        assert len(limits) == 3
        assert limits[0] == pytest.approx(2.0)
        assert limits[1:] == pytest.approx([2.0, 4.0], abs=0.1)


class TestTracksInTurn:
    """g1 leads process and skills groups, two sessions a week; g2 only the evening's
    process groups, in its second slot; g3 only the day's skills groups, in its first. Each
    track alone meets its eight in two sessions, one of them g1's at the least."""

    @staticmethod
    def week(make_week: Any, *, cap: int = 2) -> Any:
        staff = [
            {"id": "g1", "facilitates": ["process", "skills"], "max_sessions": cap},
            {"id": "g2", "facilitates": ["process"], "slots": ["eve-mon-2"]},
            {"id": "g3", "facilitates": ["skills"], "slots": ["day-mon-1"]},
        ]
        return make_week(stages=["early"] * 8, day_stages=["late"] * 8, staff=staff)

    @staticmethod
    def rosters(raw: dict[str, Any], led: dict[str, tuple[str, str]]) -> dict[str, Any]:
        """Each track's roster, everyone in every session, as its search proved it best
        alone: `led` gives each slot's group type and leader."""
        rosters: dict[str, Any] = {"evening": ([], []), "day": ([], [])}
        for slot, (type_name, leader) in led.items():
            evening = slot.startswith("eve")
            prefix, stage = ("p", "early") if evening else ("d", "late")
            rosters["evening" if evening else "day"][0].append(
                {
                    "id": slot,
                    "slot": slot,
                    "type": type_name,
                    "stage": stage if type_name == "process" else None,
                    "room": "room-a",
                    "facilitator": leader,
                    "members": [p["id"] for p in raw["patients"] if p["id"].startswith(prefix)],
                }
            )
        return {
            track: LocationResult("north", sessions, unmet, bound_met=8, optimal=True)
            for track, (sessions, unmet) in rosters.items()
        }

    # Each track's roster as searched alone with g1's whole cap: process groups first, g1
    # leading all four sessions (g2 and g3 are not free in those slots for them).
    G1_LEADS_EVERYTHING = {
        "day-mon-1": ("process", "g1"),
        "day-mon-2": ("skills", "g1"),
        "eve-mon-1": ("process", "g1"),
        "eve-mon-2": ("skills", "g1"),
    }

    def test_tracks_in_turn_keep_the_caps_in_the_tracks_own_met_and_sessions(self, make_week):
        raw = self.week(make_week)
        instance = parse_instance(raw)
        rosters = self.rosters(raw, self.G1_LEADS_EVERYTHING)
        over = [s for result in rosters.values() for s in result.sessions]
        assert [v.rule for v in validate(instance, part(instance, "north", over, []))] == [5]
        # no choice of who leads is enough: only g1 may lead any of those four sessions
        assert (
            preferred_leaders(instance, "north", over, limit=1.0, budget=Budget(**BUDGET)) is None
        )

        turned = tracks_in_turn(instance, "north", rosters, limit=5.0, budget=Budget(**BUDGET))

        assert turned is not None
        roster = part(instance, "north", *turned)
        assert validate(instance, roster) == []
        measured = metrics(instance, roster)
        assert (measured.met, measured.sessions) == (16, 4)
        # the day track first (as many sessions; by name), sparing g1 for the evening: g3
        # leads its skills group in the first slot, so g1 leads one session on each track
        by_slot = {s["slot"]: (s["type"], s["facilitator"]) for s in turned[0]}
        assert by_slot == {
            "day-mon-1": ("skills", "g3"),
            "day-mon-2": ("process", "g1"),
            "eve-mon-1": ("skills", "g1"),
            "eve-mon-2": ("process", "g2"),
        }

    def test_none_when_a_later_track_falls_short_of_its_own_roster(self, make_week):
        # g1 leads one session a week, as each track's roster alone has it; but the day
        # track needs it for its process group, and the evening is left without a skills
        # group
        raw = self.week(make_week, cap=1)
        instance = parse_instance(raw)
        led = {
            "day-mon-1": ("skills", "g3"),
            "day-mon-2": ("process", "g1"),
            "eve-mon-1": ("skills", "g1"),
            "eve-mon-2": ("process", "g2"),
        }
        rosters = self.rosters(raw, led)
        for track in ("day", "evening"):
            week = instance.one_track("north", track)
            roster = rosters[track]
            assert validate(week, part(week, "north", roster.sessions, roster.unmet)) == []

        turned = tracks_in_turn(instance, "north", rosters, limit=5.0, budget=Budget(**BUDGET))

        assert turned is None

    def test_the_first_track_leaves_each_shared_counselor_a_share_of_their_cap(self, make_week):
        # g1 and g4 both lead two sessions a week in either track; only g1 leads skills. The
        # day track's roster has g1 lead both its groups: as few with shared counselors as
        # any, but it would leave the evening's skills group no leader. Its share of g1,
        # half the cap as half of g1's slots, gives one of them to g4.
        staff = [
            {"id": "g1", "facilitates": ["process", "skills"], "max_sessions": 2},
            {"id": "g4", "facilitates": ["process"], "max_sessions": 2},
        ]
        raw = make_week(stages=["early"] * 8, day_stages=["late"] * 8, staff=staff)
        instance = parse_instance(raw)
        rosters = self.rosters(raw, self.G1_LEADS_EVERYTHING)

        turned = tracks_in_turn(instance, "north", rosters, limit=5.0, budget=Budget(**BUDGET))

        assert turned is not None
        assert validate(instance, part(instance, "north", *turned)) == []
        led_by = {
            track: Counter(s["facilitator"] for s in turned[0] if s["slot"].startswith(track))
            for track in ("day", "eve")
        }
        assert led_by == {"day": {"g1": 1, "g4": 1}, "eve": {"g1": 1, "g4": 1}}

    def test_three_tracks_each_leave_the_next_what_it_needs(self, monkeypatch):
        # g1, the only skills leader, leads three sessions a week over three tracks; each
        # track's helper leads only process groups, in its second slot. Each track's roster
        # alone has g1 lead both its groups: six. In turn, each leads one.
        tracks = ("a", "b", "c")
        slots = [f"{t}-mon-{n}" for t in tracks for n in (1, 2)]
        raw = {
            "format": "middlepath-roster/1",
            "week_of": "2026-12-07",
            "group_types": {
                "skills": {"min_size": 8, "max_size": 15, "same_stage": False},
                "process": {"min_size": 8, "max_size": 15, "same_stage": True},
            },
            "blocks": [
                {
                    "id": f"{t}-mon",
                    "location": "north",
                    "track": t,
                    "day": "mon",
                    "slots": [
                        {"id": f"{t}-mon-{n}", "start": start, "minutes": 90}
                        for n, start in ((1, "09:00"), (2, "10:30"))
                    ],
                }
                for t in tracks
            ],
            "rooms": [{"id": "room-a", "location": "north", "capacity": 15}],
            "staff": [
                {
                    "id": "g1",
                    "location": "north",
                    "facilitates": ["process", "skills"],
                    "slots": slots,
                    "max_sessions": 3,
                },
                *(
                    {
                        "id": f"h{t}",
                        "location": "north",
                        "facilitates": ["process"],
                        "slots": [f"{t}-mon-2"],
                        "max_sessions": 5,
                    }
                    for t in tracks
                ),
            ],
            "patients": [
                {
                    "id": f"{t}{n}",
                    "location": "north",
                    "track": t,
                    "stage": "early",
                    "target_minutes": 180,
                    "min_days": 1,
                    "max_days": 1,
                    "blocks": [f"{t}-mon"],
                    "needs": {"process": 1, "skills": 1},
                }
                for t in tracks
                for n in range(8)
            ],
        }
        instance = parse_instance(raw)
        rosters = {
            t: LocationResult(
                "north",
                [
                    {
                        "id": f"{t}-{n}",
                        "slot": f"{t}-mon-{n}",
                        "type": type_name,
                        "stage": "early" if type_name == "process" else None,
                        "room": "room-a",
                        "facilitator": "g1",
                        "members": [f"{t}{k}" for k in range(8)],
                    }
                    for n, type_name in ((1, "process"), (2, "skills"))
                ],
                [],
                bound_met=8,
                optimal=True,
            )
            for t in tracks
        }

        searched: list[tuple[str, int]] = []
        real_init = LocationSearch.__init__

        def watched(self: Any, week: Any, location: str, **options: Any) -> None:
            caps = {g.id: g.max_sessions for g in week.staff}
            searched.append((week.tracks_at(location), caps["g1"]))
            real_init(self, week, location, **options)

        monkeypatch.setattr(LocationSearch, "__init__", watched)
        turned = tracks_in_turn(instance, "north", rosters, limit=5.0, budget=Budget(**BUDGET))

        # a's roster kept (as many sessions each; by name), b and c searched again within
        # what the tracks before them leave g1
        assert searched == [(("b",), 2), (("c",), 1)]
        assert turned is not None
        roster = part(instance, "north", *turned)
        assert validate(instance, roster) == []
        measured = metrics(instance, roster)
        assert (measured.met, measured.sessions) == (24, 6)
        led = {(s["slot"], s["type"]): s["facilitator"] for s in turned[0]}
        assert led == {
            **{(f"{t}-mon-1", "skills"): "g1" for t in tracks},
            **{(f"{t}-mon-2", "process"): f"h{t}" for t in tracks},
        }
