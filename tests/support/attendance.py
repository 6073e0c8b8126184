"""Builders for attendance tests: sessions, Zoom meeting/registrant links (as provisioning would
store them) and deliveries of Zoom events to the attendance worker, in-process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from lectern.clock import FixedClock
from lectern.data.events import EventItem
from lectern.data.registrations import RegistrationItem
from lectern.data.sessions import EventSessionItem
from lectern.data.zoom import ZoomMeetingItem, ZoomRegistrantItem
from lectern.deps import Deps
from lectern.ids import new_id
from lectern.integrations.bus import MemoryPublisher
from lectern.integrations.mail import MemoryMailer

from tools import zoom_payloads as zp

START = datetime(2030, 3, 1, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    """`minutes` after START."""
    return START + timedelta(minutes=minutes)


def deps(now: datetime | None = None) -> Deps:
    return Deps(clock=FixedClock(now or at(24 * 60)), mailer=MemoryMailer(), bus=MemoryPublisher())


def add_session(
    event: EventItem, title: str, start_min: float, end_min: float, **fields: Any
) -> EventSessionItem:
    now = datetime.now(UTC)
    sid = new_id()
    item = EventSessionItem(
        *EventSessionItem.key(event.event_id, sid),
        session_id=sid,
        event_id=event.event_id,
        owner_id=event.owner_id,
        title=title,
        starts_at=at(start_min),
        ends_at=at(end_min),
        created_at=now,
        updated_at=now,
        **fields,
    )
    item.save()
    return item


def link_meeting(event_id: str, session_id: str, owner_id: str, start: datetime | None = None) -> zp.Meeting:
    meeting = zp.Meeting(id=str(10**10 + new_id().__hash__() % 10**9), start_time=start)
    ZoomMeetingItem(
        *ZoomMeetingItem.key(meeting.id),
        meeting_id=meeting.id,
        event_id=event_id,
        session_id=session_id,
        owner_id=owner_id,
        created_at=datetime.now(UTC),
        local=True,
    ).save()
    return meeting


def link_registrant(meeting: zp.Meeting, reg: RegistrationItem, session_id: str) -> str:
    registrant_id = f"local-{new_id()}"
    ZoomRegistrantItem(
        *ZoomRegistrantItem.key(meeting.id, registrant_id),
        registrant_id=registrant_id,
        meeting_id=meeting.id,
        registration_id=reg.registration_id,
        event_id=reg.event_id,
        session_id=session_id,
        created_at=datetime.now(UTC),
    ).save()
    return registrant_id


def envelope(body: dict[str, Any]) -> dict[str, Any]:
    """The EventBridge event the webhook puts on the bus for a Zoom body."""
    from lectern.zoom.webhook import event_identity

    return {
        "id": new_id(),
        "source": "lectern.zoom",
        "detail-type": body["event"],
        "detail": {
            "identity": event_identity(body),
            "event": body["event"],
            "event_ts": body["event_ts"],
            "payload": body["payload"],
        },
    }


def deliver(body: dict[str, Any], d: Deps | None = None) -> str:
    from functions.workers.attendance import handle

    return handle(envelope(body), d or deps())


def reg_item(registration_id: str) -> RegistrationItem:
    return RegistrationItem.get(*RegistrationItem.key(registration_id), consistent_read=True)
