"""The level-of-care suggestion made from an intake screening: a pure function, no Django.

This is a screening aid for the intake team, never a diagnosis or a clinical assessment. It
sorts the answers of a short structured conversation into the three places a caller can be
helped (inpatient or residential care, intensive outpatient, standard outpatient) and says
why, so the coordinator can explain the suggestion and the clinical team can confirm it.
The coordinator may choose another level with a written reason.

The ASAM Criteria's own decision rules are copyrighted, so these rules are ours, written
from the public descriptions of the levels and their hours (DOMAIN.md): inpatient or
residential care when withdrawal needs medical monitoring, safety is at risk, a condition
is unstable or there is no safe, sober place to live; intensive outpatient (9 or more hours
a week) for people stable enough to live at home who need more than weekly support or are
stepping down; standard outpatient (under 9 hours a week) when none of that applies.

Every rule is one row of a table below, with the reason shown to the user; the tests walk
the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    RESIDENTIAL = "residential"
    IOP = "iop"
    OUTPATIENT = "outpatient"


LEVEL_LABELS = {
    Level.RESIDENTIAL: "Inpatient or residential care (ASAM 3.1–4)",
    Level.IOP: "Intensive outpatient (ASAM 2.1: 9 or more hours a week)",
    Level.OUTPATIENT: "Standard outpatient (ASAM 1: fewer than 9 hours a week)",
}


class LastUse(StrEnum):
    DAY = "day"  # within the last 24 hours
    WEEK = "week"  # 1 to 7 days ago
    MONTH = "month"  # 8 to 30 days ago
    LONGER = "longer"  # more than 30 days ago


class Withdrawal(StrEnum):
    NONE = "none"
    MILD = "mild"
    SEVERE = "severe"  # seizures or DTs before, or heavy daily use of alcohol/sedatives/opioids


class Concern(StrEnum):
    NONE = "none"
    STABLE = "stable"  # present and managed
    UNSTABLE = "unstable"  # needs care now


class SuicidalThoughts(StrEnum):
    NONE = "none"
    PAST = "past"  # in the past, not now
    CURRENT = "current"  # now, without a plan or intent
    PLAN = "plan"  # now, with a plan or intent


class SoberSupport(StrEnum):
    HAS = "has"
    CAN_BUILD = "can_build"
    NONE = "none"


class Readiness(StrEnum):
    READY = "ready"
    UNSURE = "unsure"
    NOT_READY = "not_ready"


class SteppingDown(StrEnum):
    NO = "no"
    INPATIENT = "inpatient"  # detox or hospital
    RESIDENTIAL = "residential"


RECENT_USE = (LastUse.DAY, LastUse.WEEK, LastUse.MONTH)


@dataclass(frozen=True)
class Answers:
    last_use: LastUse
    withdrawal: Withdrawal
    medical: Concern
    psychiatric: Concern
    suicidal_thoughts: SuicidalThoughts
    safe_housing: bool
    others_using_at_home: bool
    sober_support: SoberSupport
    obligations: bool
    readiness: Readiness
    stepping_down: SteppingDown


@dataclass(frozen=True)
class Reason:
    code: str
    text: str


@dataclass(frozen=True)
class Rule:
    code: str
    applies: Callable[[Answers], bool]
    text: str

    def reason(self) -> Reason:
        return Reason(self.code, self.text)


@dataclass(frozen=True)
class Recommendation:
    level: Level
    reasons: tuple[Reason, ...]
    cautions: tuple[Reason, ...]
    # A safety answer that needs a clinician today, whatever the level.
    urgent: bool

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self.level]


# Any one of these makes outpatient care unsafe or unworkable for now.
RESIDENTIAL_RULES = (
    Rule(
        "withdrawal_needs_monitoring",
        lambda a: a.withdrawal == Withdrawal.SEVERE,
        "Withdrawal may need medical monitoring (supervised detox) before outpatient care is safe.",
    ),
    Rule(
        "suicidal_with_plan",
        lambda a: a.suicidal_thoughts == SuicidalThoughts.PLAN,
        "Current thoughts of suicide with a plan or intent: safety needs a protective setting "
        "and an assessment by a clinician now.",
    ),
    Rule(
        "medical_unstable",
        lambda a: a.medical == Concern.UNSTABLE,
        "A medical condition that needs care now, which an outpatient program cannot monitor.",
    ),
    Rule(
        "psychiatric_unstable",
        lambda a: a.psychiatric == Concern.UNSTABLE,
        "Mental-health symptoms that are not stable need round-the-clock support.",
    ),
    Rule(
        "no_safe_housing",
        lambda a: not a.safe_housing,
        "No safe, stable place to live: residential care gives a safe and sober place to start.",
    ),
    Rule(
        "using_home_no_support",
        lambda a: a.others_using_at_home and a.sober_support == SoberSupport.NONE,
        "Drinking or drug use at home and no sober support to lean on: home would work "
        "against recovery for now.",
    ),
)

# Without a residential reason, any one of these calls for more than weekly outpatient care.
IOP_RULES = (
    Rule(
        "stepping_down",
        lambda a: a.stepping_down != SteppingDown.NO,
        "Stepping down from inpatient or residential care: IOP keeps the structure while "
        "they return home.",
    ),
    Rule(
        "recent_use",
        lambda a: a.last_use in RECENT_USE,
        "Used in the last 30 days: several sessions a week, not one, to build early recovery.",
    ),
    Rule(
        "mild_withdrawal",
        lambda a: a.withdrawal == Withdrawal.MILD,
        "Mild withdrawal symptoms: manageable in outpatient care with a physician's review.",
    ),
    Rule(
        "medical_stable",
        lambda a: a.medical == Concern.STABLE,
        "A stable medical condition: IOP can coordinate treatment around it.",
    ),
    Rule(
        "psychiatric_stable",
        lambda a: a.psychiatric == Concern.STABLE,
        "Stable mental-health concerns alongside substance use: IOP treats both together.",
    ),
    Rule(
        "suicidal_without_plan",
        lambda a: a.suicidal_thoughts == SuicidalThoughts.CURRENT,
        "Thoughts of suicide without a plan: more contact than weekly outpatient care, with a "
        "safety plan made today.",
    ),
    Rule(
        "using_at_home",
        lambda a: a.others_using_at_home,
        "Drinking or drug use at home: frequent support while they build a sober network.",
    ),
    Rule(
        "no_sober_support_yet",
        lambda a: a.sober_support != SoberSupport.HAS,
        "No sober support network yet: IOP's groups help build one.",
    ),
)

# Shown with an IOP suggestion to explain why IOP rather than residential care fits.
IOP_SUPPORTING_RULES = (
    Rule(
        "obligations",
        lambda a: a.obligations,
        "Has work, school or family obligations: IOP's day or evening schedule lets them keep "
        "them.",
    ),
    Rule(
        "sober_support",
        lambda a: a.sober_support in (SoberSupport.HAS, SoberSupport.CAN_BUILD),
        "Has, or can build, a sober support network: stable enough to live at home during "
        "treatment.",
    ),
)

OUTPATIENT_REASON = Reason(
    "stable",
    "No use in the last 30 days, no withdrawal, no medical or mental-health concerns, and a "
    "safe, sober home with support: fewer than 9 hours a week of outpatient care may be enough.",
)

CAUTION_RULES = (
    Rule(
        "safety",
        lambda a: a.suicidal_thoughts in (SuicidalThoughts.CURRENT, SuicidalThoughts.PLAN),
        "Safety first: if there is immediate danger call 911; the 988 Suicide & Crisis "
        "Lifeline answers calls and texts at any hour. Bring in a clinician today.",
    ),
    Rule(
        "past_suicidal_thoughts",
        lambda a: a.suicidal_thoughts == SuicidalThoughts.PAST,
        "Past thoughts of suicide: ask again at admission and at every change.",
    ),
    Rule(
        "unsure",
        lambda a: a.readiness == Readiness.UNSURE,
        "Unsure about treatment: a motivational conversation before admission helps.",
    ),
    Rule(
        "not_ready",
        lambda a: a.readiness == Readiness.NOT_READY,
        "Not ready to start: keep in touch; readiness changes, and pressure from others is "
        "not the same as readiness.",
    ),
)


def recommend(answers: Answers) -> Recommendation:
    """The suggested level of care for these answers, with every reason that led to it."""
    cautions = tuple(rule.reason() for rule in CAUTION_RULES if rule.applies(answers))
    urgent = answers.suicidal_thoughts in (SuicidalThoughts.CURRENT, SuicidalThoughts.PLAN)
    residential = tuple(rule.reason() for rule in RESIDENTIAL_RULES if rule.applies(answers))
    if residential:
        if answers.obligations:
            cautions += (
                Reason(
                    "obligations_residential",
                    "Work or family obligations: help them plan leave and care at home; "
                    "their safety and health come first.",
                ),
            )
        return Recommendation(Level.RESIDENTIAL, residential, cautions, urgent)
    needs = tuple(rule.reason() for rule in IOP_RULES if rule.applies(answers))
    if needs:
        supporting = tuple(rule.reason() for rule in IOP_SUPPORTING_RULES if rule.applies(answers))
        return Recommendation(Level.IOP, needs + supporting, cautions, urgent)
    return Recommendation(Level.OUTPATIENT, (OUTPATIENT_REASON,), cautions, urgent)
