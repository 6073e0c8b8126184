"""The sessions of an event (spec-review C2): create, list (pages), read, change, delete,
start; a single-session event's virtual session; the event rules that read sessions
(required_sessions, is_multi_session, the event's window); DynamoDB calls per operation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lectern.data.audit import AuditItem
from lectern.data.events import EventItem
from lectern.data.sessions import EventSessionItem
from lectern.deps import default_deps
from lectern.ids import new_id
from lectern.integrations.bus import MemoryPublisher

from tests.integration.test_events_calls import count  # noqa: F401  (the call-counting fixture)
from tests.support.builders import verified_account
from tests.support.events import make_event, user_id_of

EV_START = "2030-03-01T09:00:00+00:00"
EV_END = "2030-03-03T18:00:00+00:00"
S1 = {"title": "Day one", "starts_at": "2030-03-01T10:00:00+00:00", "ends_at": "2030-03-01T12:00:00+00:00"}
S2 = {"title": "Day two", "starts_at": "2030-03-02T10:00:00+01:00", "ends_at": "2030-03-02T12:00:00+01:00"}


@pytest.fixture
def me(api):
    return verified_account(api)


@pytest.fixture
def bus():
    publisher = MemoryPublisher()
    default_deps().bus = publisher
    return publisher


def _event(api, me, **kw):
    body = {"title": "Course", "starts_at": EV_START, "ends_at": EV_END, "is_multi_session": True, **kw}
    r = api.post("/events/", body, token=me.token)
    assert r.status == 201, r.json
    return r.json["uuid"]


def _published(me, multi=True, **kw) -> EventItem:
    """A published event stored directly (one week ahead, 8 hours long)."""
    starts = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    return make_event(
        me.token, is_multi_session=multi, starts_at=starts, ends_at=starts + timedelta(hours=8), **kw
    )


def _window(event: EventItem, start_h: int = 1, hours: int = 1) -> dict[str, str]:
    starts = event.starts_at + timedelta(hours=start_h)
    return {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=hours)).isoformat()}


def _add(api, me, event_id, body=None, **kw):
    r = api.post(f"/events/{event_id}/sessions/", {**(body or S1), **kw}, token=me.token)
    assert r.status == 201, r.json
    return r.json


def _stored(event_id: str, session_id: str) -> EventSessionItem | None:
    try:
        return EventSessionItem.get(*EventSessionItem.key(event_id, session_id), consistent_read=True)
    except EventSessionItem.DoesNotExist:
        return None


def _event_item(event_id: str) -> EventItem:
    return EventItem.get(*EventItem.key(event_id), consistent_read=True)


def _sessions(event_id: str) -> list[EventSessionItem]:
    return list(EventSessionItem.query(f"EVENT#{event_id}", EventSessionItem.sk.startswith("SESSION#")))


def _audit(resource_type: str, resource_id: str) -> list[str]:
    return sorted(i.action for i in AuditItem.query(f"AUDIT#{resource_type}#{resource_id}"))


def _set(item, **values):
    for k, v in values.items():
        setattr(item, k, v)
    item.save()


def _published_names(bus):
    return [(e.detail_type, e.data) for e in bus.events if e.detail_type.startswith("lectern.session.")]


# ---------------------------------------------------------------- create


def test_given_a_multi_session_event_when_adding_a_session_then_201_stored_audited_and_announced(
    api, me, bus
):
    eid = _event(api, me)
    revision = _event_item(eid).revision
    r = api.post(
        f"/events/{eid}/sessions/", {**S2, "description": "Ethics cases", "cpd_hours": 1.5}, token=me.token
    )
    assert r.status == 201, r.json
    body = r.json
    assert body["event"] == eid and body["title"] == "Day two" and body["description"] == "Ethics cases"
    assert body["starts_at"] == "2030-03-02T09:00:00Z" and body["ends_at"] == "2030-03-02T11:00:00Z"
    assert body["status"] == "scheduled" and body["cpd_hours"] == 1.5 and body["revision"] == 0
    assert body["required"] is False and body["virtual"] is False
    assert body["zoom_meeting_id"] is None and body["started_at"] is None and body["completed_at"] is None
    sid = body["uuid"]
    item = _stored(eid, sid)
    assert item is not None and item.owner_id == user_id_of(me.token) and item.status == "scheduled"
    assert item.starts_at == datetime(2030, 3, 2, 9, tzinfo=UTC) and item.cpd_hours == 1.5
    assert _audit("event_session", sid) == ["lectern.session.created"]
    assert _event_item(eid).revision == revision + 1  # the event's session set changed
    owner = user_id_of(me.token)
    assert _published_names(bus) == [
        ("lectern.session.created", {"event_id": eid, "session_id": sid, "owner_id": owner})
    ]


def test_given_no_cpd_hours_when_adding_then_they_are_null(api, me):
    assert _add(api, me, _event(api, me))["cpd_hours"] is None


def test_given_a_single_session_event_when_adding_a_session_then_409_telling_to_set_multi_session(api, me):
    eid = _event(api, me, is_multi_session=False)
    r = api.post(f"/events/{eid}/sessions/", S1, token=me.token)
    assert r.status == 409 and r.error_code == "not_multi_session"
    assert "is_multi_session" in r.json["error"]["message"]
    assert _sessions(eid) == []


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"ends_at": "2030-03-01T09:30:00+00:00"}, "ends_at"),  # before starts_at
        ({"ends_at": S1["starts_at"]}, "ends_at"),  # empty
        ({"starts_at": "2030-03-01T08:00:00+00:00"}, "starts_at"),  # before the event
        ({"starts_at": "2030-03-03T17:00:00+00:00", "ends_at": "2030-03-03T19:00:00+00:00"}, "ends_at"),
        ({"ends_at": "2030-03-02T10:00:01+00:00"}, "ends_at"),  # longer than 24 hours
        ({"starts_at": "2030-03-01T10:00:00"}, "starts_at"),  # no offset
        ({"cpd_hours": -1}, "cpd_hours"),
        ({"cpd_hours": 1.005}, "cpd_hours"),
        ({"title": " "}, "title"),
        ({"status": "live"}, "status"),  # read-only
        ({"zoom_join_url": "https://zoom.us/j/1"}, "zoom_join_url"),  # read-only
    ],
)
def test_given_bad_fields_when_adding_then_422_naming_the_field_and_nothing_stored(api, me, extra, field):
    eid = _event(api, me)
    r = api.post(f"/events/{eid}/sessions/", {**S1, **extra}, token=me.token)
    assert r.status == 422, r.json
    assert field in {d["field"] for d in r.json["error"]["details"]}, r.json
    assert _sessions(eid) == []


def test_given_no_title_when_adding_then_422_title(api, me):
    eid = _event(api, me)
    r = api.post(f"/events/{eid}/sessions/", {k: v for k, v in S1.items() if k != "title"}, token=me.token)
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == "title"


@pytest.mark.parametrize("status", ["cancelled", "completed"])
def test_given_a_closed_event_when_adding_then_409_event_closed(api, me, status):
    event = _published(me)
    _set(event, status=status)
    r = api.post(f"/events/{event.event_id}/sessions/", {"title": "T", **_window(event)}, token=me.token)
    assert r.status == 409 and r.error_code == "event_closed"
    assert _sessions(event.event_id) == []


def test_given_100_sessions_when_adding_another_then_409_too_many_sessions(api, me):
    eid = _event(api, me)
    owner, now = user_id_of(me.token), datetime.now(UTC)
    with EventSessionItem.batch_write() as batch:
        for _ in range(100):
            sid = new_id()
            batch.save(
                EventSessionItem(
                    *EventSessionItem.key(eid, sid),
                    session_id=sid,
                    event_id=eid,
                    owner_id=owner,
                    title="S",
                    starts_at=datetime(2030, 3, 1, 10, tzinfo=UTC),
                    ends_at=datetime(2030, 3, 1, 11, tzinfo=UTC),
                    created_at=now,
                    updated_at=now,
                )
            )
    r = api.post(f"/events/{eid}/sessions/", S1, token=me.token)
    assert r.status == 409 and r.error_code == "too_many_sessions"
    assert len(_sessions(eid)) == 100


# ---------------------------------------------------------------- list / read


def test_given_sessions_when_listing_then_creation_order_light_items_and_the_required_flag(api, me):
    eid = _event(api, me)
    second_day = _add(api, me, eid, S2)["uuid"]
    first_day = _add(api, me, eid, S1)["uuid"]
    assert api.patch(f"/events/{eid}/", {"required_sessions": [first_day]}, token=me.token).status == 200
    r = api.get(f"/events/{eid}/sessions/", token=me.token)
    assert r.status == 200, r.json
    items = r.json["items"]
    assert [i["uuid"] for i in items] == [second_day, first_day]  # creation order
    assert [i["required"] for i in items] == [False, True]
    assert "description" not in items[0] and "revision" not in items[0]  # lighter list schema (L1)
    assert r.json["next_cursor"] is None


def test_given_many_sessions_when_paging_then_each_once_and_cursors_are_bound_to_the_event(api, me):
    eid = _event(api, me)
    ids = [_add(api, me, eid, title=f"S{i}")["uuid"] for i in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = api.get(f"/events/{eid}/sessions/", token=me.token, query=query).json
        pages += 1
        seen += [i["uuid"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
        last_cursor = cursor
    assert seen == ids and pages >= 3
    other = _event(api, me)
    r = api.get(f"/events/{other}/sessions/", token=me.token, query={"cursor": last_cursor})
    assert r.status == 400 and r.error_code == "invalid_cursor"
    r = api.get(f"/events/{eid}/sessions/", token=me.token, query={"cursor": "forged"})
    assert r.status == 400 and r.error_code == "invalid_cursor"


def test_given_a_multi_session_event_without_sessions_when_listing_then_empty(api, me):
    r = api.get(f"/events/{_event(api, me)}/sessions/", token=me.token)
    assert r.status == 200 and r.json == {"items": [], "next_cursor": None}


def test_given_a_single_session_event_when_listing_then_its_one_virtual_session(api, me):
    eid = _event(api, me, is_multi_session=False, cpd_hours=2, description="All day")
    r = api.get(f"/events/{eid}/sessions/", token=me.token)
    assert r.status == 200, r.json
    [only] = r.json["items"]
    assert only["uuid"] == eid and only["event"] == eid and only["virtual"] is True
    assert only["title"] == "Course" and only["status"] == "scheduled" and only["required"] is True
    assert only["starts_at"] == "2030-03-01T09:00:00Z" and only["cpd_hours"] == 2.0
    assert r.json["next_cursor"] is None
    detail = api.get(f"/events/{eid}/sessions/{eid}/", token=me.token).json
    assert detail["virtual"] is True and detail["description"] == "All day"
    r = api.get(f"/events/{eid}/sessions/", token=me.token, query={"cursor": "forged"})
    assert r.status == 400 and r.error_code == "invalid_cursor"


def test_given_a_session_when_reading_then_the_detail(api, me):
    eid = _event(api, me)
    created = _add(api, me, eid, description="D")
    r = api.get(f"/events/{eid}/sessions/{created['uuid']}/", token=me.token)
    assert r.status == 200 and r.json == created


def test_given_wrong_ids_when_reading_then_404(api, me):
    eid = _event(api, me)
    sid = _add(api, me, eid)["uuid"]
    other_event = _event(api, me)
    for path in (
        f"/events/{eid}/sessions/{new_id()}/",  # unknown session
        f"/events/{eid}/sessions/{eid}/",  # a multi-session event has no virtual session
        f"/events/{other_event}/sessions/{sid}/",  # my session, under my other event
        f"/events/{new_id()}/sessions/{sid}/",  # unknown event
        f"/events/{new_id()}/sessions/",
    ):
        r = api.get(path, token=me.token)
        assert r.status == 404, (path, r.json)


# ---------------------------------------------------------------- another organiser


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "sessions/", None),
        ("POST", "sessions/", S1),
        ("GET", "sessions/{sid}/", None),
        ("PATCH", "sessions/{sid}/", {"title": "Mine now", "starts_at": "2030-03-01T11:00:00+00:00"}),
        ("DELETE", "sessions/{sid}/", None),
        ("POST", "sessions/{sid}/start/", None),
    ],
)
def test_given_another_organisers_session_when_calling_then_404_and_nothing_changes(
    api, me, method, suffix, body
):
    event = _published(me)
    eid = event.event_id
    sid = _add(api, me, eid, {"title": "T", **_window(event)})["uuid"]
    before = (_stored(eid, sid).attribute_values, _event_item(eid).attribute_values)
    other = verified_account(api)
    r = api.call(method, f"/events/{eid}/" + suffix.format(sid=sid), body, token=other.token)
    assert r.status == 404, r.json
    assert (_stored(eid, sid).attribute_values, _event_item(eid).attribute_values) == before
    assert len(_sessions(eid)) == 1


# ---------------------------------------------------------------- change


def test_given_a_session_when_moving_it_then_stored_audited_announced_and_the_event_revision_moves(
    api, me, bus
):
    eid = _event(api, me)
    sid = _add(api, me, eid)["uuid"]
    event_revision = _event_item(eid).revision
    r = api.patch(
        f"/events/{eid}/sessions/{sid}/",
        {
            "revision": 0,
            "title": "Day one (moved)",
            "starts_at": "2030-03-01T13:00:00+00:00",
            "ends_at": "2030-03-01T15:00:00+00:00",
            "cpd_hours": 2,
        },
        token=me.token,
    )
    assert r.status == 200, r.json
    assert r.json["title"] == "Day one (moved)" and r.json["starts_at"] == "2030-03-01T13:00:00Z"
    assert r.json["revision"] == 1 and r.json["cpd_hours"] == 2.0
    item = _stored(eid, sid)
    assert item.title == "Day one (moved)" and item.ends_at == datetime(2030, 3, 1, 15, tzinfo=UTC)
    assert item.revision == 1 and item.cpd_hours == 2
    assert _event_item(eid).revision == event_revision + 1
    assert _audit("event_session", sid) == ["lectern.session.created", "lectern.session.updated"]
    assert [n for n, _ in _published_names(bus)] == ["lectern.session.created", "lectern.session.updated"]


def test_given_a_title_change_when_patching_then_the_event_revision_stays(api, me):
    eid = _event(api, me)
    sid = _add(api, me, eid, cpd_hours=1)["uuid"]
    event_revision = _event_item(eid).revision
    r = api.patch(f"/events/{eid}/sessions/{sid}/", {"title": "Renamed", "cpd_hours": None}, token=me.token)
    assert r.status == 200 and r.json["title"] == "Renamed" and r.json["cpd_hours"] is None
    assert _stored(eid, sid).cpd_hours is None
    assert _event_item(eid).revision == event_revision


def test_given_an_empty_patch_then_200_and_nothing_written(api, me):
    eid = _event(api, me)
    created = _add(api, me, eid)
    r = api.patch(f"/events/{eid}/sessions/{created['uuid']}/", {}, token=me.token)
    assert r.status == 200 and r.json == created
    assert _audit("event_session", created["uuid"]) == ["lectern.session.created"]


def test_given_a_stale_revision_when_patching_then_409_edit_conflict_and_unchanged(api, me):
    eid = _event(api, me)
    sid = _add(api, me, eid)["uuid"]
    assert api.patch(f"/events/{eid}/sessions/{sid}/", {"title": "First"}, token=me.token).status == 200
    r = api.patch(f"/events/{eid}/sessions/{sid}/", {"revision": 0, "title": "Second"}, token=me.token)
    assert r.status == 409 and r.error_code == "edit_conflict"
    assert _stored(eid, sid).title == "First"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_at": "2030-03-01T09:59:00+00:00"}, "ends_at"),  # before the stored start
        ({"starts_at": "2030-03-01T12:00:00+00:00"}, "ends_at"),  # after the stored end
        ({"starts_at": "2030-02-28T23:00:00+00:00"}, "starts_at"),
        ({"ends_at": "2030-03-04T00:00:00+00:00"}, "ends_at"),
        ({"title": None}, "title"),
        ({"starts_at": None}, "starts_at"),
        ({"cpd_hours": 0.001}, "cpd_hours"),
        ({"revision": -1}, "revision"),
        ({"status": "completed"}, "status"),
    ],
)
def test_given_bad_changes_when_patching_then_422_naming_the_field_and_unchanged(api, me, change, field):
    eid = _event(api, me)
    sid = _add(api, me, eid)["uuid"]
    before = _stored(eid, sid).attribute_values
    r = api.patch(f"/events/{eid}/sessions/{sid}/", change, token=me.token)
    assert r.status == 422, r.json
    assert field in {d["field"] for d in r.json["error"]["details"]}, r.json
    assert _stored(eid, sid).attribute_values == before


@pytest.mark.parametrize("status", ["live", "completed"])
def test_given_a_started_session_when_moving_it_then_409_but_its_title_may_change(api, me, status):
    eid = _event(api, me)
    sid = _add(api, me, eid)["uuid"]
    _set(_stored(eid, sid), status=status)
    r = api.patch(f"/events/{eid}/sessions/{sid}/", {"ends_at": "2030-03-01T13:00:00+00:00"}, token=me.token)
    assert r.status == 409 and r.error_code == "session_started"
    assert _stored(eid, sid).ends_at == datetime(2030, 3, 1, 12, tzinfo=UTC)
    # the same times again are no move
    same = {"title": "Renamed", "description": "Notes", "starts_at": S1["starts_at"]}
    r = api.patch(f"/events/{eid}/sessions/{sid}/", same, token=me.token)
    assert r.status == 200 and r.json["title"] == "Renamed" and r.json["status"] == status


def test_given_the_virtual_session_when_patching_or_deleting_then_409_edit_the_event(api, me):
    eid = _event(api, me, is_multi_session=False)
    for r in (
        api.patch(f"/events/{eid}/sessions/{eid}/", {"title": "X"}, token=me.token),
        api.delete(f"/events/{eid}/sessions/{eid}/", token=me.token),
    ):
        assert r.status == 409 and r.error_code == "virtual_session", r.json
        assert "Edit the event" in r.json["error"]["message"]
    assert _event_item(eid).title == "Course"


@pytest.mark.parametrize("status", ["cancelled", "completed"])
def test_given_a_closed_event_when_changing_or_deleting_a_session_then_409_event_closed(api, me, status):
    eid = _event(api, me)
    sid = _add(api, me, eid)["uuid"]
    _set(_event_item(eid), status=status)
    r = api.patch(f"/events/{eid}/sessions/{sid}/", {"title": "X"}, token=me.token)
    assert r.status == 409 and r.error_code == "event_closed"
    r = api.delete(f"/events/{eid}/sessions/{sid}/", token=me.token)
    assert r.status == 409 and r.error_code == "event_closed"
    assert _stored(eid, sid).title == "Day one"


# ---------------------------------------------------------------- delete


def test_given_a_required_session_when_deleting_then_204_gone_and_no_longer_required(api, me, bus):
    eid = _event(api, me)
    keep = _add(api, me, eid, S2)["uuid"]
    sid = _add(api, me, eid)["uuid"]
    assert api.patch(f"/events/{eid}/", {"required_sessions": [sid, keep]}, token=me.token).status == 200
    r = api.delete(f"/events/{eid}/sessions/{sid}/", token=me.token)
    assert r.status == 204, r.json
    assert _stored(eid, sid) is None
    assert _event_item(eid).required_sessions == [keep]
    assert _audit("event_session", sid) == ["lectern.session.created", "lectern.session.deleted"]
    owner = user_id_of(me.token)
    assert _published_names(bus)[-1] == (
        "lectern.session.deleted",
        {"event_id": eid, "session_id": sid, "owner_id": owner},
    )
    assert api.get(f"/events/{eid}/sessions/{sid}/", token=me.token).status == 404


@pytest.mark.parametrize("status", ["live", "completed"])
def test_given_a_started_session_when_deleting_then_409_it_has_attendance(api, me, status):
    eid = _event(api, me)
    sid = _add(api, me, eid)["uuid"]
    _set(_stored(eid, sid), status=status)
    r = api.delete(f"/events/{eid}/sessions/{sid}/", token=me.token)
    assert r.status == 409 and r.error_code == "session_has_attendance"
    assert _stored(eid, sid) is not None


def test_given_a_cancelled_session_when_deleting_then_204(api, me):
    eid = _event(api, me)
    sid = _add(api, me, eid)["uuid"]
    _set(_stored(eid, sid), status="cancelled")
    assert api.delete(f"/events/{eid}/sessions/{sid}/", token=me.token).status == 204
    assert _stored(eid, sid) is None


# ---------------------------------------------------------------- start


def test_given_a_published_event_when_starting_a_session_then_it_and_the_event_go_live(api, me, bus):
    event = _published(me)
    eid = event.event_id
    first = _add(api, me, eid, {"title": "A", **_window(event, 1)})["uuid"]
    second = _add(api, me, eid, {"title": "B", **_window(event, 3)})["uuid"]
    r = api.post(f"/events/{eid}/sessions/{first}/start/", token=me.token)
    assert r.status == 200, r.json
    assert r.json["status"] == "live" and r.json["started_at"] is not None and r.json["revision"] == 1
    item, ev = _stored(eid, first), _event_item(eid)
    assert item.status == "live" and item.started_at is not None
    assert ev.status == "live" and ev.started_at == item.started_at
    assert _audit("event_session", first) == ["lectern.session.created", "lectern.session.started"]
    assert "lectern.event.started" in _audit("event", eid)
    owner = user_id_of(me.token)
    assert _published_names(bus)[-1] == (
        "lectern.session.started",
        {"event_id": eid, "session_id": first, "owner_id": owner},
    )
    # a second session of the live event: the event stays live
    r = api.post(f"/events/{eid}/sessions/{second}/start/", token=me.token)
    assert r.status == 200 and r.json["status"] == "live"
    assert _event_item(eid).status == "live" and _event_item(eid).started_at == ev.started_at
    assert _audit("event", eid).count("lectern.event.started") == 1


def test_given_a_live_session_when_starting_again_then_409_session_not_scheduled(api, me):
    event = _published(me)
    sid = _add(api, me, event.event_id, {"title": "A", **_window(event)})["uuid"]
    assert api.post(f"/events/{event.event_id}/sessions/{sid}/start/", token=me.token).status == 200
    started_at = _stored(event.event_id, sid).started_at
    r = api.post(f"/events/{event.event_id}/sessions/{sid}/start/", token=me.token)
    assert r.status == 409 and r.error_code == "session_not_scheduled"
    assert _stored(event.event_id, sid).started_at == started_at


@pytest.mark.parametrize(
    ("status", "code"),
    [("draft", "event_not_published"), ("cancelled", "event_closed"), ("completed", "event_closed")],
)
def test_given_an_event_that_is_not_published_when_starting_then_409(api, me, status, code):
    event = _published(me)
    sid = _add(api, me, event.event_id, {"title": "A", **_window(event)})["uuid"]
    _set(_event_item(event.event_id), status=status)
    r = api.post(f"/events/{event.event_id}/sessions/{sid}/start/", token=me.token)
    assert r.status == 409 and r.error_code == code
    assert _stored(event.event_id, sid).status == "scheduled"
    assert _event_item(event.event_id).status == status


def test_given_a_single_session_event_when_starting_its_virtual_session_then_the_event_goes_live(
    api, me, bus
):
    event = _published(me, multi=False)
    eid = event.event_id
    r = api.post(f"/events/{eid}/sessions/{eid}/start/", token=me.token)
    assert r.status == 200, r.json
    assert r.json["uuid"] == eid and r.json["virtual"] is True and r.json["status"] == "live"
    stored = _event_item(eid)
    assert stored.status == "live" and stored.started_at is not None
    assert _audit("event_session", eid) == ["lectern.session.started"]
    assert _audit("event", eid) == ["lectern.event.started"]
    assert _published_names(bus) == [
        ("lectern.session.started", {"event_id": eid, "session_id": eid, "owner_id": event.owner_id})
    ]
    r = api.post(f"/events/{eid}/sessions/{eid}/start/", token=me.token)
    assert r.status == 409 and r.error_code == "session_not_scheduled"


# ---------------------------------------------------------------- the event's rules


def test_given_sessions_when_requiring_them_on_the_event_then_only_its_live_sessions_qualify(api, me):
    eid = _event(api, me)
    a = _add(api, me, eid)["uuid"]
    cancelled = _add(api, me, eid, S2)["uuid"]
    _set(_stored(eid, cancelled), status="cancelled")
    foreign = _add(api, me, _event(api, me))["uuid"]
    for wanted in ([new_id()], [cancelled], [foreign], [a, a], [eid]):
        r = api.patch(f"/events/{eid}/", {"required_sessions": wanted}, token=me.token)
        assert r.status == 422, (wanted, r.json)
        assert r.json["error"]["details"][0]["field"] == "required_sessions"
    assert _event_item(eid).required_sessions == []
    r = api.patch(f"/events/{eid}/", {"required_sessions": [a]}, token=me.token)
    assert r.status == 200 and r.json["required_sessions"] == [a]
    r = api.patch(f"/events/{eid}/", {"required_sessions": []}, token=me.token)
    assert r.status == 200 and r.json["required_sessions"] == []


def test_given_a_new_event_when_it_names_required_sessions_then_422(api, me):
    body = {
        "title": "T",
        "starts_at": EV_START,
        "ends_at": EV_END,
        "is_multi_session": True,
        "required_sessions": [new_id()],
    }
    r = api.post("/events/", body, token=me.token)
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == "required_sessions"
    assert api.get("/events/", token=me.token).json["items"] == []


def test_given_sessions_when_turning_multi_session_off_then_409_and_without_them_200(api, me):
    eid = _event(api, me)
    sid = _add(api, me, eid)["uuid"]
    r = api.patch(f"/events/{eid}/", {"is_multi_session": False}, token=me.token)
    assert r.status == 409 and r.error_code == "event_has_sessions"
    assert _event_item(eid).is_multi_session is True
    assert api.delete(f"/events/{eid}/sessions/{sid}/", token=me.token).status == 204
    r = api.patch(f"/events/{eid}/", {"is_multi_session": False}, token=me.token)
    assert r.status == 200 and r.json["is_multi_session"] is False
    assert api.get(f"/events/{eid}/sessions/", token=me.token).json["items"][0]["virtual"] is True


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"starts_at": "2030-03-01T11:00:00+00:00"}, "starts_at"),
        ({"ends_at": "2030-03-01T11:00:00+00:00"}, "ends_at"),
    ],
)
def test_given_sessions_when_the_event_window_would_leave_one_out_then_422(api, me, change, field):
    eid = _event(api, me)
    _add(api, me, eid)
    r = api.patch(f"/events/{eid}/", change, token=me.token)
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == field
    assert _event_item(eid).starts_at == datetime(2030, 3, 1, 9, tzinfo=UTC)
    wider = {"starts_at": "2030-03-01T08:00:00+00:00", "ends_at": "2030-03-04T00:00:00+00:00"}
    assert api.patch(f"/events/{eid}/", wider, token=me.token).status == 200


def test_given_a_session_added_since_my_read_when_patching_the_event_then_409_edit_conflict(api, me):
    eid = _event(api, me)
    revision = api.get(f"/events/{eid}/", token=me.token).json["revision"]
    _add(api, me, eid)
    r = api.patch(f"/events/{eid}/", {"revision": revision, "is_multi_session": False}, token=me.token)
    assert r.status == 409 and r.error_code == "edit_conflict"
    r = api.patch(f"/events/{eid}/", {"revision": revision, "title": "Renamed"}, token=me.token)
    assert r.status == 409 and r.error_code == "edit_conflict"


def test_given_a_multi_session_event_when_duplicating_then_the_copy_requires_no_sessions(api, me):
    eid = _event(api, me)
    sid = _add(api, me, eid)["uuid"]
    assert api.patch(f"/events/{eid}/", {"required_sessions": [sid]}, token=me.token).status == 200
    copy = api.post(f"/events/{eid}/duplicate/", token=me.token).json
    assert copy["is_multi_session"] is True and copy["required_sessions"] == []


# ---------------------------------------------------------------- DynamoDB calls


def test_calls_per_operation(api, me, count):  # noqa: F811
    t = me.token
    event = _published(me)
    eid = event.event_id
    base = f"/events/{eid}/sessions/"
    assert count(lambda: api.post(base, {"title": "A", **_window(event)}, token=t)) == {
        "Query": 1,
        "TransactWriteItems": 1,
    }
    sid = api.get(base, token=t).json["items"][0]["uuid"]
    assert count(lambda: api.get(base, token=t)) == {"GetItem": 1, "Query": 1}
    assert count(lambda: api.get(base + f"{sid}/", token=t)) == {"BatchGetItem": 1}
    assert count(lambda: api.patch(base + f"{sid}/", {"title": "B"}, token=t)) == {
        "BatchGetItem": 1,
        "TransactWriteItems": 1,
    }
    assert count(lambda: api.patch(base + f"{sid}/", _window(event, 2), token=t)) == {
        "BatchGetItem": 1,
        "TransactWriteItems": 1,
    }
    assert count(lambda: api.patch(f"/events/{eid}/", {"required_sessions": [sid]}, token=t)) == {
        "Query": 1,
        "TransactWriteItems": 1,
    }
    other = _add(api, me, eid, {"title": "C", **_window(event, 4)})["uuid"]
    assert count(lambda: api.post(base + f"{sid}/start/", token=t)) == {
        "BatchGetItem": 1,
        "TransactWriteItems": 1,
    }
    assert count(lambda: api.delete(base + f"{other}/", token=t)) == {
        "BatchGetItem": 1,
        "TransactWriteItems": 1,
    }
    single = _published(me, multi=False).event_id
    assert count(lambda: api.get(f"/events/{single}/sessions/", token=t)) == {"GetItem": 1}
