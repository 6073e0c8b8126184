"""Capacity, the waitlist, cancelling and promotion (exactly once)."""

from __future__ import annotations

import pytest
from lectern.data.audit import AuditItem
from lectern.data.events import EventItem
from lectern.data.registrations import RegistrationEmailItem, RegistrationItem
from lectern.deps import Deps
from lectern.errors import Conflict
from lectern.integrations.bus import MemoryPublisher
from lectern.integrations.mail import MemoryMailer
from lectern.request import RequestMeta

from tests.support.aws import sent_emails
from tests.support.builders import verified_account
from tests.support.events import make_event, user_id_of


@pytest.fixture
def organiser(api):
    return verified_account(api)


def _register(api, event, email, token=None):
    body = {"full_name": "Person", **({"email": email} if email else {})}
    return api.post(f"/events/{event.event_id}/register/", body, token=token)


def _event(event_id):
    return EventItem.get(*EventItem.key(event_id), consistent_read=True)


def _reg(rid):
    return RegistrationItem.get(*RegistrationItem.key(rid), consistent_read=True)


def _cancel(api, organiser, event, rid):
    return api.post(f"/events/{event.event_id}/registrations/{rid}/cancel/", {}, token=organiser.token)


def _waitlist(event_id):
    return [i.registration_id for i in RegistrationItem.gsi3.query(f"WAITLIST#{event_id}")]


def test_given_unlimited_capacity_then_everyone_is_confirmed(api, organiser):
    event = make_event(organiser.token)
    assert [_register(api, event, f"u{i}@example.org").json["status"] for i in range(5)] == ["confirmed"] * 5
    assert _event(event.event_id).confirmed_count == 5


def test_given_a_full_event_with_a_waitlist_then_waitlisted_with_positions(api, organiser):
    event = make_event(organiser.token, capacity=2, waitlist_enabled=True)
    replies = [_register(api, event, f"u{i}@example.org").json for i in range(5)]
    assert [r["status"] for r in replies] == ["confirmed"] * 2 + ["waitlisted"] * 3
    assert [r["waitlist_position"] for r in replies] == [None, None, 1, 2, 3]
    stored = _event(event.event_id)
    assert (stored.confirmed_count, stored.waitlisted_count) == (2, 3)
    assert _waitlist(event.event_id) == [r["uuid"] for r in replies[2:]]
    mail = sent_emails("u3@example.org")[-1]
    assert "waitlist" in mail["subject"] and "number 2" in mail["text"]


def test_given_a_full_event_without_waitlist_then_409_event_full(api, organiser):
    event = make_event(organiser.token, capacity=1)
    assert _register(api, event, "a@example.org").status == 201
    r = _register(api, event, "b@example.org")
    assert r.status == 409 and r.error_code == "event_full"
    assert _event(event.event_id).confirmed_count == 1
    assert not list(
        RegistrationEmailItem.query(
            f"EVENT#{event.event_id}", RegistrationEmailItem.sk == "EMAIL#b@example.org"
        )
    )


def test_given_the_event_filled_between_read_and_write_then_the_registration_goes_to_the_waitlist(
    api, organiser, monkeypatch
):
    """The seat condition in the transaction is what holds: the event is read with a seat free,
    someone else takes it before the write, the transaction fails, the re-read sends us to the
    waitlist."""
    from lectern.registrations import service

    event = make_event(organiser.token, capacity=1, waitlist_enabled=True)
    real = service.tx.get_many
    calls = {"n": 0}

    def stale_then_real(keys):
        got = real(keys)
        calls["n"] += 1
        if calls["n"] == 1:
            EventItem(*EventItem.key(event.event_id)).update(actions=[EventItem.confirmed_count.add(1)])
        return got

    monkeypatch.setattr(service.tx, "get_many", stale_then_real)
    r = _register(api, event, "late@example.org")
    assert r.status == 201 and r.json["status"] == "waitlisted" and r.json["waitlist_position"] == 1
    stored = _event(event.event_id)
    assert (stored.confirmed_count, stored.waitlisted_count) == (1, 1)


def test_cancelling_a_confirmed_registration_promotes_the_oldest_waitlisted_once(api, organiser):
    event = make_event(organiser.token, capacity=1, waitlist_enabled=True)
    first = _register(api, event, "first@example.org").json["uuid"]
    w1 = _register(api, event, "w1@example.org").json["uuid"]
    w2 = _register(api, event, "w2@example.org").json["uuid"]
    r = _cancel(api, organiser, event, first)
    assert r.status == 200, r.json
    assert (
        r.json["status"] == "cancelled"
        and r.json["cancelled_at"]
        and r.json["cancelled_by"] == user_id_of(organiser.token)
    )
    promoted = _reg(w1)
    assert promoted.status == "confirmed" and promoted.promoted_from_waitlist_at is not None
    assert promoted.gsi3pk is None and _waitlist(event.event_id) == [w2]
    stored = _event(event.event_id)
    assert (stored.confirmed_count, stored.waitlisted_count) == (1, 1)
    assert "place is yours" in sent_emails("w1@example.org")[-1]["subject"].lower()
    # the person who cancelled may register again — at the back of the queue
    again = _register(api, event, "first@example.org").json
    assert again["status"] == "waitlisted" and again["waitlist_position"] == 2
    w2_view = api.get(f"/events/{event.event_id}/registrations/{w2}/", token=organiser.token).json
    assert w2_view["waitlist_position"] == 1
    actions = {a.action for a in AuditItem.query(f"AUDIT#registration#{w1}")}
    assert actions == {"lectern.registration.waitlisted", "lectern.registration.promoted"}


def test_without_auto_promote_the_seat_is_freed_and_nobody_moves(api, organiser):
    event = make_event(organiser.token, capacity=1, waitlist_enabled=True, waitlist_auto_promote=False)
    first = _register(api, event, "first@example.org").json["uuid"]
    w1 = _register(api, event, "w1@example.org").json["uuid"]
    assert _cancel(api, organiser, event, first).status == 200
    assert _reg(w1).status == "waitlisted"
    stored = _event(event.event_id)
    assert (stored.confirmed_count, stored.waitlisted_count) == (0, 1)
    # ... and the organiser may promote by hand now that there is a seat
    p = api.post(f"/events/{event.event_id}/registrations/{w1}/promote/", {}, token=organiser.token)
    assert p.status == 200 and p.json["status"] == "confirmed" and p.json["promoted_from_waitlist_at"]
    stored = _event(event.event_id)
    assert (stored.confirmed_count, stored.waitlisted_count) == (1, 0)
    assert _waitlist(event.event_id) == []


def test_manual_promotion_of_a_full_event_is_409_event_full(api, organiser):
    event = make_event(organiser.token, capacity=1, waitlist_enabled=True)
    _register(api, event, "first@example.org")
    w1 = _register(api, event, "w1@example.org").json["uuid"]
    p = api.post(f"/events/{event.event_id}/registrations/{w1}/promote/", {}, token=organiser.token)
    assert p.status == 409 and p.error_code == "event_full"
    assert _reg(w1).status == "waitlisted"


def test_promoting_a_confirmed_registration_is_409(api, organiser):
    event = make_event(organiser.token, capacity=5, waitlist_enabled=True)
    rid = _register(api, event, "first@example.org").json["uuid"]
    p = api.post(f"/events/{event.event_id}/registrations/{rid}/promote/", {}, token=organiser.token)
    assert p.status == 409 and p.error_code == "not_waitlisted"


def test_leaving_the_waitlist_moves_the_others_up(api, organiser):
    me = verified_account(api)
    event = make_event(organiser.token, capacity=1, waitlist_enabled=True)
    _register(api, event, "first@example.org")
    mine = _register(api, event, None, token=me.token).json
    last = _register(api, event, "last@example.org").json
    assert (mine["waitlist_position"], last["waitlist_position"]) == (1, 2)
    r = api.post(f"/users/me/registrations/{mine['uuid']}/cancel/", {}, token=me.token)
    assert r.status == 200 and r.json["status"] == "cancelled" and r.json["waitlist_position"] is None
    assert _reg(mine["uuid"]).gsi3pk is None
    stored = _event(event.event_id)
    assert (stored.confirmed_count, stored.waitlisted_count) == (1, 1)
    assert (
        api.get(f"/events/{event.event_id}/registrations/{last['uuid']}/", token=organiser.token).json[
            "waitlist_position"
        ]
        == 1
    )
    # still visible to me, as cancelled
    assert api.get(f"/users/me/registrations/{mine['uuid']}/", token=me.token).json["status"] == "cancelled"


def test_cancelling_twice_is_409_already_cancelled(api, organiser):
    event = make_event(organiser.token, capacity=1, waitlist_enabled=True)
    rid = _register(api, event, "first@example.org").json["uuid"]
    w1 = _register(api, event, "w1@example.org").json["uuid"]
    assert _cancel(api, organiser, event, rid).status == 200
    again = _cancel(api, organiser, event, rid)
    assert again.status == 409 and again.error_code == "already_cancelled"
    stored = _event(event.event_id)
    assert (stored.confirmed_count, stored.waitlisted_count) == (1, 0) and _reg(w1).status == "confirmed"


def test_a_cancelled_registration_is_never_promoted(api, organiser):
    event = make_event(organiser.token, capacity=1, waitlist_enabled=True)
    first = _register(api, event, "first@example.org").json["uuid"]
    w1 = _register(api, event, "w1@example.org").json["uuid"]
    w2 = _register(api, event, "w2@example.org").json["uuid"]
    assert _cancel(api, organiser, event, w1).status == 200
    assert _cancel(api, organiser, event, first).status == 200
    assert _reg(w1).status == "cancelled" and _reg(w2).status == "confirmed"


def _deps():
    return Deps(mailer=MemoryMailer(), bus=MemoryPublisher())


def test_two_cancellations_racing_promote_two_different_people_each_once(api, organiser):
    """Both cancellations read the same oldest candidate; the second one's promotion condition
    (status = waitlisted) fails, so it retries with the next candidate."""
    from lectern.registrations import service

    event = make_event(organiser.token, capacity=2, waitlist_enabled=True)
    a = _register(api, event, "a@example.org").json["uuid"]
    b = _register(api, event, "b@example.org").json["uuid"]
    w1 = _register(api, event, "w1@example.org").json["uuid"]
    w2 = _register(api, event, "w2@example.org").json["uuid"]
    stale_candidate = service._oldest_waitlisted(event.event_id, None)
    owner = user_id_of(organiser.token)
    service.cancel_as_organiser(
        owner_id=owner, event_id=event.event_id, registration_id=a, meta=RequestMeta(), deps=_deps()
    )
    # the second cancellation first sees the stale candidate (w1, already promoted)
    real = service._oldest_waitlisted
    seen = []

    def stale_first(event_id, after):
        seen.append(after)
        return stale_candidate if len(seen) == 1 else real(event_id, after)

    service._oldest_waitlisted = stale_first
    try:
        deps = _deps()
        service.cancel_as_organiser(
            owner_id=owner, event_id=event.event_id, registration_id=b, meta=RequestMeta(), deps=deps
        )
    finally:
        service._oldest_waitlisted = real
    assert (_reg(w1).status, _reg(w2).status) == ("confirmed", "confirmed")
    assert len(seen) == 2
    stored = _event(event.event_id)
    assert (stored.confirmed_count, stored.waitlisted_count) == (2, 0)
    assert [e.detail_type for e in deps.bus.events] == [
        "lectern.registration.cancelled",
        "lectern.registration.promoted",
    ]
    assert [m.to for m in deps.mailer.sent] == ["w2@example.org"]
    promotions = [
        a for a in AuditItem.query(f"AUDIT#registration#{w1}") if a.action == "lectern.registration.promoted"
    ]
    assert len(promotions) == 1


def test_the_same_cancellation_twice_through_the_service_promotes_once(api, organiser):
    from lectern.registrations import service

    event = make_event(organiser.token, capacity=1, waitlist_enabled=True)
    a = _register(api, event, "a@example.org").json["uuid"]
    w1 = _register(api, event, "w1@example.org").json["uuid"]
    w2 = _register(api, event, "w2@example.org").json["uuid"]
    owner = user_id_of(organiser.token)
    stale = _reg(a)
    service.cancel_as_organiser(
        owner_id=owner, event_id=event.event_id, registration_id=a, meta=RequestMeta(), deps=_deps()
    )
    with pytest.raises(Conflict) as err:
        service._cancel(
            stale, actor_id=owner, meta=RequestMeta(), deps=_deps()
        )  # read before the first committed
    assert err.value.code == "already_cancelled"
    assert (_reg(w1).status, _reg(w2).status) == ("confirmed", "waitlisted")
    stored = _event(event.event_id)
    assert (stored.confirmed_count, stored.waitlisted_count) == (1, 1)


def test_a_guest_registration_cannot_be_cancelled_by_an_account(api, organiser):
    event = make_event(organiser.token)
    rid = _register(api, event, "guest@example.org").json["uuid"]
    someone = verified_account(api)
    assert api.post(f"/users/me/registrations/{rid}/cancel/", {}, token=someone.token).status == 404
    assert _reg(rid).status == "confirmed"


def test_another_organiser_cannot_cancel_or_promote(api, organiser):
    event = make_event(organiser.token, capacity=1, waitlist_enabled=True)
    rid = _register(api, event, "a@example.org").json["uuid"]
    w1 = _register(api, event, "w1@example.org").json["uuid"]
    mallory = verified_account(api)
    assert (
        api.post(f"/events/{event.event_id}/registrations/{rid}/cancel/", {}, token=mallory.token).status
        == 404
    )
    assert (
        api.post(f"/events/{event.event_id}/registrations/{w1}/promote/", {}, token=mallory.token).status
        == 404
    )
    assert (_reg(rid).status, _reg(w1).status) == ("confirmed", "waitlisted")
