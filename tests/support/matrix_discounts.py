"""Matrix factories for discount codes (events group) and the bulk-add route's body."""

from __future__ import annotations

from typing import Any

from tests.support.events import make_event

CODE_BODY = {"code": "EARLY-BIRD", "kind": "percent", "amount": 10}


def _code(api: Any, owner: Any) -> str:
    event = make_event(owner.token, price_minor=2000)
    r = api.post(f"/events/{event.event_id}/discount-codes/", CODE_BODY, token=owner.token)
    assert r.status == 201, r.json
    return r.json["uuid"]


FACTORIES = {"code_id": _code}

BODIES = {
    "/events/{event_id}/discount-codes": CODE_BODY,
    "/events/{event_id}/discount-codes/{code_id}": {"amount": 15},
    "/events/{event_id}/discount-codes/validate": {"code": "EARLY-BIRD"},
    # bulk add (registrations group; lives here so the registrations helper's module stays theirs)
    "/events/{event_id}/registrations": {"registrants": [{"email": "bulk@example.org", "full_name": "Bulk"}]},
}
