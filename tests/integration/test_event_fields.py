"""Custom registration fields: add, list, change, remove — embedded in the event, conditional on
its revision, and never touching answers already stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lectern.data.events import EventItem
from lectern.data.registrations import RegistrationItem
from lectern.events.fields import validate_answers
from lectern.ids import new_id

from tests.support.builders import verified_account
from tests.support.events import make_event


@pytest.fixture
def me(api):
    return verified_account(api)


@pytest.fixture
def event(me):
    return make_event(me.token, status="draft")


def _path(event, field_id: str | None = None) -> str:
    base = f"/events/{event.event_id}/custom-fields/"
    return f"{base}{field_id}/" if field_id else base


def _add(api, me, event, **kw):
    return api.post(_path(event), {"label": "Dietary needs", "type": "text", **kw}, token=me.token)


def _stored(event) -> list[dict]:
    return list(EventItem.get(*EventItem.key(event.event_id), consistent_read=True).custom_fields)


def test_given_fields_when_adding_then_201_listed_in_position_order_and_stored(api, me, event):
    a = _add(api, me, event, required=True, help_text="Anything we should know")
    assert a.status == 201, a.json
    assert a.json == {
        "uuid": a.json["uuid"],
        "label": "Dietary needs",
        "type": "text",
        "required": True,
        "options": [],
        "help_text": "Anything we should know",
        "position": 0,
    }
    b = _add(api, me, event, label="Track", type="select", options=["Clinical", "Legal"], position=0)
    c = _add(api, me, event, label="Topics", type="multi_select", options=["A", "B"])
    assert c.json["position"] == 1
    listed = api.get(_path(event), token=me.token).json
    assert listed["next_cursor"] is None
    # position 0 twice: ties are broken by id (creation order).
    assert [f["uuid"] for f in listed["items"]] == [a.json["uuid"], b.json["uuid"], c.json["uuid"]]
    stored = _stored(event)
    assert {f["field_id"] for f in stored} == {a.json["uuid"], b.json["uuid"], c.json["uuid"]}
    assert EventItem.get(*EventItem.key(event.event_id)).revision == 3


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"type": "select"}, "options", "options_required"),
        ({"type": "multi_select", "options": []}, "options", "options_required"),
        ({"type": "select", "options": ["A", "A"]}, "options", "options_not_unique"),
        ({"type": "text", "options": ["A"]}, "options", "options_forbidden"),
        ({"type": "number", "options": ["1"]}, "options", "options_forbidden"),
        ({"type": "colour"}, "type", None),
        ({"label": ""}, "label", None),
        ({"position": -1}, "position", None),
        ({"options": ["x" * 101], "type": "select"}, "options.0", None),
        ({"uuid": "0190a8f0-0000-7000-8000-000000000001"}, "uuid", None),
    ],
)
def test_given_bad_fields_when_adding_then_422_and_nothing_stored(api, me, event, body, field, code):
    r = _add(api, me, event, **body)
    assert r.status == 422, r.json
    details = r.json["error"]["details"]
    assert field in {d["field"] for d in details}, details
    if code:
        assert details[0]["code"] == code
    assert _stored(event) == []


def test_given_a_field_when_changing_then_merged_and_rechecked(api, me, event):
    fid = _add(api, me, event).json["uuid"]
    r = api.patch(_path(event, fid), {"label": "Diet", "required": True}, token=me.token)
    assert r.status == 200 and r.json["label"] == "Diet" and r.json["required"] is True
    # Turning it into a select needs options in the same change.
    bad = api.patch(_path(event, fid), {"type": "select"}, token=me.token)
    assert bad.status == 422 and bad.json["error"]["details"][0]["code"] == "options_required"
    ok = api.patch(_path(event, fid), {"type": "select", "options": ["Vegan", "None"]}, token=me.token)
    assert ok.status == 200 and ok.json["options"] == ["Vegan", "None"]
    assert _stored(event)[0]["type"] == "select"
    # ... and back to text: options must go.
    back = api.patch(_path(event, fid), {"type": "text", "options": None}, token=me.token)
    assert back.status == 200 and back.json["options"] == []


def test_given_a_field_when_deleting_then_gone_and_answers_stored_elsewhere_untouched(api, me, event):
    fid = _add(api, me, event).json["uuid"]
    answers = validate_answers(_stored(event), {fid: " Vegan "})
    rid = new_id()
    now = datetime.now(UTC)
    RegistrationItem(
        *RegistrationItem.key(rid),
        registration_id=rid,
        event_id=event.event_id,
        owner_id=event.owner_id,
        email="a@example.com",
        full_name="A",
        status="confirmed",
        custom_answers=answers,
        created_at=now,
        updated_at=now,
    ).save()
    assert api.patch(_path(event, fid), {"label": "Renamed"}, token=me.token).status == 200
    assert api.delete(_path(event, fid), token=me.token).status == 204
    kept = RegistrationItem.get(*RegistrationItem.key(rid)).custom_answers
    assert kept == {fid: {"label": "Dietary needs", "type": "text", "value": "Vegan"}}
    assert api.get(_path(event), token=me.token).json["items"] == []
    assert api.delete(_path(event, fid), token=me.token).status == 404
    assert api.patch(_path(event, fid), {"label": "X"}, token=me.token).status == 404


def test_given_an_unknown_field_id_when_changing_then_404(api, me, event):
    _add(api, me, event)
    r = api.patch(_path(event, "0190a8f0-0000-7000-8000-000000000009"), {"label": "X"}, token=me.token)
    assert r.status == 404


def test_given_an_edit_in_between_when_adding_then_409_edit_conflict(api, me, event, monkeypatch):
    from lectern.events import field_service

    real = field_service.owned_event

    def read_then_someone_edits(owner_id, event_id):
        item = real(owner_id, event_id)
        EventItem.get(*EventItem.key(event_id)).update(actions=[EventItem.revision.add(1)])
        return item

    monkeypatch.setattr(field_service, "owned_event", read_then_someone_edits)
    r = _add(api, me, event)
    assert r.status == 409 and r.error_code == "edit_conflict"
    assert _stored(event) == []


def test_given_thirty_fields_when_adding_another_then_409(api, me, event):
    fields = [
        {
            "field_id": f"0190a8f0-0000-7000-8000-{n:012d}",
            "label": f"F{n}",
            "type": "text",
            "required": False,
            "options": [],
            "help_text": "",
            "position": n,
        }
        for n in range(30)
    ]
    EventItem.get(*EventItem.key(event.event_id)).update(actions=[EventItem.custom_fields.set(fields)])
    r = _add(api, me, event)
    assert r.status == 409 and r.error_code == "too_many_fields"


def test_given_another_organisers_event_then_every_field_route_is_404(api, me, event):
    fid = _add(api, me, event).json["uuid"]
    other = verified_account(api).token
    assert api.get(_path(event), token=other).status == 404
    assert _add(api, verified_account(api), event).status == 404
    assert api.patch(_path(event, fid), {"label": "X"}, token=other).status == 404
    assert api.delete(_path(event, fid), token=other).status == 404
    assert [f["label"] for f in _stored(event)] == ["Dietary needs"]
