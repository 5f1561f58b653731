"""Weekly schedules on screen and as iCalendar (RFC 5545) feeds.

A feed says only when, where (the room) and that it is a group session or an appointment:
a calendar on a phone is not a place for clinical detail, nor for the program's name.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from icalendar import Calendar, Event

from middlepath.accounts.models import User
from middlepath.care.models import Patient
from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction
from middlepath.roster.models import CalendarFeed
from middlepath.sessions.hours import Week
from middlepath.sessions.models import Session, SessionQuerySet

FEED_PAST = dt.timedelta(days=14)
FEED_AHEAD = dt.timedelta(days=90)


def sessions_of(owner: Patient | User) -> SessionQuerySet:
    """The sessions on a patient's or a staff member's calendar."""
    sessions = Session.objects.select_related("room", "group", "location")
    if isinstance(owner, Patient):
        return sessions.expecting(owner)
    return sessions.led_by(owner)


def week_days(owner: Patient | User, week: Week) -> list[tuple[dt.date, list[Session]]]:
    """The week as (day, sessions that day), every day listed even when empty."""
    by_day: dict[dt.date, list[Session]] = defaultdict(list)
    for session in (
        sessions_of(owner).filter(date__range=(week.start, week.end)).order_by("start_time")
    ):
        by_day[session.date].append(session)
    return [(day, by_day[day]) for day in week.days]


def summary(session: Session) -> str:
    return "Group session" if session.group_id else "Appointment"


def feed_ics(owner: Patient | User, now: dt.datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Middlepath//Schedule//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Schedule")
    today = now.date()
    sessions = sessions_of(owner).filter(date__range=(today - FEED_PAST, today + FEED_AHEAD))
    for session in sessions.order_by("starts_at"):
        event = Event()
        event.add("uid", f"session-{session.pk}@middlepath")
        event.add("dtstamp", now)
        event.add("dtstart", session.starts_at)
        event.add("dtend", session.ends_at)
        event.add("summary", summary(session))
        if session.room_id:
            event.add("location", session.room.name)
        event.add("status", "CANCELLED" if session.is_cancelled else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()


def _owner_fields(owner: Patient | User) -> dict[str, object]:
    return {"patient": owner} if isinstance(owner, Patient) else {"user": owner}


@transaction.atomic
def create_feed(*, owner: Patient | User, by: User) -> tuple[CalendarFeed, str]:
    """A new private link for `owner`; any earlier link of theirs stops working."""
    now = timezone.now()
    CalendarFeed.objects.active().filter(**_owner_fields(owner)).update(revoked_at=now)
    key = CalendarFeed.new_key()
    feed = CalendarFeed.objects.create(
        key_hash=CalendarFeed.hash_key(key), created_by=by, **_owner_fields(owner)
    )
    audit.record(
        actor=by, action=AuditAction.CALENDAR_FEED_CREATE, obj=feed, data={"feed_id": feed.pk}
    )
    return feed, key


@transaction.atomic
def revoke_feeds(*, owner: Patient | User, by: User) -> int:
    revoked = 0
    for feed in CalendarFeed.objects.active().filter(**_owner_fields(owner)):
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
        audit.record(
            actor=by, action=AuditAction.CALENDAR_FEED_REVOKE, obj=feed, data={"feed_id": feed.pk}
        )
        revoked += 1
    return revoked


@transaction.atomic
def read_feed(key: str, *, remote_addr: str | None) -> bytes | None:
    """The feed for a secret key, or None; every read is audited."""
    if not key or len(key) > 100:
        return None
    feed = (
        CalendarFeed.objects.active()
        .select_related("patient", "user")
        .filter(key_hash=CalendarFeed.hash_key(key))
        .first()
    )
    if feed is None or (feed.user is not None and not feed.user.is_active):
        return None
    now = timezone.now()
    CalendarFeed.objects.filter(pk=feed.pk).update(last_read_at=now)
    audit.record(
        actor=None,
        action=AuditAction.CALENDAR_FEED_READ,
        obj=feed,
        data={"feed_id": feed.pk},
        remote_addr=remote_addr,
    )
    return feed_ics(feed.patient or feed.user, now)
