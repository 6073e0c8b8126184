"""DynamoDB calls per events operation (the floors of docs/data-model.md), counted by wrapping
botocore's `_make_api_call` while the events function handles the request (the authorizer's
own calls are not counted)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lectern.data.registrations import RegistrationItem
from lectern.ids import new_id

import functions.events.handler as events_handler
from tests.support.builders import verified_account
from tests.support.calls import dynamodb_calls
from tests.support.events import make_event, user_id_of

BODY = {"title": "Counted", "starts_at": "2030-03-01T10:00:00Z", "ends_at": "2030-03-01T11:00:00Z"}


@pytest.fixture
def count(monkeypatch):
    return dynamodb_calls(monkeypatch, events_handler)


def _register(event, user_id):
    rid = new_id()
    now = datetime.now(UTC)
    reg = RegistrationItem(
        *RegistrationItem.key(rid),
        registration_id=rid,
        event_id=event.event_id,
        owner_id=event.owner_id,
        user_id=user_id,
        email="a@example.com",
        full_name="A",
        status="confirmed",
        created_at=now,
        updated_at=now,
    )
    reg.gsi1pk, reg.gsi1sk = RegistrationItem.event_index(event.event_id, rid)
    reg.gsi2pk, reg.gsi2sk = RegistrationItem.person_index(user_id, reg.email, rid)
    reg.save()


def test_calls_per_operation(api, count):
    me = verified_account(api)
    t = me.token
    assert count(lambda: api.post("/events/", BODY, token=t)) == {"TransactWriteItems": 1}
    # A generated slug that collides costs one more transaction per collision.
    assert count(lambda: api.post("/events/", BODY, token=t)) == {"TransactWriteItems": 2}
    eid = api.get("/events/", token=t).json["items"][0]["uuid"]
    assert count(lambda: api.get("/events/", token=t, query={"status": "draft"})) == {"Query": 1}
    assert count(lambda: api.get(f"/events/{eid}/", token=t)) == {"GetItem": 1}
    assert count(lambda: api.patch(f"/events/{eid}/", {"slug": "moved"}, token=t)) == {
        "GetItem": 1,
        "TransactWriteItems": 1,
    }
    fields = f"/events/{eid}/custom-fields/"
    assert count(lambda: api.post(fields, {"label": "L", "type": "text"}, token=t)) == {
        "GetItem": 1,
        "TransactWriteItems": 1,
    }
    assert count(lambda: api.get(fields, token=t)) == {"GetItem": 1}
    assert count(lambda: api.post(f"/events/{eid}/publish/", token=t)) == {
        "GetItem": 1,
        "TransactWriteItems": 1,
    }
    assert count(lambda: api.get(f"/public/events/{eid}/")) == {"GetItem": 1}
    assert count(lambda: api.get(f"/public/events/{eid}/calendar.ics")) == {"GetItem": 1}
    # "counted" was freed by the slug move: the copy claims it at the first try.
    assert count(lambda: api.post(f"/events/{eid}/duplicate/", token=t)) == {
        "GetItem": 1,
        "TransactWriteItems": 1,
    }
    event = make_event(t)
    _register(event, user_id_of(t))
    # cancel: read, transaction, then one Query page of the event's registrations.
    assert count(lambda: api.post(f"/events/{event.event_id}/cancel/", token=t)) == {
        "GetItem": 1,
        "TransactWriteItems": 1,
        "Query": 1,
    }
    assert count(lambda: api.get("/users/me/calendar-feed/", token=t)) == {
        "GetItem": 1,
        "TransactWriteItems": 1,
    }
    url = api.get("/users/me/calendar-feed/", token=t).json["url"].replace("https://app.lectern.test", "")
    assert count(lambda: api.get("/users/me/calendar-feed/", token=t)) == {"GetItem": 1}
    # feed: token → user, the user's registrations (one page), the events (one batch).
    assert count(lambda: api.get(url)) == {"GetItem": 1, "Query": 1, "BatchGetItem": 1}
    assert count(lambda: api.post("/users/me/calendar-feed/rotate/", token=t)) == {
        "GetItem": 1,
        "TransactWriteItems": 1,
    }
    draft = api.post("/events/", {**BODY, "title": "Gone"}, token=t).json["uuid"]
    assert count(lambda: api.delete(f"/events/{draft}/", token=t)) == {"GetItem": 1, "TransactWriteItems": 1}
