"""An event's sessions as one list, whether or not the event is multi-session.

A single-session event is treated as one *virtual* session: its id is the event id, its window
is the event's, its Zoom meeting is the event's. So attendance, eligibility and Zoom
provisioning have one code path (PRODUCT.md §4; spec-review C2).

`load(event_id)` reads the event and all its sessions in one Query of the event's partition.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from lectern.data.base import TableItem
from lectern.data.events import EventItem
from lectern.data.sessions import EventSessionItem
from lectern.errors import NotFound

# The virtual session's status follows the event's.
_VIRTUAL_STATUS = {
    "draft": "scheduled",
    "published": "scheduled",
    "live": "live",
    "completed": "completed",
    "cancelled": "cancelled",
}


@dataclass(frozen=True)
class SessionView:
    session_id: str
    event_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    status: str  # scheduled | live | completed | cancelled
    cpd_hours: Decimal | None
    required: bool  # in the event's required_sessions (all_required rule)
    zoom_meeting_id: str | None
    zoom_join_url: str | None
    virtual: bool  # the single-session event itself
    completed_at: datetime | None = None

    @property
    def duration_seconds(self) -> int:
        return max(0, int((self.ends_at - self.starts_at).total_seconds()))


def _dec(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def sessions_of(event: EventItem, items: Iterable[EventSessionItem] = ()) -> list[SessionView]:
    """The event's sessions in start order (the virtual one for a single-session event)."""
    if not event.is_multi_session:
        return [
            SessionView(
                session_id=event.event_id,
                event_id=event.event_id,
                title=event.title,
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                status=_VIRTUAL_STATUS.get(event.status, "scheduled"),
                cpd_hours=_dec(event.cpd_hours),
                required=True,
                zoom_meeting_id=event.zoom_meeting_id,
                zoom_join_url=event.zoom_join_url,
                virtual=True,
                completed_at=event.completed_at,
            )
        ]
    required = set(event.required_sessions or [])
    views = [
        SessionView(
            session_id=s.session_id,
            event_id=s.event_id,
            title=s.title,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            status=s.status,
            cpd_hours=_dec(s.cpd_hours),
            required=s.session_id in required,
            zoom_meeting_id=s.zoom_meeting_id,
            zoom_join_url=s.zoom_join_url,
            virtual=False,
            completed_at=s.completed_at,
        )
        for s in items
    ]
    return sorted(views, key=lambda v: (v.starts_at, v.session_id))


def load(event_id: str) -> tuple[EventItem, list[EventSessionItem]]:
    """The event and its session items: one Query (`SK BETWEEN "EVENT" AND "SESSION$"`)."""
    pk, _ = EventItem.key(event_id)
    event: EventItem | None = None
    sessions: list[EventSessionItem] = []
    for item in TableItem.query(pk, TableItem.sk.between("EVENT", "SESSION$"), consistent_read=True):
        if isinstance(item, EventItem):
            event = item
        elif isinstance(item, EventSessionItem):
            sessions.append(item)
    if event is None:
        raise NotFound("The event does not exist.")
    return event, sessions


def load_owned(owner_id: str, event_id: str) -> tuple[EventItem, list[EventSessionItem]]:
    event, sessions = load(event_id)
    if event.owner_id != owner_id:
        raise NotFound("The event does not exist.")
    return event, sessions
