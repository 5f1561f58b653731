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
