"""Matrix factories for the events area (events and their custom registration fields)."""

from __future__ import annotations

from typing import Any

EVENT_BODY = {
    "title": "Ethics in practice",
    "starts_at": "2030-03-01T10:00:00+00:00",
    "ends_at": "2030-03-01T12:00:00+00:00",
    "timezone": "Europe/London",
}
FIELD_BODY = {"label": "Dietary needs", "type": "text"}


def _event(api: Any, owner: Any) -> str:
    r = api.post("/events/", EVENT_BODY, token=owner.token)
    assert r.status == 201, r.json
    return r.json["uuid"]


def _field(api: Any, owner: Any) -> str:
    # The matrix builds each parameter on its own: the field lives on an event of the same
    # owner, and the route's event_id (another event of that owner) does not hold it, but the
    # second user gets 404 for the event before the field is looked at.
    event_id = _event(api, owner)
    r = api.post(f"/events/{event_id}/custom-fields/", FIELD_BODY, token=owner.token)
    assert r.status == 201, r.json
    return r.json["uuid"]


FACTORIES = {"event_id": _event, "field_id": _field}

BODIES = {
    "/events": EVENT_BODY,
    "/events/{event_id}": {"title": "Changed"},
    "/events/{event_id}/custom-fields": FIELD_BODY,
    "/events/{event_id}/custom-fields/{field_id}": {"label": "Changed"},
}
