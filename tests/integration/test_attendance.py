"""Attendance from Zoom events: matching, union of segments, disorder and duplicates, unmatched
participants and assignment, completion, eligibility with explanations, overrides, manual entry."""

from __future__ import annotations

import random

import pytest
from lectern.data.attendance import AttendanceEdgeItem, UnmatchedParticipantItem
from lectern.data.audit import AuditItem
from lectern.data.events import EventItem
from lectern.data.sessions import EventSessionItem
from lectern.throttle import BULK_CAPACITY, BULK_COSTS

from tests.support import attendance as A
from tests.support.builders import verified_account
from tests.support.events import make_event
from tests.support.throttle import pin_bulk_clock
from tools import zoom_payloads as zp


@pytest.fixture
def organiser(api):
    return verified_account(api)


def _register(api, event, email, name="Person", token=None):
    r = api.post(f"/events/{event.event_id}/register/", {"email": email, "full_name": name}, token=token)
    assert r.status == 201, r.json
    return A.reg_item(r.json["uuid"])


def _single(organiser, **fields):
    return make_event(
        organiser.token, starts_at=A.START, ends_at=A.at(60), minimum_attendance_percent=80, **fields
    )


def _event(event_id):
    return EventItem.get(*EventItem.key(event_id), consistent_read=True)


def _edges(registration_id):
    return list(AttendanceEdgeItem.query(f"REG#{registration_id}"))


def _snapshot(reg):
    r = A.reg_item(reg.registration_id)
    return (
        r.total_attendance_minutes,
        r.first_join_at,
        r.last_leave_at,
        r.attendance_eligible,
        r.attendance_explanation,
        {k: (v["seconds"], tuple(map(tuple, v["segments"]))) for k, v in dict(r.session_attendance).items()},
    )


# -- matching and minutes -------------------------------------------------------------------------


def test_given_a_rejoin_on_a_second_device_then_overlap_counts_once(api, organiser):
    event = _single(organiser)
    alice = _register(api, event, "alice@example.org", "Alice")
    meeting = A.link_meeting(event.event_id, event.event_id, event.owner_id)
    rid = A.link_registrant(meeting, alice, event.event_id)
    laptop = zp.Participant("Alice", email="alice@example.org", registrant_id=rid)
    phone = laptop.on_another_device()

    for body in (
        zp.participant_joined(meeting, laptop, A.at(0)),
        zp.participant_left(meeting, laptop, A.at(30)),
        zp.participant_joined(meeting, phone, A.at(25)),
        zp.participant_left(meeting, phone, A.at(55)),
    ):
        assert A.deliver(body) == "matched"

    r = A.reg_item(alice.registration_id)
    assert r.total_attendance_minutes == 55  # 0-55, not 30 + 30
    assert r.first_join_at == A.at(0) and r.last_leave_at == A.at(55)
    assert r.attendance_eligible is True
    assert "55 of 60 minutes" in r.attendance_explanation


def test_given_no_registrant_id_then_the_exact_email_matches_and_a_name_never_does(api, organiser):
    event = _single(organiser)
    bob = _register(api, event, "bob@example.org", "Bob Builder")
    meeting = A.link_meeting(event.event_id, event.event_id, event.owner_id)

    by_email = zp.Participant("Robert", email="BOB@example.org")
    assert A.deliver(zp.participant_joined(meeting, by_email, A.at(0))) == "matched"
    by_name = zp.Participant("Bob Builder")  # same name, no email: never matched by name
    assert A.deliver(zp.participant_joined(meeting, by_name, A.at(5))) == "unmatched"

    assert len(_edges(bob.registration_id)) == 1
    entries = list(
        UnmatchedParticipantItem.query(
            f"EVENT#{event.event_id}", UnmatchedParticipantItem.sk.startswith("UNMATCHED#")
        )
    )
    assert [e.name for e in entries] == ["Bob Builder"]


def test_given_joins_and_leaves_outside_the_window_then_minutes_are_clipped(api, organiser):
    event = _single(organiser)
    carol = _register(api, event, "carol@example.org")
    meeting = A.link_meeting(event.event_id, event.event_id, event.owner_id)
    who = zp.Participant("Carol", email="carol@example.org")
    A.deliver(zp.participant_joined(meeting, who, A.at(-20)))
    A.deliver(zp.participant_left(meeting, who, A.at(90)))
    r = A.reg_item(carol.registration_id)
    assert r.total_attendance_minutes == 60
    assert r.first_join_at == A.at(-20)  # the real time is kept; minutes are clipped


def test_given_an_unknown_meeting_then_nothing_is_stored(api, organiser):
    event = _single(organiser)
    _register(api, event, "dan@example.org")
    stranger = zp.Meeting(id="99999999999")
    assert A.deliver(
        zp.participant_joined(stranger, zp.Participant("Dan", email="dan@example.org"), A.at(0))
    ) == ("unknown_meeting")
    assert list(AttendanceEdgeItem.scan()) == []


def test_given_a_cancelled_registration_then_its_email_no_longer_matches(api, organiser):
    event = _single(organiser)
    erin = _register(api, event, "erin@example.org")
    assert (
        api.post(
            f"/events/{event.event_id}/registrations/{erin.registration_id}/cancel/",
            {},
            token=organiser.token,
        ).status
        == 200
    )
    meeting = A.link_meeting(event.event_id, event.event_id, event.owner_id)
    assert (
        A.deliver(zp.participant_joined(meeting, zp.Participant("Erin", email="erin@example.org"), A.at(0)))
        == "unmatched"
    )


# -- order and duplicates -------------------------------------------------------------------------


def _storyline(meeting, people):
    alice, bob = people
    alice2 = alice.on_another_device()
    return [
        zp.participant_joined(meeting, alice, A.at(0)),
        zp.participant_left(meeting, alice, A.at(20)),
        zp.participant_joined(meeting, alice, A.at(22)),  # rejoin, same device
        zp.participant_left(meeting, alice, A.at(40)),
        zp.participant_joined(meeting, alice2, A.at(35)),
        zp.participant_left(meeting, alice2, A.at(58)),
        zp.participant_joined(meeting, bob, A.at(15)),
        zp.participant_left(meeting, bob, A.at(45)),
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_given_every_event_three_times_in_shuffled_order_then_registrations_are_identical(
    api, organiser, seed
):
    results = []
    for mode in ("in_order", "shuffled"):
        event = _single(organiser)
        a = _register(api, event, f"alice-{mode}@example.org", "Alice")
        b = _register(api, event, f"bob-{mode}@example.org", "Bob")
        meeting = A.link_meeting(event.event_id, event.event_id, event.owner_id)
        rid = A.link_registrant(meeting, a, event.event_id)
        people = (
            zp.Participant("Alice", registrant_id=rid),
            zp.Participant("Bob", email=f"bob-{mode}@example.org"),
        )
        bodies = _storyline(meeting, people)
        if mode == "shuffled":
            bodies = bodies * 3
            random.Random(seed).shuffle(bodies)
        for body in bodies:
            A.deliver(body)
        results.append((_snapshot(a)[:4], _snapshot(b)[:4]))
    assert results[0] == results[1]
    (alice_minutes, *_), (bob_minutes, *_) = results[0]
    assert (alice_minutes, bob_minutes) == (56, 30)  # 0-20 + 22-58; 15-45


def test_given_a_leave_that_arrives_before_its_join_then_the_result_is_the_same(api, organiser):
    event = _single(organiser)
    fay = _register(api, event, "fay@example.org")
    meeting = A.link_meeting(event.event_id, event.event_id, event.owner_id)
    who = zp.Participant("Fay", email="fay@example.org")
    A.deliver(zp.participant_left(meeting, who, A.at(50)))
    A.deliver(zp.participant_joined(meeting, who, A.at(2)))
    assert A.reg_item(fay.registration_id).total_attendance_minutes == 48


# -- completion ---------------------------------------------------------------------------------


def test_given_meeting_ended_then_open_segments_close_and_the_event_completes_once(api, organiser):
    event = _single(organiser)
    gus = _register(api, event, "gus@example.org")
    meeting = A.link_meeting(event.event_id, event.event_id, event.owner_id)
    A.deliver(zp.participant_joined(meeting, zp.Participant("Gus", email="gus@example.org"), A.at(5)))
    d = A.deps()

    assert A.deliver(zp.meeting_ended(meeting, A.at(50)), d) == "event_completed"
    assert A.deliver(zp.meeting_ended(meeting, A.at(50)), d) == "event_completed"  # redelivery: no-op

    ev = _event(event.event_id)
    assert ev.status == "completed" and ev.completed_at == A.at(50)
    r = A.reg_item(gus.registration_id)
    assert r.total_attendance_minutes == 45  # open from 5 until the meeting ended at 50
    assert r.attendance_eligible is False  # 45 of 60 < 80 %
    kinds = [e.detail_type for e in d.bus.events]
    assert kinds.count("lectern.event.completed") == 1


def _multi(organiser, **rule):
    event = make_event(
        organiser.token,
        starts_at=A.START,
        ends_at=A.at(3 * 24 * 60),
        is_multi_session=True,
        minimum_attendance_percent=75,
        **rule,
    )
    sessions = [A.add_session(event, f"Day {i + 1}", i * 24 * 60, i * 24 * 60 + 60) for i in range(3)]
    return event, sessions


def test_given_a_multi_session_event_then_completion_follows_the_last_session(api, organiser):
    event, sessions = _multi(organiser, completion_type="minimum_sessions", minimum_sessions_required=2)
    hal = _register(api, event, "hal@example.org", "Hal")
    meetings = [A.link_meeting(event.event_id, s.session_id, event.owner_id) for s in sessions]
    who = zp.Participant("Hal", email="hal@example.org")
    for i, m in enumerate(meetings[:2]):
        base = i * 24 * 60
        A.deliver(zp.participant_joined(m, who, A.at(base)))
        A.deliver(zp.participant_left(m, who, A.at(base + 50)))
    d = A.deps()
    assert A.deliver(zp.meeting_ended(meetings[0], A.at(60)), d) == "session_completed"
    assert A.deliver(zp.meeting_ended(meetings[1], A.at(24 * 60 + 60)), d) == "session_completed"
    assert _event(event.event_id).status == "published"
    r = A.deliver(zp.meeting_ended(meetings[2], A.at(48 * 60 + 60)), d)
    assert r == "event_completed"
    assert _event(event.event_id).status == "completed"
    statuses = {
        s.status
        for s in EventSessionItem.query(f"EVENT#{event.event_id}", EventSessionItem.sk.startswith("SESSION#"))
    }
    assert statuses == {"completed"}
    reg = A.reg_item(hal.registration_id)
    assert reg.sessions_attended == 2 and reg.attendance_eligible is True
    assert "2 of 3" in reg.attendance_explanation


def test_organiser_completes_a_session_over_the_api(api, organiser):
    event, sessions = _multi(organiser, completion_type="all_required")
    url = f"/events/{event.event_id}/sessions/{sessions[0].session_id}/complete/"
    r = api.post(url, {}, token=organiser.token)
    assert r.status == 200, r.json
    assert r.json["status"] == "completed" and r.json["event_completed"] is False
    again = api.post(url, {}, token=organiser.token)
    assert again.status == 409 and again.error_code == "session_not_open"
    other = verified_account(api)
    assert (
        api.post(
            f"/events/{event.event_id}/sessions/{sessions[1].session_id}/complete/", {}, token=other.token
        ).status
        == 404
    )
    assert (
        api.post(
            f"/events/{event.event_id}/sessions/{event.event_id}/complete/", {}, token=organiser.token
        ).status
        == 404
    )
    audit = [a.action for a in AuditItem.query(f"AUDIT#event_session#{sessions[0].session_id}")]
    assert audit == ["lectern.session.completed"]


def test_a_draft_event_cannot_complete(api, organiser):
    event = _single(organiser, status="draft")
    r = api.post(f"/events/{event.event_id}/sessions/{event.event_id}/complete/", {}, token=organiser.token)
    assert r.status == 409 and r.error_code == "event_not_running"
    assert _event(event.event_id).status == "draft"


# -- aggregate, session attendance, overrides ----------------------------------------------------


def test_aggregate_attendance_explains_every_registration_and_shows_overrides(api, organiser):
    event, sessions = _multi(organiser, completion_type="minimum_sessions", minimum_sessions_required=2)
    _register(api, event, "ivy@example.org", "Ivy")
    jon = _register(api, event, "jon@example.org", "Jon")
    meeting = A.link_meeting(event.event_id, sessions[0].session_id, event.owner_id)
    zoom_ivy = zp.Participant("Ivy", email="ivy@example.org")
    A.deliver(zp.participant_joined(meeting, zoom_ivy, A.at(0)))
    A.deliver(zp.participant_left(meeting, zoom_ivy, A.at(60)))

    o = api.post(
        f"/events/{event.event_id}/registrations/{jon.registration_id}/override-attendance/",
        {"eligible": True, "reason": "Technical difficulties during the live stream"},
        token=organiser.token,
    )
    assert o.status == 200, o.json
    assert o.json["eligible"] is True and o.json["computed_eligible"] is False
    assert o.json["override"]["by"] == A.reg_item(jon.registration_id).owner_id

    page = api.get(f"/events/{event.event_id}/aggregate-attendance/", token=organiser.token)
    assert page.status == 200, page.json
    assert (
        page.json["completion_rule"]
        == "Attend at least 2 of 3 sessions, each for at least 75% of its scheduled time."
    )
    rows = {row["email"]: row for row in page.json["items"]}
    assert rows["ivy@example.org"]["sessions_attended"] == 1
    assert rows["ivy@example.org"]["sessions_counted"] == 3
    assert rows["ivy@example.org"]["eligible"] is False
    assert "1 of 3" in rows["ivy@example.org"]["explanation"]
    assert [s["attended_minutes"] for s in rows["ivy@example.org"]["sessions"]] == [60, 0, 0]
    assert rows["jon@example.org"]["eligible"] is True
    assert "override" in rows["jon@example.org"]["explanation"].lower()

    cleared = api.delete(
        f"/events/{event.event_id}/registrations/{jon.registration_id}/override-attendance/",
        token=organiser.token,
    )
    assert cleared.status == 200 and cleared.json["override"] is None and cleared.json["eligible"] is False
    actions = [a.action for a in AuditItem.query(f"AUDIT#registration#{jon.registration_id}")]
    assert "lectern.registration.attendance_overridden" in actions
    assert "lectern.registration.attendance_override_cleared" in actions


def test_override_needs_a_reason_and_the_organisers_own_registration(api, organiser):
    event = _single(organiser)
    kim = _register(api, event, "kim@example.org")
    url = f"/events/{event.event_id}/registrations/{kim.registration_id}/override-attendance/"
    assert api.post(url, {"eligible": True}, token=organiser.token).status == 422
    assert api.post(url, {"eligible": True, "reason": "  "}, token=organiser.token).status == 422
    assert api.post(url, {"eligible": "maybe", "reason": "x"}, token=organiser.token).status == 422
    other = verified_account(api)
    assert api.post(url, {"eligible": True, "reason": "x"}, token=other.token).status == 404
    elsewhere = _single(organiser)
    wrong_event = f"/events/{elsewhere.event_id}/registrations/{kim.registration_id}/override-attendance/"
    assert api.post(wrong_event, {"eligible": True, "reason": "x"}, token=organiser.token).status == 404
    assert A.reg_item(kim.registration_id).attendance_override is None


def test_session_attendance_for_the_registrant_and_the_organiser_only(api, organiser):
    event = _single(organiser)
    attendee = verified_account(api)
    r = api.post(f"/events/{event.event_id}/register/", {"full_name": "Lee"}, token=attendee.token)
    rid = r.json["uuid"]
    mine = api.get(f"/registrations/{rid}/session-attendance/", token=attendee.token)
    assert mine.status == 200 and mine.json["sessions"][0]["session_id"] == event.event_id
    assert api.get(f"/registrations/{rid}/session-attendance/", token=organiser.token).status == 200
    stranger = verified_account(api)
    assert api.get(f"/registrations/{rid}/session-attendance/", token=stranger.token).status == 404


# -- unmatched participants --------------------------------------------------------------------


def test_unmatched_participant_is_reviewed_and_assigned_once(api, organiser):
    event = _single(organiser)
    mia = _register(api, event, "mia@example.org", "Mia")
    meeting = A.link_meeting(event.event_id, event.event_id, event.owner_id)
    guest = zp.Participant("Guest 1234")
    A.deliver(zp.participant_joined(meeting, guest, A.at(0)))
    A.deliver(zp.participant_left(meeting, guest, A.at(50)))

    page = api.get(f"/events/{event.event_id}/unmatched-participants/", token=organiser.token)
    assert page.status == 200 and [p["name"] for p in page.json["items"]] == ["Guest 1234"]
    pid = page.json["items"][0]["uuid"]
    assert page.json["items"][0]["observations"] == 2

    done = api.post(
        f"/events/{event.event_id}/unmatched-participants/{pid}/assign/",
        {"registration": mia.registration_id},
        token=organiser.token,
    )
    assert done.status == 200, done.json
    assert done.json["observations_moved"] == 2
    assert done.json["attendance"]["total_attendance_minutes"] == 50
    # later events of the same participant follow the assignment
    A.deliver(zp.participant_joined(meeting, guest, A.at(52)))
    A.deliver(zp.participant_left(meeting, guest, A.at(58)))
    assert A.reg_item(mia.registration_id).total_attendance_minutes == 56
    assert (
        api.get(f"/events/{event.event_id}/unmatched-participants/", token=organiser.token).json["items"]
        == []
    )

    other = _register(api, event, "ned@example.org")
    again = api.post(
        f"/events/{event.event_id}/unmatched-participants/{pid}/assign/",
        {"registration": other.registration_id},
        token=organiser.token,
    )
    assert again.status == 409 and again.error_code == "participant_already_assigned"
    actions = [a.action for a in AuditItem.query(f"AUDIT#registration#{mia.registration_id}")]
    assert "lectern.attendance.participant_assigned" in actions


def test_assign_rejects_foreign_and_unknown_ids(api, organiser):
    event = _single(organiser)
    meeting = A.link_meeting(event.event_id, event.event_id, event.owner_id)
    A.deliver(zp.participant_joined(meeting, zp.Participant("Stranger"), A.at(0)))
    pid = api.get(f"/events/{event.event_id}/unmatched-participants/", token=organiser.token).json["items"][
        0
    ]["uuid"]
    other_event = _single(organiser)
    outsider = _register(api, other_event, "out@example.org")
    url = f"/events/{event.event_id}/unmatched-participants/{pid}/assign/"
    assert api.post(url, {"registration": outsider.registration_id}, token=organiser.token).status == 404
    assert api.post(url, {"registration": "not-a-uuid"}, token=organiser.token).status == 422
    unknown = f"/events/{event.event_id}/unmatched-participants/{A.new_id()}/assign/"
    assert api.post(unknown, {"registration": outsider.registration_id}, token=organiser.token).status == 404
    stranger = verified_account(api)
    assert api.get(f"/events/{event.event_id}/unmatched-participants/", token=stranger.token).status == 404


# -- manual bulk entry ---------------------------------------------------------------------------


def test_bulk_attendance_previews_then_records_and_unites_with_zoom(api, organiser):
    event = _single(organiser)
    oli = _register(api, event, "oli@example.org")
    pat = _register(api, event, "pat@example.org")
    meeting = A.link_meeting(event.event_id, event.event_id, event.owner_id)
    zoom_oli = zp.Participant("Oli", email="oli@example.org")
    A.deliver(zp.participant_joined(meeting, zoom_oli, A.at(0)))
    A.deliver(zp.participant_left(meeting, zoom_oli, A.at(30)))
    url = f"/events/{event.event_id}/registrations/bulk-attendance/"
    body = {
        "entries": [
            {"registration_id": oli.registration_id, "minutes": 50},
            {"registration_id": pat.registration_id, "minutes": 61},
            {"registration_id": A.new_id(), "minutes": 10},
        ]
    }
    preview = api.patch(url, body, token=organiser.token, query={"dry_run": "true"})
    assert preview.status == 200, preview.json
    assert [r["status"] for r in preview.json["results"]] == ["would_update", "skipped", "skipped"]
    assert A.reg_item(oli.registration_id).total_attendance_minutes == 30

    done = api.patch(url, body, token=organiser.token)
    assert done.status == 200 and done.json["updated"] == 1
    assert A.reg_item(oli.registration_id).total_attendance_minutes == 50  # union of 0-30 and 0-50
    again = api.patch(
        url, {"entries": [{"registration_id": oli.registration_id, "minutes": 20}]}, token=organiser.token
    )
    assert again.status == 200
    assert A.reg_item(oli.registration_id).total_attendance_minutes == 30  # manual 0-20 replaced 0-50


def test_bulk_attendance_limits(api, organiser, monkeypatch):
    event = _single(organiser)
    url = f"/events/{event.event_id}/registrations/bulk-attendance/"
    too_many = {"entries": [{"registration_id": A.new_id(), "minutes": 1}] * 201}
    assert api.patch(url, too_many, token=organiser.token).status == 422
    assert (
        api.patch(
            url, {"entries": [{"registration_id": A.new_id(), "minutes": -1}]}, token=organiser.token
        ).status
        == 422
    )
    one = {"entries": [{"registration_id": A.new_id(), "minutes": 1}]}
    pin_bulk_clock(monkeypatch)  # no refill while the loop runs
    fits = BULK_CAPACITY // BULK_COSTS["attendance.bulk"]  # the organiser's one bulk bucket
    statuses = [api.patch(url, one, token=organiser.token).status for _ in range(fits + 2)]
    assert statuses[:fits] == [200] * fits and statuses[fits] == 429
    stranger = verified_account(api)
    assert api.patch(url, one, token=stranger.token).status == 404


# -- recomputed when the rule changes -------------------------------------------------------------


def test_changing_the_rule_recomputes_eligibility(api, organiser):
    from functions.workers.attendance import handle

    event = _single(organiser)
    quinn = _register(api, event, "quinn@example.org")
    meeting = A.link_meeting(event.event_id, event.event_id, event.owner_id)
    who = zp.Participant("Quinn", email="quinn@example.org")
    A.deliver(zp.participant_joined(meeting, who, A.at(0)))
    A.deliver(zp.participant_left(meeting, who, A.at(42)))  # 70 %
    assert A.reg_item(quinn.registration_id).attendance_eligible is False

    r = api.patch(f"/events/{event.event_id}/", {"minimum_attendance_percent": 70}, token=organiser.token)
    assert r.status == 200, r.json
    d = A.deps()
    update = {"source": "lectern", "detail-type": "lectern.event.updated", "detail": {"data": {}}}
    update["detail"]["data"] = {"event_id": event.event_id, "fields": ["minimum_attendance_percent"]}
    assert handle(update, d) == "recomputed:1"
    assert A.reg_item(quinn.registration_id).attendance_eligible is True
    retitled = {**update, "detail": {"data": {"event_id": event.event_id, "fields": ["title"]}}}
    assert handle(retitled, d) == "ignored"


def test_an_oversized_delivery_is_read_back_from_the_stored_raw_event(api, organiser):
    from datetime import UTC, datetime

    from lectern.data.webhooks import ZoomWebhookItem
    from lectern.zoom.webhook import event_identity

    from functions.workers.attendance import handle

    event = _single(organiser)
    rae = _register(api, event, "rae@example.org")
    meeting = A.link_meeting(event.event_id, event.event_id, event.owner_id)
    body = zp.participant_joined(meeting, zp.Participant("Rae", email="rae@example.org"), A.at(0))
    identity = event_identity(body)
    ZoomWebhookItem(
        *ZoomWebhookItem.key(identity),
        identity=identity,
        event=body["event"],
        event_ts=body["event_ts"],
        raw=zp.encode(body).decode(),
        received_at=datetime.now(UTC),
    ).save()
    envelope = A.envelope(body)
    envelope["detail"] = {
        "identity": identity,
        "event": body["event"],
        "payload": None,
        "payload_omitted": True,
    }
    assert handle(envelope, A.deps()) == "matched"
    assert len(_edges(rae.registration_id)) == 1
