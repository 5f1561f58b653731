"""The level-of-care rules: every rule, alone and in company, with the reason it gives."""

from __future__ import annotations

from dataclasses import replace

import pytest

from middlepath.intake.recommend import (
    CAUTION_RULES,
    IOP_RULES,
    IOP_SUPPORTING_RULES,
    RESIDENTIAL_RULES,
    Answers,
    Concern,
    LastUse,
    Level,
    Readiness,
    SoberSupport,
    SteppingDown,
    SuicidalThoughts,
    Withdrawal,
    recommend,
)

# Stable, sober, supported, no recent use: the baseline that suggests standard outpatient.
STABLE = Answers(
    last_use=LastUse.LONGER,
    withdrawal=Withdrawal.NONE,
    medical=Concern.NONE,
    psychiatric=Concern.NONE,
    suicidal_thoughts=SuicidalThoughts.NONE,
    safe_housing=True,
    others_using_at_home=False,
    sober_support=SoberSupport.HAS,
    obligations=False,
    readiness=Readiness.READY,
    stepping_down=SteppingDown.NO,
)

# (case, changes from STABLE, level, reason codes in order)
CASES = [
    ("stable", {}, Level.OUTPATIENT, ["stable"]),
    ("stable with obligations", {"obligations": True}, Level.OUTPATIENT, ["stable"]),
    (
        "withdrawal needs monitoring",
        {"withdrawal": Withdrawal.SEVERE},
        Level.RESIDENTIAL,
        ["withdrawal_needs_monitoring"],
    ),
    (
        "suicidal with a plan",
        {"suicidal_thoughts": SuicidalThoughts.PLAN},
        Level.RESIDENTIAL,
        ["suicidal_with_plan"],
    ),
    ("medical unstable", {"medical": Concern.UNSTABLE}, Level.RESIDENTIAL, ["medical_unstable"]),
    (
        "psychiatric unstable",
        {"psychiatric": Concern.UNSTABLE},
        Level.RESIDENTIAL,
        ["psychiatric_unstable"],
    ),
    ("no safe housing", {"safe_housing": False}, Level.RESIDENTIAL, ["no_safe_housing"]),
    (
        "use at home and no support",
        {"others_using_at_home": True, "sober_support": SoberSupport.NONE},
        Level.RESIDENTIAL,
        ["using_home_no_support"],
    ),
    (
        "stepping down from inpatient",
        {"stepping_down": SteppingDown.INPATIENT},
        Level.IOP,
        ["stepping_down", "sober_support"],
    ),
    (
        "stepping down from residential",
        {"stepping_down": SteppingDown.RESIDENTIAL},
        Level.IOP,
        ["stepping_down", "sober_support"],
    ),
    ("used today", {"last_use": LastUse.DAY}, Level.IOP, ["recent_use", "sober_support"]),
    ("used this week", {"last_use": LastUse.WEEK}, Level.IOP, ["recent_use", "sober_support"]),
    ("used this month", {"last_use": LastUse.MONTH}, Level.IOP, ["recent_use", "sober_support"]),
    (
        "mild withdrawal",
        {"withdrawal": Withdrawal.MILD},
        Level.IOP,
        ["mild_withdrawal", "sober_support"],
    ),
    ("medical stable", {"medical": Concern.STABLE}, Level.IOP, ["medical_stable", "sober_support"]),
    (
        "psychiatric stable",
        {"psychiatric": Concern.STABLE},
        Level.IOP,
        ["psychiatric_stable", "sober_support"],
    ),
    (
        "suicidal without a plan",
        {"suicidal_thoughts": SuicidalThoughts.CURRENT},
        Level.IOP,
        ["suicidal_without_plan", "sober_support"],
    ),
    (
        "use at home with support",
        {"others_using_at_home": True},
        Level.IOP,
        ["using_at_home", "sober_support"],
    ),
    (
        "support still to build",
        {"sober_support": SoberSupport.CAN_BUILD},
        Level.IOP,
        ["no_sober_support_yet", "sober_support"],
    ),
    (
        "no support, sober home",
        {"sober_support": SoberSupport.NONE},
        Level.IOP,
        ["no_sober_support_yet"],
    ),
    (
        "recent use with obligations",
        {"last_use": LastUse.WEEK, "obligations": True},
        Level.IOP,
        ["recent_use", "obligations", "sober_support"],
    ),
    (
        "residential wins over IOP and lists every reason",
        {"withdrawal": Withdrawal.SEVERE, "safe_housing": False, "last_use": LastUse.DAY},
        Level.RESIDENTIAL,
        ["withdrawal_needs_monitoring", "no_safe_housing"],
    ),
]


class TestRecommend:
    @pytest.mark.parametrize(
        ("changes", "level", "codes"),
        [case[1:] for case in CASES],
        ids=[case[0] for case in CASES],
    )
    def test_it_follows_the_table(self, changes, level, codes):
        suggestion = recommend(replace(STABLE, **changes))
        assert suggestion.level == level
        assert [reason.code for reason in suggestion.reasons] == codes
        assert all(reason.text for reason in suggestion.reasons)

    def test_every_rule_is_covered_by_the_table(self):
        covered = {code for *_, codes in CASES for code in codes}
        rules = RESIDENTIAL_RULES + IOP_RULES + IOP_SUPPORTING_RULES
        assert {rule.code for rule in rules} | {"stable"} <= covered

    def test_it_never_calls_itself_a_diagnosis(self):
        for rule in RESIDENTIAL_RULES + IOP_RULES + IOP_SUPPORTING_RULES + CAUTION_RULES:
            assert "diagnos" not in rule.text.lower()

    def test_labels_name_the_asam_level_and_hours(self):
        assert "2.1" in recommend(replace(STABLE, last_use=LastUse.DAY)).label
        assert "fewer than 9 hours" in recommend(STABLE).label
        assert "residential" in recommend(replace(STABLE, safe_housing=False)).label.lower()


class TestCautions:
    @pytest.mark.parametrize(
        ("changes", "codes", "urgent"),
        [
            ({}, [], False),
            ({"suicidal_thoughts": SuicidalThoughts.CURRENT}, ["safety"], True),
            ({"suicidal_thoughts": SuicidalThoughts.PLAN}, ["safety"], True),
            ({"suicidal_thoughts": SuicidalThoughts.PAST}, ["past_suicidal_thoughts"], False),
            ({"readiness": Readiness.UNSURE}, ["unsure"], False),
            ({"readiness": Readiness.NOT_READY}, ["not_ready"], False),
            (
                {"safe_housing": False, "obligations": True},
                ["obligations_residential"],
                False,
            ),
        ],
    )
    def test_it_adds_cautions_without_changing_the_level_rules(self, changes, codes, urgent):
        suggestion = recommend(replace(STABLE, **changes))
        assert [caution.code for caution in suggestion.cautions] == codes
        assert suggestion.urgent is urgent

    def test_the_safety_caution_gives_crisis_numbers(self):
        suggestion = recommend(replace(STABLE, suicidal_thoughts=SuicidalThoughts.PLAN))
        assert "988" in suggestion.cautions[0].text
        assert "911" in suggestion.cautions[0].text
