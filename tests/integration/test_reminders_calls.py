"""DynamoDB calls per reminder operation (the floors of lectern/reminders/service.py and
sweep.py): one page of the list is 2 calls, a create 3, the sweep 2 writes per registrant."""

from __future__ import annotations

from collections import Counter

import pytest
from botocore.client import BaseClient
from lectern.deps import Deps
from lectern.integrations.mail import MemoryMailer
from lectern.reminders import sweep as sweeper

import functions.outreach.handler as outreach_handler
from tests.support.builders import verified_account
from tests.support.calls import dynamodb_calls
from tests.support.events import make_event


@pytest.fixture
def count(monkeypatch):
    return dynamodb_calls(monkeypatch, outreach_handler)


def test_calls_per_route(api, count):
    owner = verified_account(api)
    event = make_event(owner.token)
    url = f"/events/{event.event_id}/reminders/"
    body = {"anchor": "before_start", "offset_minutes": 60}
    created = []

    def create():
        r = api.post(url, body, token=owner.token)
        created.append(r.json["uuid"])
        return r

    assert count(create) == {"GetItem": 1, "Query": 1, "TransactWriteItems": 1}
    rid = created[0]
    assert count(lambda: api.get(url, token=owner.token)) == {"GetItem": 1, "Query": 1}
    assert count(lambda: api.get(url + f"{rid}/", token=owner.token)) == {"BatchGetItem": 1}
    patch = {"subject": "Soon"}
    assert count(lambda: api.patch(url + f"{rid}/", patch, token=owner.token)) == {
        "BatchGetItem": 1,
        "TransactWriteItems": 1,
    }
    moved = {"offset_minutes": 120}
    assert count(lambda: api.patch(url + f"{rid}/", moved, token=owner.token)) == {
        "BatchGetItem": 1,
        "TransactWriteItems": 1,
    }
    assert count(lambda: api.delete(url + f"{rid}/", token=owner.token)) == {
        "BatchGetItem": 1,
        "TransactWriteItems": 1,
    }


def test_calls_per_sweep(api, monkeypatch):
    owner = verified_account(api)
    event = make_event(owner.token)
    r = api.post(
        f"/events/{event.event_id}/reminders/",
        {"anchor": "before_start", "offset_minutes": 60},
        token=owner.token,
    )
    assert r.status == 201
    for n in range(3):
        reg = api.post(
            f"/events/{event.event_id}/register/", {"email": f"p{n}@example.org", "full_name": "P"}
        )
        assert reg.status == 201
    calls: list[str] = []
    original = BaseClient._make_api_call

    def spy(client, operation, params):
        if client.meta.service_model.service_name == "dynamodb":
            calls.append(operation)
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", spy)
    result = sweeper.sweep(Deps(mailer=MemoryMailer()), event.starts_at)
    assert result.sent == 3 and result.completed == 1
    # due Query + (Event, Reminder) BatchGet + claims Query + registrations Query + suppression
    # BatchGet + per registrant (claim PutItem + sent UpdateItem) + the disarm UpdateItem
    assert Counter(calls) == {"Query": 3, "BatchGetItem": 2, "PutItem": 3, "UpdateItem": 4}
    calls.clear()
    again = sweeper.sweep(Deps(mailer=MemoryMailer()), event.starts_at)
    assert again.reminders == 0 and Counter(calls) == {"Query": 1}  # nothing due: one Query
