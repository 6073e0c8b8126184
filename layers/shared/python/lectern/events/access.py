"""Reading an event as a given caller. Another organiser's event, or an unpublished event for
the public, is `NotFound` — existence is never leaked."""

from __future__ import annotations

from lectern.data.events import EventItem
from lectern.errors import NotFound

PUBLIC_STATUSES = frozenset({"published", "live", "completed", "cancelled"})


def _get(event_id: str) -> EventItem:
    try:
        return EventItem.get(*EventItem.key(event_id), consistent_read=True)
    except EventItem.DoesNotExist as exc:
        raise NotFound("The event does not exist.") from exc


def owned_event(owner_id: str, event_id: str) -> EventItem:
    """The event, if `owner_id` organises it (one GetItem)."""
    item = _get(event_id)
    if item.owner_id != owner_id:
        raise NotFound("The event does not exist.")
    return item


def public_event(event_id: str) -> EventItem:
    """The event, if anyone may see it (published or later)."""
    item = _get(event_id)
    if item.status not in PUBLIC_STATUSES:
        raise NotFound("The event does not exist.")
    return item
