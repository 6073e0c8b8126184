"""Matrix factories for an event's reminders (outreach group)."""

from __future__ import annotations

from typing import Any

from tests.support.events import make_event

REMINDER_BODY = {"anchor": "before_start", "offset_minutes": 60}


def _reminder(api: Any, owner: Any) -> str:
    event = make_event(owner.token)
    r = api.post(f"/events/{event.event_id}/reminders/", REMINDER_BODY, token=owner.token)
    assert r.status == 201, r.json
    return r.json["uuid"]


FACTORIES = {"reminder_id": _reminder}

BODIES = {
    "/events/{event_id}/reminders": REMINDER_BODY,
    "/events/{event_id}/reminders/{reminder_id}": {"offset_minutes": 120},
}
