"""Builders for events in tests: `make_event` stores an event directly (so registration tests
do not depend on the event routes); tests of the event routes create them over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from lectern.auth.tokens import verify_access_token
from lectern.data.events import EventItem
from lectern.ids import new_id


def user_id_of(access_token: str) -> str:
    return verify_access_token(access_token).user_id


def make_event(owner_token: str, **fields: Any) -> EventItem:
    """A published, free, online event one week ahead, owned by the token's user."""
    owner_id = user_id_of(owner_token)
    now = datetime.now(UTC)
    event_id = new_id()
    starts = fields.pop("starts_at", now + timedelta(days=7))
    values: dict[str, Any] = {
        "event_id": event_id,
        "owner_id": owner_id,
        "title": "Ethics in practice",
        "slug": f"ethics-in-practice-{event_id[-6:]}",
        "starts_at": starts,
        "ends_at": fields.pop("ends_at", starts + timedelta(hours=1)),
        "timezone": "Europe/London",
        "status": "published",
        "created_at": now,
        "updated_at": now,
        "published_at": now,
    }
    values.update(fields)
    item = EventItem(*EventItem.key(event_id), **values)
    item.gsi1pk, item.gsi1sk = EventItem.owner_index(owner_id, starts.isoformat(), event_id)
    item.save()
    return item
