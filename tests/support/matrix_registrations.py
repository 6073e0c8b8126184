"""Matrix factories for the registrations group: `registration_id`.

A registration is made by the owner, signed in, so the same id serves the attendee's routes
(`/users/me/registrations/{registration_id}`) and the organiser's
(`/events/{event_id}/registrations/{registration_id}`): when the owner already has a published
event (the `event_id` factory runs first for templates naming both), the registration is made
for that event; otherwise for a new one."""

from __future__ import annotations

from typing import Any

from lectern.data.events import EventItem

from tests.support.events import make_event, user_id_of


def _owners_newest_published_event(owner_token: str) -> str | None:
    owner_id = user_id_of(owner_token)
    events = [
        e
        for e in EventItem.gsi1.query(f"OWNER#{owner_id}#EVENTS")
        if isinstance(e, EventItem) and e.status == "published"
    ]
    return max(events, key=lambda e: e.created_at).event_id if events else None


def _registration(api: Any, owner: Any) -> str:
    event_id = _owners_newest_published_event(owner.token) or make_event(owner.token).event_id
    r = api.post(f"/events/{event_id}/register/", {"full_name": "Alice"}, token=owner.token)
    if r.status != 201:  # e.g. the event is full or already has the owner: use a fresh one
        event_id = make_event(owner.token).event_id
        r = api.post(f"/events/{event_id}/register/", {"full_name": "Alice"}, token=owner.token)
    assert r.status == 201, r.json
    return r.json["uuid"]


FACTORIES = {"registration_id": _registration}

BODIES = {
    "/events/{event_id}/register": {"email": "mallory@example.org", "full_name": "Mallory"},
    "/events/{event_id}/registrations/{registration_id}": {"full_name": "Mallory"},
}
