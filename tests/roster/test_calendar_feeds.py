from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from icalendar import Calendar

from middlepath.privacy.models import AuditAction, AuditEvent
from middlepath.roster import calendars
from middlepath.roster.models import CalendarFeed
from middlepath.sessions import services
from tests import factories


def _events(body: bytes) -> list:
    return [c for c in Calendar.from_ical(body).walk() if c.name == "VEVENT"]


@pytest.mark.django_db
class TestFeeds:
    def test_a_patients_feed_lists_their_sessions_without_clinical_detail(
        self, client, staff, evening_group
    ):
        patient = evening_group.members[0]
        services.generate_sessions(
            group=evening_group.group,
            by=staff.counselor,
            first=evening_group.today,
            last=evening_group.today + dt.timedelta(days=2),
        )
        visit = services.schedule_visit(
            by=staff.counselor,
            kind="individual",
            patient=patient,
            date=evening_group.today,
            start_time=dt.time(15),
            minutes=60,
            facilitator=staff.counselor,
        )
        _, key = calendars.create_feed(owner=patient, by=staff.counselor)
        response = client.get(reverse("roster:feed", args=[key]))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/calendar")
        events = _events(response.content)
        assert {str(e["summary"]) for e in events} == {"Group session", "Appointment"}
        assert len(events) == 4
        body = response.content.decode()
        for secret in (
            patient.last_name,
            evening_group.group.name,
            "Skills",
            staff.counselor.username,
        ):
            assert secret not in body
        uids = {str(e["uid"]) for e in events}
        assert f"session-{visit.pk}@middlepath" in uids
        assert AuditEvent.objects.filter(
            action=AuditAction.CALENDAR_FEED_READ, patient_id=patient.pk
        ).exists()

    def test_times_are_utc_and_cancellations_show(self, client, staff, evening_group):
        patient = evening_group.members[0]
        session = evening_group.session_on(evening_group.today, staff.counselor)
        services.cancel_session(session=session, by=staff.director, reason="Storm")
        _, key = calendars.create_feed(owner=patient, by=staff.counselor)
        [event] = _events(client.get(reverse("roster:feed", args=[key])).content)
        assert event["dtstart"].dt == session.starts_at
        assert str(event["status"]) == "CANCELLED"

    def test_a_new_link_revokes_the_old_one(self, client, staff, evening_group):
        patient = evening_group.members[0]
        _, old = calendars.create_feed(owner=patient, by=staff.counselor)
        _, new = calendars.create_feed(owner=patient, by=staff.counselor)
        assert client.get(reverse("roster:feed", args=[old])).status_code == 404
        assert client.get(reverse("roster:feed", args=[new])).status_code == 200
        calendars.revoke_feeds(owner=patient, by=staff.counselor)
        assert client.get(reverse("roster:feed", args=[new])).status_code == 404

    def test_only_a_hash_is_stored(self, staff, evening_group):
        feed, key = calendars.create_feed(owner=staff.counselor, by=staff.counselor)
        assert key not in feed.key_hash
        assert CalendarFeed.objects.get().key_hash == CalendarFeed.hash_key(key)

    def test_a_staff_feed_has_the_sessions_they_lead(self, client, staff, evening_group):
        services.generate_sessions(
            group=evening_group.group,
            by=staff.counselor,
            first=evening_group.today,
            last=evening_group.today + dt.timedelta(days=6),
        )
        _, key = calendars.create_feed(owner=staff.counselor, by=staff.counselor)
        assert len(_events(client.get(reverse("roster:feed", args=[key])).content)) == 7
        staff.counselor.is_active = False
        staff.counselor.save()
        assert client.get(reverse("roster:feed", args=[key])).status_code == 404

    def test_unknown_keys_are_not_found(self, client, db):
        assert client.get(reverse("roster:feed", args=["nope"])).status_code == 404


@pytest.mark.django_db
class TestSchedulePages:
    def test_the_patients_week(self, login, staff, evening_group):
        patient = evening_group.members[0]
        services.generate_sessions(
            group=evening_group.group,
            by=staff.counselor,
            first=evening_group.today,
            last=evening_group.today,
        )
        response = login(staff.counselor).get(reverse("roster:patient_schedule", args=[patient.pk]))
        assert response.status_code == 200
        assert evening_group.group.name.encode() in response.content
        assert AuditEvent.objects.filter(
            action=AuditAction.SCHEDULE_VIEW, patient_id=patient.pk
        ).exists()

    def test_making_a_link_shows_it_once(self, login, staff, evening_group):
        patient = evening_group.members[0]
        client = login(staff.counselor)
        response = client.post(
            reverse("roster:patient_feed", args=[patient.pk]), {"action": "create"}, follow=True
        )
        assert b".ics</code>" in response.content and b"shown only once" in response.content
        again = client.get(reverse("roster:patient_schedule", args=[patient.pk]))
        assert b".ics" not in again.content

    def test_my_week(self, login, staff, evening_group):
        services.generate_sessions(
            group=evening_group.group,
            by=staff.counselor,
            first=evening_group.today,
            last=evening_group.today,
        )
        response = login(staff.counselor).get(reverse("roster:my_schedule"))
        assert evening_group.group.name.encode() in response.content

    def test_the_week_pages_query_count_does_not_grow_with_the_sessions(
        self, login, staff, clinic, evening_group, django_assert_max_num_queries
    ):
        patient = evening_group.members[0]
        client = login(staff.counselor)
        _, key = calendars.create_feed(owner=patient, by=staff.counselor)
        _, my_key = calendars.create_feed(owner=staff.counselor, by=staff.counselor)
        pages = [
            reverse("roster:my_schedule"),
            reverse("roster:patient_schedule", args=[patient.pk]),
            reverse("roster:feed", args=[key]),
            reverse("roster:feed", args=[my_key]),
        ]
        week = {"week": evening_group.today.isoformat()}
        services.generate_sessions(
            group=evening_group.group,
            by=staff.counselor,
            first=evening_group.today,
            last=evening_group.today,
        )
        counts = []
        for url in pages:
            with django_assert_max_num_queries(30) as few:
                assert client.get(url, week).status_code == 200
            counts.append(len(few.captured_queries))
        events = len(_events(client.get(pages[2]).content))
        # Every day of the week, and a second group after the first with the same people.
        later = dt.datetime.combine(evening_group.today, clinic.evening.block_start)
        other = factories.make_group(
            clinic.evening,
            staff.counselor,
            meeting_days=[1, 2, 3, 4, 5, 6, 7],
            start_time=(later + dt.timedelta(minutes=90)).time(),
        )
        for member in evening_group.members:
            services.add_member(group=other, patient=member, by=staff.counselor)
        for group in (evening_group.group, other):
            services.generate_sessions(
                group=group,
                by=staff.counselor,
                first=evening_group.today - dt.timedelta(days=6),
                last=evening_group.today + dt.timedelta(days=6),
            )
        for url, count in zip(pages, counts, strict=True):
            with django_assert_max_num_queries(count):
                assert client.get(url, week).status_code == 200
        assert len(_events(client.get(pages[2]).content)) > 10 * events

    def test_denied(self, login, staff, evening_group):
        patient = evening_group.members[0]
        assert (
            login(staff.outsider)
            .get(reverse("roster:patient_schedule", args=[patient.pk]))
            .status_code
            == 404
        )
        assert (
            login(staff.no_role)
            .get(reverse("roster:patient_schedule", args=[patient.pk]))
            .status_code
            == 403
        )
        assert (
            login(staff.physician)
            .post(reverse("roster:patient_feed", args=[patient.pk]))
            .status_code
            == 403
        )
