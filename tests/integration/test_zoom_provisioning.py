"""Zoom provisioning (the zoom-provisioning worker): publishing an online event creates its
meetings, each confirmed registration becomes a Zoom registrant; idempotent under redelivery;
local ids without Zoom credentials; not_connected without a connection; Zoom failures fail
only their record and leave nothing half-written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lectern.data.audit import AuditItem
from lectern.data.events import EventItem
from lectern.data.registrations import RegistrationItem
from lectern.data.sessions import EventSessionItem
from lectern.data.zoom import ZoomMeetingItem, ZoomRegistrantItem
from lectern.deps import default_deps
from lectern.ids import new_id
from lectern.zoom import provisioning

from functions.workers import zoom_provisioning
from tests.support import zoom_fake
from tests.support.api import FakeContext
from tests.support.builders import verified_account
from tests.support.events import make_event, user_id_of
from tests.support.zoom_fake import FakeZoom, domain, install, sqs_event

clock, bus = zoom_fake.clock, zoom_fake.bus  # shared fixtures
LOCAL_BASE = "https://app.lectern.test/_dev/zoom/join/local-"


@pytest.fixture(autouse=True)
def no_zoom_app(monkeypatch):
    """Local mode (LocalZoom) unless a test installs the fake Zoom."""
    for name in ("LECTERN_ZOOM_CLIENT_ID", "LECTERN_ZOOM_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def organiser(api, clock, bus):
    return verified_account(api)


@pytest.fixture
def fake(monkeypatch, aws_env):
    return install(monkeypatch, FakeZoom())


@pytest.fixture
def connected(api, fake, organiser):
    """The organiser connected to the fake Zoom (through the OAuth routes)."""
    from urllib.parse import parse_qs, urlsplit

    r = api.post("/integrations/zoom/connect/", token=organiser.token)
    state = parse_qs(urlsplit(r.json["authorize_url"]).query)["state"][0]
    assert api.get("/integrations/zoom/callback/", query={"code": "c", "state": state}).status == 302
    fake.requests.clear()
    return organiser


def run(*entries):
    return zoom_provisioning.lambda_handler(sqs_event(*entries), FakeContext())


def _event(event_id: str) -> EventItem:
    return EventItem.get(*EventItem.key(event_id), consistent_read=True)


def _session(event_id: str, session_id: str) -> EventSessionItem:
    return EventSessionItem.get(*EventSessionItem.key(event_id, session_id), consistent_read=True)


def _reg(registration_id: str) -> RegistrationItem:
    return RegistrationItem.get(*RegistrationItem.key(registration_id), consistent_read=True)


def _meetings(event_id: str) -> list[ZoomMeetingItem]:
    return [
        m for m in ZoomMeetingItem.gsi1.query(f"EVENT#{event_id}#ZOOMMTGS") if isinstance(m, ZoomMeetingItem)
    ]


def _registrants(meeting_id: str) -> list[ZoomRegistrantItem]:
    return [i for i in ZoomRegistrantItem.query(f"ZOOMMTG#{meeting_id}") if isinstance(i, ZoomRegistrantItem)]


def add_sessions(event: EventItem, n: int) -> list[str]:
    now = datetime.now(UTC)
    ids = []
    for k in range(n):
        sid = new_id()
        starts = event.starts_at + timedelta(hours=k)
        EventSessionItem(
            *EventSessionItem.key(event.event_id, sid),
            session_id=sid,
            event_id=event.event_id,
            owner_id=event.owner_id,
            title=f"Part {k + 1}",
            starts_at=starts,
            ends_at=starts + timedelta(minutes=45),
            created_at=now,
            updated_at=now,
        ).save()
        ids.append(sid)
    return ids


def register(
    event: EventItem, email: str, full_name: str = "Grace Brewster Hopper", status: str = "confirmed"
) -> str:
    rid = new_id()
    now = datetime.now(UTC)
    reg = RegistrationItem(
        *RegistrationItem.key(rid),
        registration_id=rid,
        event_id=event.event_id,
        owner_id=event.owner_id,
        email=email,
        full_name=full_name,
        status=status,
        created_at=now,
        updated_at=now,
    )
    reg.gsi1pk, reg.gsi1sk = RegistrationItem.event_index(event.event_id, rid)
    reg.gsi2pk, reg.gsi2sk = RegistrationItem.person_index(None, email, rid)
    reg.save()
    return rid


def published(event: EventItem):
    return domain(
        "lectern.event.published", event_id=event.event_id, owner_id=event.owner_id, status="published"
    )


def confirmed(event: EventItem, rid: str, kind: str = "confirmed"):
    return domain(f"lectern.registration.{kind}", registration_id=rid, event_id=event.event_id, user_id=None)


def session_event(kind: str, event: EventItem, sid: str):
    return domain(f"lectern.session.{kind}", event_id=event.event_id, session_id=sid, owner_id=event.owner_id)


# ---------------------------------------------------------------- local mode


def test_given_no_zoom_app_when_a_single_session_online_event_is_published_then_a_local_meeting(
    api, organiser
):
    event = make_event(organiser.token)
    assert run(published(event)) == {"batchItemFailures": []}
    stored = _event(event.event_id)
    assert stored.zoom_status == "local"
    assert stored.zoom_meeting_id.isdigit() and len(stored.zoom_meeting_id) == 11
    assert stored.zoom_join_url.endswith(f"/_dev/zoom/meetings/{stored.zoom_meeting_id}")
    (meeting,) = _meetings(event.event_id)
    assert (meeting.meeting_id, meeting.session_id, meeting.event_id) == (
        stored.zoom_meeting_id,
        event.event_id,
        event.event_id,
    )
    assert meeting.local is True and meeting.owner_id == event.owner_id and meeting.kind == "meeting"
    actions = [i.action for i in AuditItem.query(f"AUDIT#event#{event.event_id}")]
    assert actions == ["lectern.zoom.meeting_created"]
    # The organiser sees it on the event.
    r = api.get(f"/events/{event.event_id}/", token=organiser.token)
    assert r.json["zoom_meeting_id"] == stored.zoom_meeting_id and r.json["zoom_status"] == "local"
    assert r.json["zoom_join_url"] == stored.zoom_join_url


def test_given_a_multi_session_event_when_published_then_one_meeting_per_session(organiser):
    event = make_event(organiser.token, is_multi_session=True)
    sids = add_sessions(event, 3)
    run(published(event))
    ids = {sid: _session(event.event_id, sid).zoom_meeting_id for sid in sids}
    assert all(ids.values()) and len(set(ids.values())) == 3
    assert {m.session_id: m.meeting_id for m in _meetings(event.event_id)} == ids
    stored = _event(event.event_id)
    assert stored.zoom_meeting_id is None and stored.zoom_status == "local"


def test_a_cancelled_session_gets_no_meeting(organiser):
    event = make_event(organiser.token, is_multi_session=True)
    keep, cancelled = add_sessions(event, 2)
    s = _session(event.event_id, cancelled)
    s.update(actions=[EventSessionItem.status.set("cancelled")])
    run(published(event))
    assert _session(event.event_id, keep).zoom_meeting_id
    assert _session(event.event_id, cancelled).zoom_meeting_id is None


def test_when_a_registration_is_confirmed_then_a_local_registrant_per_session(api, organiser):
    event = make_event(organiser.token, is_multi_session=True)
    sids = add_sessions(event, 2)
    run(published(event))
    rid = register(event, "grace@example.org")
    assert run(confirmed(event, rid)) == {"batchItemFailures": []}
    joins = _reg(rid).zoom_joins
    assert set(joins) == set(sids)
    for sid in sids:
        meeting_id = _session(event.event_id, sid).zoom_meeting_id
        join = joins[sid]
        assert join["registrant_id"].startswith("local-") and join["meeting_id"] == meeting_id
        assert join["join_url"] == LOCAL_BASE + join["registrant_id"][len("local-") :]
        (registrant,) = _registrants(meeting_id)
        assert (registrant.registrant_id, registrant.registration_id, registrant.session_id) == (
            join["registrant_id"],
            rid,
            sid,
        )
    # Visible to the organiser: first session's registrant and every session's link, in order.
    r = api.get(f"/events/{event.event_id}/registrations/{rid}/", token=organiser.token)
    assert r.status == 200, r.json
    first = joins[sids[0]]
    assert r.json["zoom_registrant_id"] == first["registrant_id"] and r.json["join_url"] == first["join_url"]
    assert [j["session_id"] for j in r.json["session_joins"]] == sids
    assert r.json["session_joins"][1]["registrant_id"] == joins[sids[1]]["registrant_id"]


def test_registrations_confirmed_before_the_meetings_exist_are_added_when_publishing(organiser):
    event = make_event(organiser.token)
    a, b = register(event, "a@example.org"), register(event, "b@example.org")
    waiting = register(event, "w@example.org", status="waitlisted")
    run(confirmed(event, a))  # no meeting yet: nothing to do
    assert _reg(a).zoom_joins == {}
    run(published(event))
    assert set(_reg(a).zoom_joins) == {event.event_id} and set(_reg(b).zoom_joins) == {event.event_id}
    assert _reg(waiting).zoom_joins == {}
    assert len(_registrants(_event(event.event_id).zoom_meeting_id)) == 2


def test_in_person_events_and_drafts_get_nothing(organiser):
    in_person = make_event(organiser.token, format="in_person")
    draft = make_event(organiser.token, status="draft")
    run(published(in_person), published(draft))
    for e in (in_person, draft):
        stored = _event(e.event_id)
        assert stored.zoom_meeting_id is None and stored.zoom_status is None
        assert _meetings(e.event_id) == []


def test_hybrid_events_get_a_meeting(organiser):
    event = make_event(organiser.token, format="hybrid")
    run(published(event))
    assert _event(event.event_id).zoom_meeting_id


# ---------------------------------------------------------------- the organiser's Zoom


def test_given_a_connection_when_published_then_a_zoom_meeting_with_the_organisers_token(connected, fake):
    event = make_event(connected.token, description="Why it matters")
    rid = register(event, "grace@example.org", "Grace Brewster Hopper")
    assert run(published(event)) == {"batchItemFailures": []}
    (create,) = fake.calls("POST", "/users/me/meetings$")
    assert create.bearer == "access-1"
    body = create.json
    assert body["topic"] == event.title and body["agenda"] == "Why it matters"
    assert body["duration"] == 60 and body["timezone"] == "Europe/London"
    assert body["settings"]["approval_type"] == 0
    stored = _event(event.event_id)
    assert stored.zoom_status == "created" and stored.zoom_meeting_id in fake.meetings
    assert stored.zoom_join_url == f"https://zoom.example/j/{stored.zoom_meeting_id}"
    assert _meetings(event.event_id)[0].local is False
    (add,) = fake.calls("POST", "/registrants$")
    assert add.json == {"email": "grace@example.org", "first_name": "Grace", "last_name": "Brewster Hopper"}
    join = _reg(rid).zoom_joins[event.event_id]
    assert join["registrant_id"].startswith("reg-") and join["join_url"].startswith("https://zoom.example/w/")


def test_redelivery_creates_no_second_meeting_or_registrant(connected, fake):
    event = make_event(connected.token, is_multi_session=True)
    add_sessions(event, 2)
    rid = register(event, "grace@example.org")
    run(published(event))
    run(published(event), confirmed(event, rid), confirmed(event, rid, "promoted"))
    run(session_event("created", event, new_id()))
    assert len(fake.calls("POST", "/users/me/meetings$")) == 2
    assert len(fake.calls("POST", "/registrants$")) == 2
    assert len(_meetings(event.event_id)) == 2


def test_given_credentials_but_no_connection_then_not_connected_and_connecting_provisions(
    api, fake, organiser, bus
):
    event = make_event(organiser.token)
    run(published(event))
    stored = _event(event.event_id)
    assert stored.zoom_status == "not_connected" and stored.zoom_meeting_id is None
    assert fake.requests == []
    assert api.get(f"/events/{event.event_id}/", token=organiser.token).json["zoom_status"] == "not_connected"
    # The organiser connects: the waiting event gets its meeting.
    from urllib.parse import parse_qs, urlsplit

    r = api.post("/integrations/zoom/connect/", token=organiser.token)
    state = parse_qs(urlsplit(r.json["authorize_url"]).query)["state"][0]
    api.get("/integrations/zoom/callback/", query={"code": "c", "state": state})
    (connected_event,) = [e for e in bus.events if e.detail_type == "lectern.zoom.connected"]
    run(domain("lectern.zoom.connected", **connected_event.data))
    stored = _event(event.event_id)
    assert stored.zoom_status == "created" and stored.zoom_meeting_id in fake.meetings


def test_a_registration_without_a_connection_gets_no_registrant(fake, organiser):
    event = make_event(organiser.token)
    event.update(actions=[EventItem.zoom_meeting_id.set("85000000099"), EventItem.zoom_status.set("created")])
    rid = register(event, "grace@example.org")
    assert run(confirmed(event, rid)) == {"batchItemFailures": []}
    assert _reg(rid).zoom_joins == {} and fake.requests == []


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_zoom_failure_fails_only_its_record_and_writes_nothing(connected, fake, status):
    event = make_event(connected.token)
    other = make_event(connected.token)
    fake.fail("POST", "/users/me/meetings$", status, headers={"Retry-After": "3"})
    out = run(published(event), published(other))
    assert out == {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}
    stored = _event(event.event_id)
    assert stored.zoom_meeting_id is None and stored.zoom_status is None and _meetings(event.event_id) == []
    assert _event(other.event_id).zoom_meeting_id  # the other record went through
    # The retry succeeds.
    assert run(published(event)) == {"batchItemFailures": []}
    assert _event(event.event_id).zoom_meeting_id


def test_a_registrant_failure_keeps_what_zoom_gave_and_the_retry_resumes(connected, fake):
    event = make_event(connected.token, is_multi_session=True)
    first, second = add_sessions(event, 2)
    run(published(event))
    rid = register(event, "grace@example.org")
    fake.requests.clear()
    second_meeting = _session(event.event_id, second).zoom_meeting_id
    fake.fail("POST", f"/meetings/{second_meeting}/registrants$", 500)
    out = run(confirmed(event, rid))
    assert out == {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}
    joins = _reg(rid).zoom_joins
    assert set(joins) == {first}  # first session's registrant stored, with its ZoomRegistrantItem
    assert len(_registrants(_session(event.event_id, first).zoom_meeting_id)) == 1
    assert _registrants(second_meeting) == []
    assert run(confirmed(event, rid)) == {"batchItemFailures": []}
    assert set(_reg(rid).zoom_joins) == {first, second}
    assert len(fake.calls("POST", "/registrants$")) == 3  # 1 + failed 1 + retried 1


def test_a_401_refreshes_the_token_once_and_retries(connected, fake):
    event = make_event(connected.token)
    fake.access_tokens.clear()  # Zoom revoked the access token early
    assert run(published(event)) == {"batchItemFailures": []}
    creates = fake.calls("POST", "/users/me/meetings$")
    assert [c.bearer for c in creates] == ["access-1", "access-2"]
    assert _event(event.event_id).zoom_meeting_id


def test_a_permanent_refusal_marks_the_event_failed_without_retrying(connected, fake):
    event = make_event(connected.token)
    fake.fail("POST", "/users/me/meetings$", 400, body={"code": 300, "message": "Invalid start time"})
    assert run(published(event)) == {"batchItemFailures": []}
    assert _event(event.event_id).zoom_status == "failed"


def test_when_another_delivery_stored_a_meeting_first_ours_is_deleted(connected, fake):
    event = make_event(connected.token)

    def the_other_delivery_wins(_sent):
        stored = _event(event.event_id)
        stored.update(actions=[EventItem.zoom_meeting_id.set("85000000777")])

    fake.before("POST", "/users/me/meetings$", the_other_delivery_wins)
    assert run(published(event)) == {"batchItemFailures": []}
    assert _event(event.event_id).zoom_meeting_id == "85000000777"
    assert len(fake.calls("POST", "/users/me/meetings$")) == 1
    (deleted,) = fake.calls("DELETE", "/meetings/")
    assert deleted.path != "/v2/meetings/85000000777"
    assert fake.meetings == {}  # ours is gone at Zoom
    assert _meetings(event.event_id) == []


# ---------------------------------------------------------------- changes after publishing


def test_a_session_added_after_publishing_gets_its_meeting_and_registrants(connected, fake):
    event = make_event(connected.token, is_multi_session=True)
    add_sessions(event, 1)
    run(published(event))
    rid = register(event, "grace@example.org")
    run(confirmed(event, rid))
    (new_sid,) = add_sessions(event, 1)
    run(session_event("created", event, new_sid))
    assert _session(event.event_id, new_sid).zoom_meeting_id
    assert len(_reg(rid).zoom_joins) == 2


def test_a_session_moved_is_updated_at_zoom(connected, fake):
    event = make_event(connected.token, is_multi_session=True)
    (sid,) = add_sessions(event, 1)
    run(published(event))
    s = _session(event.event_id, sid)
    new_start = s.starts_at + timedelta(minutes=30)
    s.update(
        actions=[
            EventSessionItem.starts_at.set(new_start),
            EventSessionItem.ends_at.set(new_start + timedelta(hours=1)),
        ]
    )
    run(session_event("updated", event, sid))
    (patch,) = fake.calls("PATCH", f"/meetings/{s.zoom_meeting_id}$")
    assert patch.json["start_time"] == new_start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert patch.json["duration"] == 60 and patch.json["topic"] == f"{event.title} — Part 1"


def test_a_single_session_event_edit_updates_its_meeting(connected, fake):
    event = make_event(connected.token)
    run(published(event))
    edit = {"event_id": event.event_id, "owner_id": event.owner_id, "status": "published"}
    run(domain("lectern.event.updated", **edit, fields=["capacity", "price"]))
    assert fake.calls("PATCH", "/meetings/") == []
    run(domain("lectern.event.updated", **edit, fields=["starts_at"]))
    assert len(fake.calls("PATCH", "/meetings/")) == 1 and len(fake.calls("POST", "/users/me/meetings$")) == 1


def test_a_deleted_session_deletes_its_meeting_at_zoom(connected, fake):
    event = make_event(connected.token, is_multi_session=True)
    keep, gone = add_sessions(event, 2)
    run(published(event))
    meeting_id = _session(event.event_id, gone).zoom_meeting_id
    _session(event.event_id, gone).delete()
    assert run(session_event("deleted", event, gone)) == {"batchItemFailures": []}
    (delete,) = fake.calls("DELETE", "/meetings/")
    assert delete.path == f"/v2/meetings/{meeting_id}"
    assert _session(event.event_id, keep).zoom_meeting_id in fake.meetings
    # Redelivered: Zoom says 404, which is fine.
    assert run(session_event("deleted", event, gone)) == {"batchItemFailures": []}


def test_a_cancelled_registration_cancels_its_zoom_registrant(connected, fake):
    event = make_event(connected.token)
    rid = register(event, "grace@example.org")
    run(published(event))
    _reg(rid).update(actions=[RegistrationItem.status.set("cancelled")])
    assert run(confirmed(event, rid, "cancelled")) == {"batchItemFailures": []}
    (cancel,) = fake.calls("PUT", "/registrants/status$")
    join = _reg(rid).zoom_joins[event.event_id]
    assert cancel.json == {
        "action": "cancel",
        "registrants": [{"id": join["registrant_id"], "email": "grace@example.org"}],
    }


def test_a_registration_cancelled_while_its_registrants_were_added_withdraws_them(connected, fake):
    event = make_event(connected.token)
    run(published(event))
    rid = register(event, "grace@example.org")

    def cancelled_meanwhile(_sent):
        _reg(rid).update(actions=[RegistrationItem.status.set("cancelled")])

    fake.before("POST", "/registrants$", cancelled_meanwhile)
    assert run(confirmed(event, rid)) == {"batchItemFailures": []}
    assert _reg(rid).zoom_joins == {}
    assert len(fake.calls("PUT", "/registrants/status$")) == 1


def test_the_attendee_sees_their_join_link(api, organiser):
    event = make_event(organiser.token)
    run(published(event))
    attendee = verified_account(api)
    r = api.post(f"/events/{event.event_id}/register/", {"full_name": "Ada Lovelace"}, token=attendee.token)
    assert r.status == 201, r.json
    rid = r.json["uuid"]
    assert r.json["join_url"] is None  # the worker has not run yet
    run(confirmed(event, rid))
    mine = api.get(f"/users/me/registrations/{rid}/", token=attendee.token)
    assert mine.status == 200, mine.json
    join = _reg(rid).zoom_joins[event.event_id]
    assert (
        mine.json["zoom_registrant_id"] == join["registrant_id"] and mine.json["join_url"] == join["join_url"]
    )
    assert mine.json["session_joins"] == [
        {"session_id": event.event_id, "registrant_id": join["registrant_id"], "join_url": join["join_url"]}
    ]
    assert user_id_of(attendee.token) != event.owner_id


def test_other_sources_and_unknown_kinds_are_ignored(organiser):
    event = make_event(organiser.token)
    assert (
        zoom_provisioning.handle(
            {"source": "lectern.zoom", "detail-type": "lectern.event.published"}, default_deps()
        )
        == "ignored"
    )
    assert run(domain("lectern.user.signed_up", user_id="u")) == {"batchItemFailures": []}
    assert run(domain("lectern.event.published", event_id=new_id())) == {"batchItemFailures": []}
    assert provisioning.split_name("  Cher ") == ("Cher", "") and provisioning.split_name("") == ("", "")
    assert _event(event.event_id).zoom_meeting_id is None
