"""The weekly roster against the database: export, solve, apply, and the director's page."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from middlepath.clinic.models import Location
from middlepath.roster import adapter, explain, proposal, runner
from middlepath.roster.baseline import baseline
from middlepath.roster.instance import parse_instance
from middlepath.roster.models import PatientDays, RosterRun, StaffSlots, WeekPlan
from middlepath.roster.solver import solve
from middlepath.roster.validate import validate
from middlepath.sessions import hours
from middlepath.sessions.models import Membership, Seat, Session
from tests import factories
from tests.roster.solving import take_out_a_patient

TODAY = dt.date(2026, 11, 23)
NEXT_WEEK = dt.date(2026, 11, 30)


@pytest.fixture
def demo(db):
    call_command(
        "demo",
        "--seed",
        "3",
        "--patients",
        "70",
        "--weeks",
        "2",
        "--locations",
        "1",
        "--today",
        TODAY.isoformat(),
        "--no-progress",
    )
    return Location.objects.get()


def _press_build(client, location, seconds, capture_on_commit):
    """*Build roster* pressed on the page for next week; the build starts on commit."""
    with capture_on_commit(execute=True):
        return client.post(
            reverse("roster:build"),
            {"location": location.pk, "week": NEXT_WEEK.isoformat(), "seconds": str(seconds)},
        )


def _solved(location, seconds=5):
    instance = adapter.build_instance([location], NEXT_WEEK)
    return instance, solve(instance, seconds=seconds, deterministic=True)


@pytest.mark.django_db
class TestExport:
    def test_the_week_in_the_roster_format(self, demo):
        instance = adapter.build_instance([demo], NEXT_WEEK + dt.timedelta(days=3))
        parsed = parse_instance(instance)
        assert instance["week_of"] == NEXT_WEEK.isoformat()
        assert "family" not in instance["group_types"]
        assert instance["group_types"]["process"]["same_stage"] is True
        evening = [b for b in instance["blocks"] if "evening" in b["track"]]
        assert {b["day"] for b in evening} == {"mon", "tue", "wed", "thu"}
        assert all(
            len(b["slots"]) == 2 and b["slots"][0]["minutes"] == 90 for b in instance["blocks"]
        )
        assert parsed.patients and all(p.location == demo.code for p in parsed.patients)
        patient = instance["patients"][0]
        assert patient["target_minutes"] in (360, 540, 720)
        assert patient["needs"]["process"] == 2
        assert any("prefer_facilitator" in p for p in instance["patients"])
        assert all(set(s["facilitates"]) >= {"process", "skills"} for s in instance["staff"])

    def test_availability_is_honoured(self, demo):
        plan = WeekPlan.objects.for_week(demo, NEXT_WEEK)
        episode = adapter.enrolled(demo, NEXT_WEEK).first()
        PatientDays.objects.create(
            plan=plan, patient=episode.patient, days=[episode.track.meeting_days[0]]
        )
        instance = adapter.build_instance([demo], NEXT_WEEK)
        mine = next(p for p in instance["patients"] if p["id"] == f"patient-{episode.patient_id}")
        assert len(mine["blocks"]) == 1
        room = demo.rooms.first()
        plan.closed_rooms.add(room)
        staff = instance["staff"][0]
        user_pk = int(staff["id"].split("-")[1])
        StaffSlots.objects.create(plan=plan, user_id=user_pk, slots=staff["slots"][:2])
        instance = adapter.build_instance([demo], NEXT_WEEK)
        assert f"room-{room.pk}" not in {r["id"] for r in instance["rooms"]}
        assert (
            next(s for s in instance["staff"] if s["id"] == staff["id"])["slots"]
            == staff["slots"][:2]
        )


@pytest.mark.django_db
class TestRoundTrip:
    def test_export_solve_apply(self, demo):
        instance, solution = _solved(demo)
        assert validate(instance, solution) == []
        assert solution["objective"]["met"] >= 0.8 * len(instance["patients"])
        change = adapter.compare(demo, NEXT_WEEK, instance, solution)
        assert change.can_apply and change.sessions_after == len(solution["sessions"])
        applied = adapter.apply_solution(
            location=demo, week_start=NEXT_WEEK, instance=instance, solution=solution, by=None
        )
        sessions = Session.objects.filter(
            date__range=(NEXT_WEEK, NEXT_WEEK + dt.timedelta(days=6)), kind="group"
        )
        assert applied.sessions == sessions.count() == len(solution["sessions"])
        assert sessions.filter(seated=True).count() == applied.sessions
        seats = Seat.objects.filter(session__in=sessions).count()
        assert seats == sum(len(s["members"]) for s in solution["sessions"])
        # Each met patient is expected at exactly the sessions the roster gave them.
        met = next(p for p in instance["patients"] if p["id"] not in solution["unmet"])
        pk = int(met["id"].split("-")[1])
        theirs = [s for s in solution["sessions"] if met["id"] in s["members"]]
        assert sessions.expecting(factories.Patient.objects.get(pk=pk)).count() == len(theirs)
        assert Membership.objects.filter(patient_id=pk, joined_on=NEXT_WEEK).exists()
        minutes = hours.still_scheduled(demo, hours.Week(NEXT_WEEK), NEXT_WEEK)
        assert minutes[pk] >= met["target_minutes"]
        again = adapter.compare(demo, NEXT_WEEK, instance, solution)
        assert again.patients_changed == [] and again.sessions_before == applied.sessions
        # Applied again, the week's sessions belong to the standing groups made the first time
        # (one closed since is opened again).
        from middlepath.sessions.models import TherapyGroup

        made = TherapyGroup.objects.filter(sessions__in=sessions).distinct()
        closed = made.first()
        TherapyGroup.objects.filter(pk=closed.pk).update(is_active=False)
        count = TherapyGroup.objects.count()
        reapplied = adapter.apply_solution(
            location=demo, week_start=NEXT_WEEK, instance=instance, solution=solution, by=None
        )
        assert reapplied.groups_created == 0 and TherapyGroup.objects.count() == count
        closed.refresh_from_db()
        assert closed.is_active

    def test_a_week_that_has_begun_is_not_replaced(self, demo):
        instance, solution = _solved(demo, seconds=4)
        adapter.apply_solution(
            location=demo, week_start=NEXT_WEEK, instance=instance, solution=solution, by=None
        )
        session = Session.objects.filter(seated=True).order_by("date").first()
        patient_id = session.seats.first().patient_id
        # Pretend the day came: attendance is taken.
        from middlepath.sessions.models import Attendance

        Attendance.objects.create(
            session=session,
            patient_id=patient_id,
            date=session.date,
            status="present",
            minutes=session.minutes,
        )
        with pytest.raises(ValidationError, match="already recorded"):
            adapter.apply_solution(
                location=demo, week_start=NEXT_WEEK, instance=instance, solution=solution, by=None
            )
        assert Session.objects.filter(seated=True).count() == len(solution["sessions"])

    def test_a_broken_solution_is_refused(self, demo):
        instance, solution = _solved(demo, seconds=4)
        broken = json.loads(json.dumps(solution))
        broken["sessions"][0]["members"] = broken["sessions"][0]["members"][:2]
        with pytest.raises(ValidationError, match="breaks"):
            adapter.apply_solution(
                location=demo, week_start=NEXT_WEEK, instance=instance, solution=broken, by=None
            )
        assert not Session.objects.filter(seated=True).exists()


@pytest.mark.django_db
class TestHandEdits:
    def test_a_patient_taken_out_is_shown_the_seats_they_left(self, demo):
        instance, solution = _solved(demo, seconds=4)
        patient = take_out_a_patient(solution)
        shown = proposal.build(demo, NEXT_WEEK, instance, solution)
        reasons = {patient_id: reason for patient_id, _, reason in shown.unmet}
        assert reasons[patient].endswith("make their week: they can be seated by hand")
        assert patient in shown.seatable
        seated = proposal.seat(instance, solution, patient=patient)
        assert patient not in seated["unmet"]
        assert validate(instance, seated) == []
        assert seated["objective"]["met"] == solution["objective"]["met"]
        with pytest.raises(ValidationError, match="already has a place"):
            proposal.seat(instance, seated, patient=patient)
        with pytest.raises(ValidationError, match="No such patient"):
            proposal.seat(instance, seated, patient="patient-0")

    def test_a_move_is_checked_at_once(self, demo):
        instance, solution = _solved(demo, seconds=4)
        session = next(s for s in solution["sessions"] if len(s["members"]) > 0)
        member = session["members"][0]
        edited = proposal.move(
            instance, solution, patient=member, slot=session["slot"], to_session=""
        )
        assert member not in {
            m for s in edited["sessions"] if s["slot"] == session["slot"] for m in s["members"]
        }
        assert validate(instance, edited)  # out of one slot of a block breaks rule 2
        with pytest.raises(ValidationError, match="same slot"):
            proposal.move(
                instance, solution, patient=member, slot=session["slot"], to_session="nope"
            )


class TestUnmetReasons:
    def _instance(self, **patient):
        block = {
            "id": "b1",
            "location": "north",
            "track": "evening",
            "day": "tue",
            "slots": [
                {"id": "b1-1", "start": "18:00", "minutes": 90},
                {"id": "b1-2", "start": "19:30", "minutes": 90},
            ],
        }
        return {
            "format": "middlepath-roster/1",
            "week_of": "2026-11-30",
            "group_types": {"process": {"min_size": 8, "max_size": 15, "same_stage": True}},
            "blocks": [block],
            "rooms": [{"id": "r1", "location": "north", "capacity": 15}],
            "staff": [
                {
                    "id": "s1",
                    "location": "north",
                    "facilitates": ["process"],
                    "slots": ["b1-1", "b1-2"],
                    "max_sessions": 10,
                }
            ],
            "patients": [
                {
                    "id": "p1",
                    "location": "north",
                    "track": "evening",
                    "stage": "early",
                    "target_minutes": 180,
                    "min_days": 1,
                    "max_days": 1,
                    "blocks": ["b1"],
                    "needs": {"process": 1},
                    **patient,
                }
            ],
        }

    @pytest.mark.parametrize(
        ("patient", "reason"),
        [
            ({"min_days": 2, "max_days": 2}, "only 1 available day; their phase needs at least 2"),
            (
                {"target_minutes": 540},
                "their available days give at most 180 minutes, "
                "short of the 540-minute weekly target",
            ),
            (
                {},
                "only 1 patient in early recovery can come on their days; a process group needs 8",
            ),
        ],
    )
    def test_reasons(self, patient, reason):
        assert explain.explain_unmet(self._instance(**patient), {"unmet": ["p1"]}) == {"p1": reason}

    def test_no_facilitator(self):
        instance = self._instance()
        instance["staff"][0]["slots"] = []
        assert (
            "no facilitator for process groups on Tuesday"
            in explain.explain_unmet(instance, {"unmet": ["p1"]})["p1"]
        )

    @staticmethod
    def _with_peers(instance, count):
        """`count` more early-stage patients like p1, who need one process group."""
        for n in range(2, count + 2):
            instance["patients"].append(dict(instance["patients"][0], id=f"p{n}"))
        return instance

    @staticmethod
    def _session(slot, members, *, room="r1", leader="s1", group="process", stage="early"):
        return {
            "id": f"{slot}/{room}",
            "slot": slot,
            "type": group,
            "stage": stage,
            "room": room,
            "facilitator": leader,
            "members": members,
        }

    def _roster_reason(self, instance, sessions):
        solution = {"sessions": sessions, "unmet": ["p1"]}
        return explain.explain_unmet(instance, solution)["p1"]

    def test_free_seats_that_make_their_week_can_be_taken_by_hand(self):
        instance = self._with_peers(self._instance(), 8)
        members = [f"p{n}" for n in range(2, 10)]
        sessions = [self._session(slot, members) for slot in ("b1-1", "b1-2")]
        reason = self._roster_reason(instance, sessions)
        assert reason == "the free seats on Tuesday make their week: they can be seated by hand"
        unmet = {"sessions": sessions, "unmet": ["p1"]}
        assert explain.seatable_unmet(instance, unmet) == {"p1"}
        # And they can: seated in both, the roster keeps every rule.
        for session in sessions:
            session["members"] = [*members, "p1"]
        everyone_met = {"format": "middlepath-roster-solution/1", "sessions": sessions}
        assert validate(instance, {**everyone_met, "unmet": []}) == []

    @pytest.mark.parametrize(
        ("more_rooms", "more_staff", "why"),
        [
            (False, False, "every room in use"),
            (True, False, "no counselor free to lead another group"),
            (True, True, "a new group needs at least 8 people"),
        ],
    )
    def test_full_groups_say_why_no_other_could_open(self, more_rooms, more_staff, why):
        instance = self._with_peers(self._instance(), 15)
        if more_rooms:
            instance["rooms"].append({"id": "r2", "location": "north", "capacity": 15})
        if more_staff:
            instance["staff"].append(dict(instance["staff"][0], id="s2"))
        full = [f"p{n}" for n in range(2, 17)]
        sessions = [self._session("b1-1", full), self._session("b1-2", full)]
        assert (
            self._roster_reason(instance, sessions) == f"no free seat for them on Tuesday ({why})"
        )

    def test_no_seating_where_the_free_seats_do_not_make_their_week(self):
        instance = self._with_peers(self._instance(), 15)
        full = [f"p{n}" for n in range(2, 17)]
        solution = {
            "sessions": [self._session("b1-1", full), self._session("b1-2", full)],
            "unmet": ["p1"],
        }
        assert explain.free_seating(instance, solution, "p1") is None
        assert explain.seatable_unmet(instance, solution) == set()
        with pytest.raises(ValidationError, match="do not make that patient's week"):
            proposal.seat(instance, solution, patient="p1")

    def test_a_weekly_cap_reached_leaves_no_counselor_free(self):
        instance = self._with_peers(self._instance(), 15)
        instance["rooms"].append({"id": "r2", "location": "north", "capacity": 15})
        instance["staff"].append(dict(instance["staff"][0], id="s2", max_sessions=0))
        full = [f"p{n}" for n in range(2, 17)]
        sessions = [self._session("b1-1", full), self._session("b1-2", full)]
        assert "no counselor free" in self._roster_reason(instance, sessions)

    def test_free_seats_of_the_wrong_kind_are_named(self):
        instance = self._with_peers(self._instance(), 8)
        instance["group_types"]["skills"] = {"min_size": 8, "max_size": 15, "same_stage": False}
        instance["staff"][0]["facilitates"] = ["process", "skills"]
        members = [f"p{n}" for n in range(2, 10)]
        sessions = [
            self._session(slot, members, group="skills", stage=None) for slot in ("b1-1", "b1-2")
        ]
        assert (
            self._roster_reason(instance, sessions)
            == "too few free seats in early-recovery process groups on their days"
        )

    def test_days_left_without_a_seat_and_the_rest_too_few(self):
        instance = self._with_peers(self._instance(min_days=2, max_days=2, target_minutes=360), 8)
        wednesday = {
            "id": "b2",
            "location": "north",
            "track": "evening",
            "day": "wed",
            "slots": [
                {"id": "b2-1", "start": "18:00", "minutes": 90},
                {"id": "b2-2", "start": "19:30", "minutes": 90},
            ],
        }
        instance["blocks"].append(wednesday)
        instance["staff"][0]["slots"] += ["b2-1", "b2-2"]
        for patient in instance["patients"]:
            patient["blocks"] = ["b1", "b2"]
        members = [f"p{n}" for n in range(2, 10)]
        # Seats on Tuesday, none on Wednesday (its groups are of another stage).
        sessions = [self._session(slot, members) for slot in ("b1-1", "b1-2")]
        sessions += [self._session(s, members, stage="late") for s in ("b2-1", "b2-2")]
        assert self._roster_reason(instance, sessions) == (
            "no free seat for them on Wednesday (every room in use), "
            "and Tuesday alone does not make their week"
        )


@pytest.mark.django_db
class TestCommand:
    def test_export_then_apply(self, demo, tmp_path, capsys):
        week_file, solution_file = tmp_path / "week.json", tmp_path / "solution.json"
        call_command(
            "roster",
            "export",
            "--week",
            NEXT_WEEK.isoformat(),
            "--location",
            str(demo.pk),
            "-o",
            str(week_file),
        )
        instance = json.loads(week_file.read_text())
        solution_file.write_text(json.dumps(solve(instance, seconds=4, deterministic=True)))
        call_command(
            "roster",
            "apply",
            str(solution_file),
            "--week",
            NEXT_WEEK.isoformat(),
            "--instance",
            str(week_file),
        )
        assert "Nothing changed" in capsys.readouterr().out
        call_command(
            "roster",
            "apply",
            str(solution_file),
            "--week",
            NEXT_WEEK.isoformat(),
            "--instance",
            str(week_file),
            "--yes",
        )
        assert "applied" in capsys.readouterr().out
        assert Session.objects.filter(seated=True).exists()

    @pytest.mark.parametrize(
        "args",
        [
            ["export"],
            ["export", "--week", "2026-11-30", "--location", "999"],
            ["apply", "missing.json", "--week", "2026-11-30"],
        ],
    )
    def test_bad_input(self, demo, args):
        from django.core.management.base import CommandError

        with pytest.raises(CommandError):
            call_command("roster", *args)


@pytest.mark.django_db
class TestRosterPage:
    def test_a_director_builds_and_applies(
        self, demo, client, settings, django_capture_on_commit_callbacks
    ):
        from middlepath.accounts.models import User

        settings.ROSTER_BUILDS = "inline"
        director = User.objects.get(username="director")
        client.force_login(director)
        url = reverse("roster:roster")
        page = client.get(url, {"location": demo.pk, "week": NEXT_WEEK.isoformat()})
        assert page.status_code == 200
        assert b"Patients' days" in page.content
        response = _press_build(client, demo, 5, django_capture_on_commit_callbacks)
        assert response.status_code == 302
        run = RosterRun.objects.get()
        assert run.status == RosterRun.Status.DONE, run.error
        page = client.get(url, {"location": demo.pk, "week": NEXT_WEEK.isoformat()})
        assert b"Proposed week" in page.content
        progress = client.get(
            reverse("roster:progress", args=[run.pk]), headers={"HX-Request": "true"}
        )
        assert progress["HX-Refresh"] == "true"
        response = client.post(reverse("roster:apply", args=[run.pk]))
        assert response.status_code == 302
        run.refresh_from_db()
        assert run.status == RosterRun.Status.APPLIED
        assert Session.objects.filter(seated=True).count() == len(run.solution["sessions"])

    def test_a_patient_without_a_full_week_is_seated_in_one_click(
        self, demo, client, settings, django_capture_on_commit_callbacks
    ):
        from middlepath.accounts.models import User

        settings.ROSTER_BUILDS = "inline"
        client.force_login(User.objects.get(username="director"))
        _press_build(client, demo, 4, django_capture_on_commit_callbacks)
        run = RosterRun.objects.get()
        patient = take_out_a_patient(run.solution)
        run.save(update_fields=["solution"])
        url = reverse("roster:roster")
        page = client.get(url, {"location": demo.pk, "week": NEXT_WEEK.isoformat()})
        assert b"Seat them" in page.content
        seat = reverse("roster:seat", args=[run.pk])
        assert client.post(seat, {"patient": patient}).status_code == 302
        run.refresh_from_db()
        assert patient not in run.solution["unmet"] and run.edited
        assert validate(run.instance, run.solution) == []
        # Seated already, or no such patient: a message, nothing changed.
        for who in (patient, "patient-0"):
            response = client.post(seat, {"patient": who}, follow=True)
            assert response.status_code == 200
            assert list(response.context["messages"])
        run.refresh_from_db()
        assert patient not in run.solution["unmet"]

    def test_availability_saves(self, demo, client):
        from middlepath.accounts.models import User

        client.force_login(User.objects.get(username="director"))
        plan = WeekPlan.objects.for_week(demo, NEXT_WEEK)
        episode = adapter.enrolled(demo, NEXT_WEEK).first()
        day = episode.track.meeting_days[0]
        response = client.post(
            reverse("roster:availability_patient", args=[plan.pk]),
            {"patient": episode.patient_id, "days": [str(day)]},
            headers={"HX-Request": "true"},
        )
        assert b"saved" in response.content
        assert PatientDays.objects.get(plan=plan).days == [day]
        room = demo.rooms.first()
        client.post(
            reverse("roster:availability_rooms", args=[plan.pk]), {"closed": [str(room.pk)]}
        )
        assert list(plan.closed_rooms.all()) == [room]

    @pytest.mark.parametrize("posted", ["abc", "²", "9" * 30, ""])
    def test_availability_refuses_what_cannot_be_a_record(self, demo, client, posted):
        from middlepath.accounts.models import User

        client.force_login(User.objects.get(username="director"))
        plan = WeekPlan.objects.for_week(demo, NEXT_WEEK)
        for name, field in (("availability_patient", "patient"), ("availability_staff", "user")):
            response = client.post(reverse(f"roster:{name}", args=[plan.pk]), {field: posted})
            assert response.status_code == 403
        episode = adapter.enrolled(demo, NEXT_WEEK).first()
        day = episode.track.meeting_days[0]
        client.post(
            reverse("roster:availability_patient", args=[plan.pk]),
            {"patient": episode.patient_id, "days": [str(day), posted]},
        )
        assert PatientDays.objects.get(plan=plan).days == [day]
        rooms = reverse("roster:availability_rooms", args=[plan.pk])
        assert client.post(rooms, {"closed": [posted]}).status_code == 302
        assert not plan.closed_rooms.exists()

    def test_the_page_query_count_does_not_grow_with_the_patients(
        self, demo, client, django_assert_max_num_queries
    ):
        from middlepath.accounts.models import User
        from middlepath.clinic.models import Phase, Track

        client.force_login(User.objects.get(username="director"))
        url = reverse("roster:roster")
        query = {"location": demo.pk, "week": NEXT_WEEK.isoformat()}

        def proposed() -> None:
            instance = adapter.build_instance([demo], NEXT_WEEK)
            _run(demo, status=RosterRun.Status.DONE, solution=baseline(instance))

        proposed()
        with django_assert_max_num_queries(36) as few:
            assert b"Proposed week" in client.get(url, query).content
        track = Track.objects.filter(location=demo).first()
        phase = Phase.objects.filter(program=track.program).first()
        for stage in ("early", "middle", "late") * 4:
            patient = factories.make_patient(demo, recovery_stage=stage)
            factories.admit(patient, track, phase, admitted_on=TODAY)
        proposed()
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert b"Proposed week" in client.get(url, query).content

    def test_a_sessions_members_are_listed_when_asked_for_and_the_reads_audited(self, demo, client):
        from middlepath.accounts.models import User
        from middlepath.privacy.models import AuditAction, AuditEvent

        client.force_login(User.objects.get(username="director"))
        instance = adapter.build_instance([demo], NEXT_WEEK)
        run = _run(demo, status=RosterRun.Status.DONE, solution=baseline(instance))
        session = max(run.solution["sessions"], key=lambda s: len(s["members"]))
        member = session["members"][0]
        name = _display_name(member)
        page = client.get(reverse("roster:roster"), {"location": demo.pk, "week": NEXT_WEEK})
        # The grid gives each session's size; its members only when it is opened.
        assert b"List the members" in page.content and b'name="to"' not in page.content
        assert AuditEvent.objects.filter(action=AuditAction.ROSTER_VIEW).count() == 1
        url = reverse("roster:members", args=[run.pk])
        listed = client.get(url, {"session": session["id"]}, headers={"HX-Request": "true"})
        assert listed.status_code == 200
        assert name.encode() in listed.content and b"<html" not in listed.content
        others = [s for s in run.solution["sessions"] if s["slot"] == session["slot"]]
        assert listed.content.count(b"<option") == len(session["members"]) * len(others)
        # Without scripts, the same list is a page of its own.
        whole = client.get(url, {"session": session["id"]})
        assert name.encode() in whole.content and b"Back to the roster" in whole.content
        events = AuditEvent.objects.filter(action=AuditAction.ROSTER_VIEW)
        assert events.count() == 3
        assert events.filter(data__session=session["id"]).count() == 2
        for unknown in ("", "no-such-session"):
            assert client.get(url, {"session": unknown}).status_code == 404

    def test_a_patient_is_found_among_the_weeks_by_name_or_mrn(self, demo, client):
        from middlepath.accounts.models import User
        from middlepath.privacy.models import AuditAction, AuditEvent

        client.force_login(User.objects.get(username="director"))
        plan = WeekPlan.objects.for_week(demo, NEXT_WEEK)
        episodes = list(adapter.enrolled(demo, NEXT_WEEK))
        wanted, other = episodes[0].patient, episodes[1].patient
        find = reverse("roster:availability_find", args=[plan.pk])
        for text in (wanted.last_name, wanted.mrn):
            rows = client.get(find, {"q": text}, headers={"HX-Request": "true"})
            assert f'id="days-{wanted.pk}"'.encode() in rows.content
            assert f'id="days-{other.pk}"'.encode() not in rows.content
            assert f"of {len(episodes)} found".encode() in rows.content
            assert b"<html" not in rows.content
        assert AuditEvent.objects.filter(
            action=AuditAction.ROSTER_VIEW, data__patients_found__gte=1
        ).exists()
        assert b"No enrolled patient is found" in client.get(find, {"q": "Zzzyx"}).content
        # Without scripts the page itself finds them.
        query = {"location": demo.pk, "week": NEXT_WEEK, "q": wanted.mrn}
        page = client.get(reverse("roster:roster"), query)
        assert f'id="days-{wanted.pk}"'.encode() in page.content
        assert f'id="days-{other.pk}"'.encode() not in page.content
        assert f"Patients' days ({len(episodes)})".encode() in page.content

    @pytest.mark.parametrize("username", ["counselor1", "intake", "billing"])
    def test_only_directors(self, demo, client, username):
        from middlepath.accounts.models import User

        client.force_login(User.objects.get(username=username))
        assert client.get(reverse("roster:roster")).status_code == 403


def _display_name(patient_id: str) -> str:
    """The display name of a roster's patient."""
    from middlepath.care.models import Patient

    return Patient.objects.get(pk=int(patient_id.rsplit("-", 1)[1])).display_name


def _run(demo, **fields) -> RosterRun:
    from django.contrib.auth import get_user_model

    return RosterRun.objects.create(
        plan=WeekPlan.objects.for_week(demo, NEXT_WEEK),
        seconds=30,
        created_by=get_user_model().objects.get(username="director"),
        instance=adapter.build_instance([demo], NEXT_WEEK),
        **fields,
    )


@pytest.mark.django_db
class TestInterruptedBuild:
    def test_a_build_left_running_by_a_restart_is_marked_failed(self, demo):
        from django.utils import timezone

        run = _run(demo, status=RosterRun.Status.RUNNING)
        assert not run.give_up_if_stale(timezone.now())
        assert run.give_up_if_stale(timezone.now() + dt.timedelta(minutes=3))
        assert run.status == RosterRun.Status.FAILED and "interrupted" in run.error

    def test_a_build_is_judged_from_when_it_started_not_when_it_was_queued(self, demo):
        from django.utils import timezone

        now = timezone.now()
        run = _run(
            demo,
            status=RosterRun.Status.RUNNING,
            created_at=now - dt.timedelta(hours=1),
            started_at=now,
        )
        assert not run.give_up_if_stale(now + dt.timedelta(minutes=2))
        assert run.give_up_if_stale(now + dt.timedelta(minutes=3))

    @pytest.mark.parametrize(("builds", "stale"), [("thread", True), ("worker", False)])
    def test_a_queued_build_waits_only_for_the_worker(self, demo, settings, builds, stale):
        from django.utils import timezone

        settings.ROSTER_BUILDS = builds
        run = _run(demo)
        assert run.give_up_if_stale(timezone.now() + dt.timedelta(days=1)) is stale
        run.refresh_from_db()
        assert run.status == (RosterRun.Status.FAILED if stale else RosterRun.Status.QUEUED)


@pytest.mark.django_db
class TestRosterWorker:
    def test_the_page_queues_and_the_worker_builds(
        self, demo, client, settings, django_capture_on_commit_callbacks
    ):
        from io import StringIO

        from middlepath.accounts.models import User

        settings.ROSTER_BUILDS = "worker"
        client.force_login(User.objects.get(username="director"))
        _press_build(client, demo, 5, django_capture_on_commit_callbacks)
        run = RosterRun.objects.get()
        assert run.status == RosterRun.Status.QUEUED  # nothing built in the web process
        progress = client.get(
            reverse("roster:progress", args=[run.pk]), headers={"HX-Request": "true"}
        )
        assert b"waiting to be built" in progress.content
        assert b"Still waiting" not in progress.content
        assert "HX-Refresh" not in progress
        RosterRun.objects.filter(pk=run.pk).update(
            created_at=run.created_at - dt.timedelta(minutes=2)
        )
        progress = client.get(
            reverse("roster:progress", args=[run.pk]), headers={"HX-Request": "true"}
        )
        assert b"roster builder is not running" in progress.content

        out = StringIO()
        call_command("roster", "worker", "--once", stdout=out)
        run.refresh_from_db()
        assert run.status == RosterRun.Status.DONE, run.error
        assert run.started_at is not None and run.solution["sessions"]
        assert out.getvalue().splitlines() == [
            f"Roster run {run.pk}: ready",
            "Built 1 roster(s); none is waiting.",
        ]

    def test_oldest_first_and_a_claimed_run_is_not_built_again(self, demo, monkeypatch):
        taken = _run(demo, status=RosterRun.Status.RUNNING)
        older = _run(demo, created_at=taken.created_at - dt.timedelta(minutes=5))
        newer = _run(demo)
        order = []
        monkeypatch.setattr(runner, "_build", order.append)
        assert not runner.build(taken.pk)
        assert runner.run_worker(once=True, poll_seconds=1) == 2
        assert order == [older.pk, newer.pk]
        assert RosterRun.objects.get(pk=taken.pk).status == RosterRun.Status.RUNNING

    def test_a_worker_stopped_mid_build_says_so(self, demo, monkeypatch):
        run = _run(demo)

        def interrupted(run_id: int) -> None:
            raise KeyboardInterrupt

        monkeypatch.setattr(runner, "_build", interrupted)
        with pytest.raises(KeyboardInterrupt):
            runner.run_worker(once=True, poll_seconds=1)
        run.refresh_from_db()
        assert run.status == RosterRun.Status.FAILED and "worker was shut down" in run.error

    def test_a_bad_poll_interval(self, demo):
        from django.core.management.base import CommandError

        with pytest.raises(CommandError, match="--poll"):
            call_command("roster", "worker", "--poll", "0")
