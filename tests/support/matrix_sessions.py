"""Matrix factories for an event's sessions (events group)."""

from __future__ import annotations

from typing import Any

from tests.support.matrix_events import EVENT_BODY

SESSION_BODY = {
    "title": "Part one",
    "starts_at": "2030-03-01T10:00:00+00:00",
    "ends_at": "2030-03-01T11:00:00+00:00",
}


def _event_session(api: Any, owner: Any) -> str:
    """A session of a multi-session event of `owner` (the route's event_id is another event of
    the same owner; the second user gets 404 for the event first)."""
    r = api.post("/events/", {**EVENT_BODY, "is_multi_session": True}, token=owner.token)
    assert r.status == 201, r.json
    r = api.post(f"/events/{r.json['uuid']}/sessions/", SESSION_BODY, token=owner.token)
    assert r.status == 201, r.json
    return r.json["uuid"]


FACTORIES = {"event_session_id": _event_session}

BODIES = {
    "/events/{event_id}/sessions": SESSION_BODY,
    "/events/{event_id}/sessions/{event_session_id}": {"title": "Changed"},
}
