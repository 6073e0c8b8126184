"""iCalendar (RFC 5545) for events: one VEVENT per event with a stable UID, times in UTC."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lectern.config import get_settings
from lectern.data.events import EventItem

if TYPE_CHECKING:
    from icalendar import Event

PRODID = "-//Lectern//Lectern events//EN"


def event_url(event_id: str) -> str:
    return f"{get_settings().app_base_url.rstrip('/')}/events/{event_id}"


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _vevent(item: EventItem) -> Event:
    # icalendar is imported when a calendar is built (~80 ms), not on every cold start.
    from icalendar import Event

    ev = Event()
    ev.add("uid", f"{item.event_id}@lectern")
    ev.add("dtstamp", _utc(item.updated_at))
    ev.add("dtstart", _utc(item.starts_at))
    ev.add("dtend", _utc(item.ends_at))
    ev.add("summary", item.title)
    if item.description:
        ev.add("description", item.description)
    if item.location:
        ev.add("location", item.location)
    ev.add("url", event_url(item.event_id))
    ev.add("status", "CANCELLED" if item.status == "cancelled" else "CONFIRMED")
    ev.add("sequence", int(item.revision or 0))
    return ev


def event_calendar(events: list[EventItem], name: str | None = None) -> bytes:
    """A VCALENDAR with one VEVENT per event (UID `<event_id>@lectern`, SEQUENCE = revision)."""
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.add("x-wr-calname", name)
    for item in _ordered(events):
        cal.add_component(_vevent(item))
    return cal.to_ical()


def _ordered(events: Iterable[EventItem]) -> list[EventItem]:
    return sorted(events, key=lambda e: (_utc(e.starts_at), e.event_id))
