"""Shared fixtures: a small clinic and named personas, one per role, plus an outsider."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.test import Client

from middlepath.accounts.models import User
from middlepath.accounts.roles import Role
from middlepath.care.models import Patient
from middlepath.clinic.models import Location, Phase, Program, Track
from middlepath.sessions import services as session_services
from middlepath.sessions.models import Session, TherapyGroup
from tests import factories


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Each test gets its own audit head witness and a known audit key.

    Passwords hash with a fast hasher here: production's PBKDF2 (a million rounds) would
    make the suite crawl; tests/accounts/test_passwords.py checks production's choice.
    """
    settings.AUDIT_KEY = "test-audit-key"
    settings.AUDIT_HEAD_FILE = tmp_path / "audit-head.json"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Clinic:
    location: Location
    other_location: Location
    program: Program
    phases: list[Phase]
    evening: Track
    day: Track
    other_track: Track


@pytest.fixture
def clinic(db) -> Clinic:
    location = factories.make_location("Riverside")
    other = factories.make_location("Northgate")
    program = factories.make_program()
    phases = factories.make_phases(program)
    return Clinic(
        location=location,
        other_location=other,
        program=program,
        phases=phases,
        evening=factories.make_track(location, program, "evening"),
        day=factories.make_track(location, program, "day", meeting_days=[1, 2, 3, 4, 5]),
        other_track=factories.make_track(other, program, "evening"),
    )


@dataclass
class Personas:
    intake: User
    counselor: User
    case_manager: User
    physician: User
    biller: User
    director: User
    admin: User
    outsider: User  # a counselor at the other location
    no_role: User  # signed in, at the location, but with no role


@pytest.fixture
def staff(clinic: Clinic) -> Personas:
    here = clinic.location
    return Personas(
        intake=factories.make_staff(Role.INTAKE, here, username="intake"),
        counselor=factories.make_staff(
            Role.COUNSELOR, here, username="counselor", is_licensed=True
        ),
        case_manager=factories.make_staff(Role.CASE_MANAGER, here, username="casemanager"),
        physician=factories.make_staff(Role.PHYSICIAN, here, username="physician"),
        biller=factories.make_staff(Role.BILLING, here, username="biller"),
        director=factories.make_staff(
            Role.DIRECTOR, here, clinic.other_location, username="director"
        ),
        admin=factories.make_staff(Role.ADMIN, here, clinic.other_location, username="admin"),
        outsider=factories.make_staff(Role.COUNSELOR, clinic.other_location, username="outsider"),
        no_role=factories.make_staff(None, here, username="norole"),
    )


@pytest.fixture
def login():
    """login(user) -> a test client signed in as that user."""

    def sign_in(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return sign_in


@dataclass
class GroupSetUp:
    group: TherapyGroup
    members: list[Patient]
    today: dt.date

    def session_on(self, day: dt.date, by) -> Session:
        session_services.generate_sessions(group=self.group, by=by, first=day, last=day)
        return self.group.sessions.get(date=day)

    def past_session(self, by, weeks_ago: int = 0) -> Session:
        """A session of the group on its latest meeting day up to today."""
        day = self.today - dt.timedelta(days=7 * weeks_ago)
        while not self.group.meets_on(day):
            day -= dt.timedelta(days=1)
        return self.session_on(day, by)


@pytest.fixture
def evening_group(clinic, staff) -> GroupSetUp:
    """An evening skills group meeting every day of the week, with eight members."""
    today = clinic.location.today()
    group = factories.make_group(
        clinic.evening, staff.counselor, meeting_days=[1, 2, 3, 4, 5, 6, 7]
    )
    members = []
    for number in range(8):
        patient = factories.enrolled_patient(
            clinic.evening, clinic.phases[1], first_name=f"Member{factories.letters(number)}"
        )
        session_services.add_member(
            group=group,
            patient=patient,
            by=staff.counselor,
            joined_on=today - dt.timedelta(days=14),
        )
        members.append(patient)
    return GroupSetUp(group, members, today)
