"""The fixed parts of the demo clinic: sites, schedules, phases, group types, curriculum.

All names are invented. Curriculum topics are written for this demo, following the group
kinds SAMHSA's TIP 47 describes (psychoeducation, skills, process, family).
"""

from __future__ import annotations

import datetime as dt

SITES = [
    # name, code, time zone, city, state, aftercare club
    ("Riverside", "riverside", "America/New_York", "Millbrook", "NY", True),
    ("Northgate", "northgate", "America/Chicago", "Cedar Falls", "IL", False),
    ("Lakeview", "lakeview", "America/Chicago", "Harbor Point", "WI", False),
    ("Hillcrest", "hillcrest", "America/Denver", "Pine Ridge", "CO", True),
    ("Bayside", "bayside", "America/Los_Angeles", "Seacliff", "CA", False),
    ("Meadowbrook", "meadowbrook", "America/New_York", "Fairhaven", "PA", False),
]

ROOMS = [("Oak room", 15), ("Maple room", 12), ("Birch room", 15), ("Cedar room", 10)]

# name, kind, meeting days (ISO weekdays), block start, block end
TRACKS = [
    ("Day track", "day", [1, 2, 3, 4, 5], dt.time(9, 0), dt.time(12, 0)),
    ("Evening track", "evening", [1, 2, 3, 4], dt.time(18, 0), dt.time(21, 0)),
]

# name, order, weekly target minutes, min days, max days, description
PHASES = [
    ("Phase 1: Intensive", 1, 720, 4, 5, "Twelve hours a week on four days, for the first weeks."),
    ("Phase 2: Core", 2, 540, 3, 4, "Nine hours a week on three days."),
    ("Phase 3: Step-down", 3, 360, 2, 3, "Six hours a week on two days, before outpatient care."),
]
# The group sessions a week each phase needs at least (for the weekly roster).
PHASE_NEEDS = {
    1: {"process": 2, "psychoeducation": 2, "skills": 2},
    2: {"process": 2, "psychoeducation": 1, "skills": 1},
    3: {"process": 2, "skills": 1},
}

# name, kind, code, same stage, topics: (title, skill, homework)
GROUP_TYPES = [
    (
        "Psychoeducation",
        "psychoeducation",
        "psychoeducation",
        False,
        [
            (
                "How addiction changes the brain",
                "Recognising cravings as a brain response",
                "Notice one craving this week: time, place, feeling, what you did.",
            ),
            (
                "Thoughts that lead to use",
                "Spotting all-or-nothing thinking",
                "Write down two thoughts that came before an urge and one answer to each.",
            ),
            (
                "Alcohol, drugs and sleep",
                "Building a sleep routine",
                "Keep a sleep log for five nights.",
            ),
            (
                "Post-acute withdrawal",
                "Expecting and naming symptoms",
                "List the symptoms you still notice and rate them 0-10 daily.",
            ),
            (
                "Medication for addiction treatment",
                "Asking informed questions",
                "Write three questions for your physician.",
            ),
            (
                "Stages of change",
                "Placing yourself honestly",
                "Describe where you are now and what would move you one step.",
            ),
        ],
    ),
    (
        "Skills development",
        "skills",
        "skills",
        False,
        [
            (
                "Relapse prevention plan",
                "Mapping high-risk situations",
                "Fill in your plan: three triggers, three responses, three people to call.",
            ),
            (
                "Speaking up for yourself",
                "Assertive requests",
                "Practise one assertive request and note how it went.",
            ),
            (
                "Stress without substances",
                "Paced breathing and grounding",
                "Practise paced breathing twice a day and log it.",
            ),
            (
                "Refusal skills",
                "Saying no and leaving",
                "Rehearse a refusal script with someone you trust.",
            ),
            (
                "Managing anger",
                "Time-out and cool-down",
                "Use a time-out once and write what happened after.",
            ),
            (
                "Building a sober network",
                "Asking for support",
                "Attend one support meeting and talk to one person there.",
            ),
        ],
    ),
    (
        "Process group",
        "process",
        "process",
        True,
        [
            (
                "Trust and honesty in recovery",
                "",
                "Tell one person one true thing you had been hiding.",
            ),
            (
                "Repairing relationships",
                "",
                "Write, but do not send, a letter to someone you hurt.",
            ),
            ("Shame and self-worth", "", "Note one thing each day you did that you respect."),
            (
                "Conflict without violence or use",
                "",
                "Describe a recent conflict and what you would repeat.",
            ),
        ],
    ),
    (
        "Relapse prevention",
        "skills",
        "relapse-prevention",
        False,
        [
            (
                "Warning signs before a lapse",
                "Spotting early warning signs",
                "List your three earliest warning signs and who you will tell.",
            ),
            (
                "High-risk situations",
                "Planning for weekends and paydays",
                "Write a plan for your next payday.",
            ),
            (
                "Coping with cravings",
                "Urge surfing",
                "Practise urge surfing once a day and note how long the urge lasted.",
            ),
            (
                "After a lapse",
                "Getting back on track quickly",
                "Write what you would do in the first hour after a lapse.",
            ),
        ],
    ),
    (
        "Family group",
        "family",
        "family",
        False,
        [
            (
                "Addiction as a family illness",
                "",
                "Each family member writes one hope for the next month.",
            ),
            (
                "Boundaries that help",
                "Setting one clear boundary",
                "Agree on one household boundary together.",
            ),
            (
                "Communication at home",
                "Listening without fixing",
                "Hold one ten-minute listening conversation.",
            ),
        ],
    ),
]

DEMO_PASSWORD = "middlepath-demo"  # noqa: S105 (synthetic demo accounts only)

# The accounts printed after a build (those of the first location, plus the org-wide roles).
DEMO_LOGINS = [
    ("director", "Program director"),
    ("admin", "Administrator"),
    ("intake", "Intake coordinator"),
    ("counselor1", "Counselor / therapist"),
    ("casemanager", "Case manager"),
    ("physician", "Physician"),
    ("billing", "Billing"),
]

# Group patterns: which group types a phase attends and when each type meets. All groups of
# one type meet at the same time on a track, side by side in different rooms, so a patient
# can be in any group of each type without a clash. (type code, weekdays, slot of the block)
GROUP_PATTERN = [
    ("process", [1, 3], 0),
    ("psychoeducation", [1, 3], 1),
    ("skills", [2, 4], 0),
    ("relapse-prevention", [2, 4], 1),
]
# Per phase (by order): the group types attended. 8, 6 and 4 sessions of 90 minutes make
# 720, 540 and 360 minutes: the phases' weekly targets.
GROUPS_BY_PHASE = {
    1: ["process", "psychoeducation", "skills", "relapse-prevention"],
    2: ["process", "psychoeducation", "skills"],
    3: ["process", "skills"],
}
FAMILY_GROUP_DAY = 5  # Friday evening, outside the tracks' blocks

CHECK_INS = [
    "Cravings after work this week; called my sponsor twice.",
    "Slept better; still anxious in the mornings.",
    "Argument with my partner, left the room instead of drinking.",
    "Payday on Friday worries me.",
    "Went to two support meetings, spoke at one.",
    "Feeling flat; not much motivation.",
    "Old friends invited me out; said no.",
    "Proud of thirty days.",
    "Work is stressful; used breathing at my desk.",
    "Had a lapse on Saturday; told my counselor the same day.",
    "Family dinner went well.",
    "Back pain is making it hard to sit through group.",
    "Started looking for a sober living place.",
    "Kids noticed I'm calmer.",
    "Tempted when I drove past the bar; kept driving.",
    "Nervous about court next week.",
    "Journaled every day this week.",
    "Missed a meeting; want to get back on track.",
    "Got positive feedback at work.",
    "Angry about a lot of things today.",
]

SUMMARIES = [
    "The group worked on {topic}. Members named their own examples and practised in pairs; "
    "most took an active part. Homework set to apply it before the next session.",
    "{topic}: brief teaching, then discussion of members' recent situations. Several members "
    "linked the topic to the week's check-in. Homework reviewed and set.",
    "Focused on {topic}. Role-plays of two members' real situations; the group gave "
    "supportive feedback. Energy was good; one member quiet and will be checked on.",
]

VISIT_NOTES = [
    (
        "Review of the week and of cravings; triggers at home.",
        "Motivational interviewing; planning for the weekend.",
        "Engaged; identified two high-risk times.",
        "Continue weekly; practise the weekend plan.",
    ),
    (
        "Stress at work and sleep.",
        "Sleep hygiene; paced breathing practice.",
        "Receptive; will try the routine for a week.",
        "Review the sleep log next session.",
    ),
    (
        "Relationship conflict and relapse risk.",
        "Communication skills; safety and support plan.",
        "Named a support person to call.",
        "Consider a family session; continue weekly.",
    ),
]

CASE_MANAGEMENT_NOTE = (
    "Benefits, transport and housing check-in.",
    "Reviewed bus pass and a sober living referral.",
    "Will visit the sober living home on Saturday.",
    "Follow up on the housing application in four weeks.",
)


def holidays(year: int) -> dict:
    """US holidays on which the program closes (sessions cancelled)."""
    import datetime as dt

    def nth_weekday(month: int, weekday: int, n: int) -> dt.date:
        day = dt.date(year, month, 1)
        day += dt.timedelta(days=(weekday - day.isoweekday()) % 7)
        return day + dt.timedelta(weeks=n - 1)

    def last_weekday(month: int, weekday: int) -> dt.date:
        day = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
        return day - dt.timedelta(days=(day.isoweekday() - weekday) % 7)

    return {
        dt.date(year, 1, 1): "New Year's Day",
        last_weekday(5, 1): "Memorial Day",
        dt.date(year, 7, 4): "Independence Day",
        nth_weekday(9, 1, 1): "Labor Day",
        nth_weekday(11, 4, 4): "Thanksgiving",
        dt.date(year, 12, 25): "Christmas Day",
    }
