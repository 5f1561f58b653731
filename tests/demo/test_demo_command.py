from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from middlepath.accounts.models import User
from middlepath.accounts.roles import Role
from middlepath.care.models import Episode, EpisodeChange, Patient, ReferralSource
from middlepath.clinic.models import CurriculumTopic, GroupType, Location, Phase, Room, Track
from middlepath.intake.models import Inquiry
from middlepath.privacy import audit
from middlepath.sessions import hours
from middlepath.sessions.models import Attendance, CheckIn, Homework, Note, Session, TherapyGroup

ARGS = [
    "--seed",
    "7",
    "--patients",
    "60",
    "--weeks",
    "12",
    "--today",
    "2026-11-23",
    "--no-progress",
]


def _fingerprint() -> str:
    # Record ids (and so MRNs) depend on the database's sequences, not on the seed.
    who = ("last_name", "first_name", "date_of_birth")
    rows = Patient.objects.order_by(*who).values_list(*who, "location__code", "recovery_stage")
    episodes = Episode.objects.order_by(
        *(f"patient__{name}" for name in who), "admitted_on"
    ).values_list(
        *(f"patient__{name}" for name in who),
        "admitted_on",
        "discharged_on",
        "track__name",
        "phase__order",
        "level_of_care",
    )
    return hashlib.sha256(repr((list(rows), list(episodes))).encode()).hexdigest()


@pytest.mark.django_db
class TestDemo:
    def test_it_builds_a_realistic_clinic(self, capsys):
        call_command("demo", *ARGS)
        out = capsys.readouterr().out
        assert "director" in out and "middlepath-demo" in out

        assert Location.objects.count() == 2
        assert Location.objects.filter(has_aftercare_club=True).count() == 1
        assert Room.objects.count() >= 6
        for track in Track.objects.all():
            assert 3 <= len(track.meeting_days) <= 5
            assert track.block_minutes == 180
        assert {t.kind for t in Track.objects.all()} == {"day", "evening"}
        targets = list(
            Phase.objects.order_by("order").values_list("weekly_target_minutes", "min_days")
        )
        assert targets == [(720, 4), (540, 3), (360, 2)]
        kinds = set(GroupType.objects.values_list("kind", flat=True))
        assert kinds == {"psychoeducation", "skills", "process", "family"}
        assert GroupType.objects.get(kind="process").same_stage
        assert all(g.min_size == 8 and g.max_size == 15 for g in GroupType.objects.all())
        assert CurriculumTopic.objects.count() >= 15
        for role in Role:
            assert User.objects.with_role(role).exists(), role

        assert Patient.objects.count() == 60
        assert Episode.objects.open().exists() and Episode.objects.discharged().exists()
        assert Episode.objects.filter(referral_source=ReferralSource.INPATIENT_STEP_DOWN).exists()
        readmitted = [p for p in Patient.objects.all() if p.episodes.count() > 1]
        assert len(readmitted) == 1
        assert EpisodeChange.objects.filter(kind="change").exists()
        assert set(Patient.objects.values_list("recovery_stage", flat=True)) == {
            "early",
            "middle",
            "late",
        }
        assert all(p.mrn for p in Patient.objects.all())
        assert audit.verify().ok

    def test_it_builds_weeks_of_history(self):
        call_command("demo", *ARGS)
        today = dt.date(2026, 11, 23)
        groups = TherapyGroup.objects.with_member_count(today)
        assert groups.count() >= 8
        assert all(group.member_count <= 15 for group in groups)
        assert set(groups.values_list("group_type__kind", flat=True)) >= {
            "process",
            "skills",
            "psychoeducation",
        }
        past = Session.objects.filter(date__lt=today)
        assert past.filter(kind="group").exists() and past.filter(kind="individual").exists()
        assert (
            not Session.objects.filter(date__gte=today)
            .exclude(status="cancelled")
            .filter(attendance__isnull=False)
            .exists()
        )
        statuses = set(Attendance.objects.values_list("status", flat=True))
        assert {"present", "late", "left_early", "absent_excused", "absent_unexcused"} <= statuses
        assert (
            Note.objects.filter(status="signed").count()
            >= past.filter(status="scheduled").count() * 0.9
        )
        assert CheckIn.objects.exists() and Homework.objects.filter(status="done").exists()
        for location in Location.objects.all():
            _, rows = hours.compliance(location, today - dt.timedelta(days=7))
            full_weeks = [row for row in rows if not row.partial_week]
            met = sum(row.compliant for row in full_weeks)
            assert met > 0.6 * len(full_weeks)  # most meet their target...
            assert met < len(full_weeks)  # ...and some fall short
        assert {
            "new",
            "contacted",
            "screened",
            "benefits_verified",
            "admission_scheduled",
            "closed",
        } <= set(Inquiry.objects.values_list("status", flat=True))

    @pytest.mark.django_db(transaction=True)
    def test_the_same_seed_builds_the_same_clinic(self):
        # --reset empties the database as a real run does, outside any test transaction.
        call_command("demo", *ARGS)
        first = _fingerprint()
        call_command("demo", "--reset", *ARGS)
        assert _fingerprint() == first
        call_command("demo", "--reset", *ARGS[:1], "8", *ARGS[2:])
        assert _fingerprint() != first

    def test_it_refuses_a_database_that_holds_a_clinic(self):
        call_command("demo", *ARGS)
        with pytest.raises(CommandError, match="already holds a clinic"):
            call_command("demo", *ARGS)
        assert Patient.objects.count() == 60

    def test_if_empty_leaves_an_existing_clinic_alone(self, capsys):
        call_command("demo", *ARGS)
        call_command("demo", "--if-empty", *ARGS)
        assert "nothing built" in capsys.readouterr().out
        assert Patient.objects.count() == 60

    @pytest.mark.parametrize(
        "bad", [["--patients", "0"], ["--weeks", "many"], ["--today", "yesterday"]]
    )
    def test_bad_arguments_are_refused(self, bad):
        with pytest.raises(CommandError):
            call_command("demo", *bad)

    def test_more_locations(self):
        call_command("demo", "--locations", "3", "--patients", "30", "--no-progress")
        assert Location.objects.count() == 3
        assert Patient.objects.values("location").distinct().count() == 3
