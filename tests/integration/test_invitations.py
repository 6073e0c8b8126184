"""Invitations (issue 6, PRODUCT.md §3): by address or contact list, dry-run reasons, one item per
address, mail by the consumer exactly once, the invitee's link (open, decline, register with the
address locked), resend throttle, revoke, and the DynamoDB calls of each operation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from lectern.data.audit import AuditItem
from lectern.data.invitations import InvitationItem, InvitationRunItem
from lectern.data.throttle import TokenBucketItem
from lectern.deps import default_deps
from lectern.integrations.bus import MemoryPublisher
from lectern.integrations.suppression import suppress
from lectern.invitations import delivery

import functions.outreach.handler
from tests.support.aws import sent_emails
from tests.support.builders import verified_account
from tests.support.calls import dynamodb_calls
from tests.support.events import make_event
from tests.support.matrix_invitations import make_contact_list, pump

TOKEN = re.compile(r"invitations/open\?token=([A-Za-z0-9_\-]+)")


@pytest.fixture
def bus(api):
    publisher = MemoryPublisher()
    default_deps().bus = publisher
    return publisher


@pytest.fixture
def owner(api):
    return verified_account(api)


@pytest.fixture
def event(owner):
    return make_event(owner.token)


def _invite(api, owner, event, body, dry_run=False):
    return api.post(
        f"/events/{event.event_id}/invitations/",
        body,
        token=owner.token,
        query={"dry_run": "true"} if dry_run else None,
    )


def _items(event) -> list[InvitationItem]:
    return [
        i
        for i in InvitationItem.query(f"EVENT#{event.event_id}", InvitationItem.sk.startswith("INVITE#"))
        if isinstance(i, InvitationItem)
    ]


def _token(to: str) -> str:
    mails = sent_emails(to)
    assert mails, f"no mail to {to}"
    m = TOKEN.search(mails[-1]["text"])
    assert m, mails[-1]["text"]
    return m.group(1)


def _sent_to(prefix: str = "") -> list[str]:
    return [
        m["to"] for m in sent_emails() if m["subject"].startswith("You are invited") and prefix in m["to"]
    ]


def _results(r):
    return [(x["email"], x["included"], x["reason"]) for x in r.json["results"]]


# ------------------------------------------------------------------ validation


def test_501_addresses_is_a_422_naming_the_limit(api, owner, event, bus):
    r = _invite(api, owner, event, {"emails": [f"p{i}@example.org" for i in range(501)]})
    assert r.status == 422, r.json
    assert "500" in str(r.json)
    assert r.json["error"]["details"][0]["field"].startswith("emails")
    assert _items(event) == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"emails": []},
        {"emails": ["a@example.org"], "contact_list": "0192b0a4-0000-7000-8000-000000000000"},
        {"emails": "a@example.org"},
        {"emails": ["a@example.org"], "colour": "red"},
        {"contact_list": "not-a-uuid"},
    ],
)
def test_malformed_bodies_are_rejected(api, owner, event, bus, body):
    r = _invite(api, owner, event, body)
    assert r.status in (400, 422), r.json
    assert _items(event) == []


def test_anonymous_is_401(api, event):
    r = api.post(f"/events/{event.event_id}/invitations/", {"emails": ["a@example.org"]})
    assert r.status == 401
    assert api.get(f"/events/{event.event_id}/invitations/").status == 401


def test_other_organisers_event_and_unknown_event_are_404(api, owner, event, bus):
    mallory = verified_account(api)
    r = _invite(api, mallory, event, {"emails": ["a@example.org"]})
    assert r.status == 404
    r = _invite(api, mallory, event, {"emails": ["a@example.org"]}, dry_run=True)
    assert r.status == 404
    unknown = make_event(owner.token)
    unknown.delete()
    assert _invite(api, owner, unknown, {"emails": ["a@example.org"]}).status == 404
    assert api.get(f"/events/{event.event_id}/invitations/", token=mallory.token).status == 404
    assert _items(event) == []


@pytest.mark.parametrize(
    ("status", "code"),
    [("cancelled", "event_closed"), ("completed", "event_closed"), ("draft", "event_not_published")],
)
def test_closed_event_is_409(api, owner, bus, status, code):
    event = make_event(owner.token, status=status)
    r = _invite(api, owner, event, {"emails": ["a@example.org"]})
    assert r.status == 409, r.json
    assert r.error_code == code
    assert _items(event) == []


# ------------------------------------------------------------------ dry run and screening


def test_dry_run_reports_each_address_and_writes_nothing(api, owner, event, bus):
    assert (
        api.post(f"/events/{event.event_id}/register/", {"email": "reg@example.org", "full_name": "R"}).status
        == 201
    )
    assert _invite(api, owner, event, {"emails": ["old@example.org"]}).status == 201
    pump(bus, default_deps())
    suppress("Bounced@Example.org", "bounce", datetime.now(UTC))
    mails_before = len(sent_emails())
    emails = [
        "new@example.org",
        "NEW@example.org",  # duplicate, case-insensitively
        "not an address",
        "Reg@Example.org",  # already registered
        "old@example.org",  # already invited
        "bounced@example.org",  # suppressed
        "other@example.org",
    ]
    r = _invite(api, owner, event, {"emails": emails}, dry_run=True)
    assert r.status == 200, r.json
    body = r.json
    assert body["dry_run"] is True
    assert (body["total"], body["invited"], body["skipped"]) == (7, 2, 5)
    assert _results(r) == [
        ("new@example.org", True, None),
        ("new@example.org", False, "duplicate"),
        ("not an address", False, "invalid_address"),
        ("reg@example.org", False, "already_registered"),
        ("old@example.org", False, "already_invited"),
        ("bounced@example.org", False, "suppressed"),
        ("other@example.org", True, None),
    ]
    assert body["reasons"] == {
        "duplicate": 1,
        "invalid_address": 1,
        "already_registered": 1,
        "already_invited": 1,
        "suppressed": 1,
    }
    assert [i.email for i in _items(event)] == ["old@example.org"]
    assert len(sent_emails()) == mails_before
    assert bus.events == []


def test_real_run_invites_the_included_once_each_and_mails_them_once(api, owner, event, bus):
    suppress("bounced@example.org", "bounce", datetime.now(UTC))
    emails = ["Ann@Example.org", "ann@example.org", "bob@example.org", "bounced@example.org", "x"]
    r = _invite(api, owner, event, {"emails": emails, "message": "Hope to see you there"})
    assert r.status == 201, r.json
    assert (r.json["invited"], r.json["skipped"]) == (2, 3)
    items = {i.email: i for i in _items(event)}
    assert set(items) == {"ann@example.org", "bob@example.org"}
    assert all(i.status == "sent" and i.mailed_seq == 0 for i in items.values())
    assert r.json["results"][0]["invitation"] == items["ann@example.org"].invitation_id
    # The mail goes out by the consumer — and a redelivered message sends nothing twice.
    published = list(bus.events)
    assert len(published) == 1 and published[0].detail_type == "lectern.invitation.mail_requested"
    assert pump(bus, default_deps()) == ["sent:2"]
    bus.events.extend(published)
    assert pump(bus, default_deps()) == ["sent:0"]
    assert sorted(_sent_to()) == ["ann@example.org", "bob@example.org"]
    mail = sent_emails("ann@example.org")[0]
    assert "Hope to see you there" in mail["text"] and "token=" in mail["text"]
    assert all(i.mailed_seq == 1 and i.mailed_at for i in _items(event))
    # Inviting again: already invited, nothing new.
    again = _invite(api, owner, event, {"emails": ["ann@example.org"]})
    assert again.status == 201 and _results(again) == [("ann@example.org", False, "already_invited")]
    entries = [a for a in AuditItem.scan() if a.action == "lectern.invitation.created"]
    assert len(entries) == 2


def test_a_failed_send_is_retried_and_sent_once(api, owner, event, bus, monkeypatch):
    r = _invite(api, owner, event, {"emails": ["a@example.org", "b@example.org"]})
    assert r.status == 201
    published = list(bus.events)
    bus.events.clear()
    deps = default_deps()
    real = deps.mailer.send
    calls = []

    def flaky(message):
        calls.append(message.to)
        if message.to == "b@example.org" and calls.count("b@example.org") == 1:
            raise RuntimeError("SES is down")
        real(message)

    monkeypatch.setattr(deps.mailer, "send", flaky)
    envelope = {"source": "lectern", "detail-type": published[0].detail_type, "detail": published[0].detail()}
    from functions.workers.invitations import handle

    with pytest.raises(delivery.MailNotSent):
        handle(envelope, deps)
    assert handle(envelope, deps) == "sent:1"  # the retry: only the one that failed
    assert handle(envelope, deps) == "sent:0"
    assert sorted(_sent_to()) == ["a@example.org", "b@example.org"]


def test_when_the_bus_refuses_the_request_sends_the_mails_itself(api, owner, event, bus, monkeypatch):
    def refuse(events):
        raise RuntimeError("EventBridge unavailable")

    monkeypatch.setattr(bus, "publish", refuse)
    r = _invite(api, owner, event, {"emails": ["a@example.org", "b@example.org"]})
    assert r.status == 201
    assert sorted(_sent_to()) == ["a@example.org", "b@example.org"]


def test_over_the_bulk_budget_is_429_with_retry_after(api, owner, event, bus):
    from lectern.throttle import BULK_BUCKET

    pk, sk = TokenBucketItem.key(BULK_BUCKET.scope, owner_id := event.owner_id)
    TokenBucketItem(
        pk, sk, tokens=0, refilled_at_ms=int(datetime.now(UTC).timestamp() * 1000), revision="r"
    ).save()
    r = _invite(api, owner, event, {"emails": ["a@example.org"]})
    assert r.status == 429, r.json
    assert int(r.headers["Retry-After"]) >= 1
    assert _items(event) == []
    # The dry run is free.
    assert _invite(api, owner, event, {"emails": ["a@example.org"]}, dry_run=True).status == 200
    assert owner_id


# ------------------------------------------------------------------ contact lists


def test_contact_list_invites_its_members(api, owner, event, bus):
    list_id = make_contact_list(owner.token, ["one@example.org", "two@example.org"])
    r = _invite(api, owner, event, {"contact_list": list_id}, dry_run=True)
    assert r.status == 200 and r.json["invited"] == 2
    r = _invite(api, owner, event, {"contact_list": list_id})
    assert r.status == 201, r.json
    assert r.json["invited"] == 2 and r.json["run"] is None
    pump(bus, default_deps())
    assert sorted(_sent_to()) == ["one@example.org", "two@example.org"]
    assert {i.contact_list_id for i in _items(event)} == {list_id}


def test_other_organisers_list_and_unknown_list_are_404(api, owner, event, bus):
    mallory = verified_account(api)
    theirs = make_contact_list(mallory.token, ["m@example.org"])
    for dry in (False, True):
        r = _invite(api, owner, event, {"contact_list": theirs}, dry_run=dry)
        assert r.status == 404, r.json
        r = _invite(api, owner, event, {"contact_list": "0192b0a4-0000-4000-8000-000000000000"}, dry_run=dry)
        assert r.status == 404, r.json
    assert _items(event) == []


def test_a_list_larger_than_500_runs_in_the_background_with_progress(api, owner, event, bus, monkeypatch):
    monkeypatch.setattr(delivery, "RUN_PAGE", 200)
    emails = [f"member{i:04d}@example.org" for i in range(520)]
    list_id = make_contact_list(owner.token, emails)
    r = _invite(api, owner, event, {"contact_list": list_id})
    assert r.status == 202, r.json
    run = r.json["run"]
    assert run["status"] == "running" and run["total"] == 520
    url = f"/events/{event.event_id}/invitations/runs/{run['uuid']}/"
    assert api.get(url, token=owner.token).json["processed"] == 0
    outcomes = pump(bus, default_deps())
    assert [o for o in outcomes if o.startswith("step")] == ["step:0:200", "step:1:200", "step:2:120"]
    got = api.get(url, token=owner.token).json
    assert (got["status"], got["processed"], got["invited"], got["skipped"]) == ("completed", 520, 520, 0)
    assert len(_items(event)) == 520
    assert len(_sent_to("member")) == 520
    # A stale step message changes nothing.
    from functions.workers.invitations import handle

    stale = {
        "source": "lectern",
        "detail-type": "lectern.invitation.run_requested",
        "detail": {"data": {"event_id": event.event_id, "run_id": run["uuid"], "step": 0}},
    }
    assert handle(stale, default_deps()) == "stale"
    mallory = verified_account(api)
    assert api.get(url, token=mallory.token).status == 404


def test_a_retried_run_step_counts_its_own_invitations_and_mails_once(api, owner, event, bus):
    emails = [f"member{i:04d}@example.org" for i in range(501)]
    list_id = make_contact_list(owner.token, emails)
    r = _invite(api, owner, event, {"contact_list": list_id})
    run_id = r.json["run"]["uuid"]
    first = bus.events.pop(0)
    deps = default_deps()
    # Step 0 does its work, then "crashes" before saving its progress (the run item is restored).
    before = InvitationRunItem.get(*InvitationRunItem.key(event.event_id, run_id), consistent_read=True)
    delivery.run_step(event.event_id, run_id, 0, deps)
    before.save()
    bus.events.clear()
    bus.events.append(first)
    pump(bus, deps)
    run = InvitationRunItem.get(*InvitationRunItem.key(event.event_id, run_id), consistent_read=True)
    assert (run.status, int(run.invited), int(run.skipped)) == ("completed", 501, 0)
    assert len(_sent_to("member")) == 501


# ------------------------------------------------------------------ organiser views


def test_list_is_paginated_and_filtered_by_status(api, owner, event, bus):
    emails = [f"p{i:02d}@example.org" for i in range(5)]
    r = _invite(api, owner, event, {"emails": emails})
    ids = {x["email"]: x["invitation"] for x in r.json["results"]}
    pump(bus, default_deps())
    assert (
        api.delete(
            f"/events/{event.event_id}/invitations/{ids['p01@example.org']}/", token=owner.token
        ).status
        == 204
    )
    seen, cursor = [], None
    while True:
        q = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = api.get(f"/events/{event.event_id}/invitations/", token=owner.token, query=q).json
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [x["email"] for x in seen] == emails
    assert set(seen[0]) == {"uuid", "email", "status", "mailed_at", "created_at"}  # the light list schema
    revoked = api.get(
        f"/events/{event.event_id}/invitations/", token=owner.token, query={"status": "revoked"}
    )
    assert [x["email"] for x in revoked.json["items"]] == ["p01@example.org"]
    bad = api.get(f"/events/{event.event_id}/invitations/", token=owner.token, query={"status": "bogus"})
    assert bad.status == 422


def test_detail_and_unknown_or_foreign_ids(api, owner, event, bus):
    r = _invite(api, owner, event, {"emails": ["a@example.org"]})
    inv = r.json["results"][0]["invitation"]
    d = api.get(f"/events/{event.event_id}/invitations/{inv}/", token=owner.token)
    assert d.status == 200
    assert (
        d.json["email"] == "a@example.org" and d.json["status"] == "sent" and d.json["mail_pending"] is True
    )
    other = make_event(owner.token)
    assert api.get(f"/events/{other.event_id}/invitations/{inv}/", token=owner.token).status == 404
    unknown = "0192b0a4-0000-4000-8000-000000000000"
    assert api.get(f"/events/{event.event_id}/invitations/{unknown}/", token=owner.token).status == 404
    assert api.delete(f"/events/{event.event_id}/invitations/{unknown}/", token=owner.token).status == 404
    assert (
        api.post(f"/events/{event.event_id}/invitations/{unknown}/resend/", token=owner.token).status == 404
    )
    assert api.get(f"/events/{event.event_id}/invitations/runs/{unknown}/", token=owner.token).status == 404
    mallory = verified_account(api)
    assert api.get(f"/events/{event.event_id}/invitations/{inv}/", token=mallory.token).status == 404
    assert api.delete(f"/events/{event.event_id}/invitations/{inv}/", token=mallory.token).status == 404
    assert api.post(f"/events/{event.event_id}/invitations/{inv}/resend/", token=mallory.token).status == 404
    assert api.get(f"/events/{event.event_id}/invitations/not-a-uuid/", token=owner.token).status == 422


def test_resend_is_limited_to_once_a_minute_and_mails_a_new_link(api, owner, event, bus):
    r = _invite(api, owner, event, {"emails": ["a@example.org"]})
    inv = r.json["results"][0]["invitation"]
    pump(bus, default_deps())
    url = f"/events/{event.event_id}/invitations/{inv}/resend/"
    too_soon = api.post(url, token=owner.token)
    assert too_soon.status == 429, too_soon.json
    assert 1 <= int(too_soon.headers["Retry-After"]) <= 60
    item = _items(event)[0]
    item.update(
        actions=[InvitationItem.last_mail_requested_at.set(datetime.now(UTC) - timedelta(seconds=61))]
    )
    again = api.post(url, token=owner.token)
    assert again.status == 200, again.json
    assert again.json["resend_count"] == 1 and again.json["mail_pending"] is True
    pump(bus, default_deps())
    assert _sent_to() == ["a@example.org", "a@example.org"]
    assert api.post(url, token=owner.token).status == 429
    assert [a.action for a in AuditItem.scan() if a.action == "lectern.invitation.resent"] == [
        "lectern.invitation.resent"
    ]


# ------------------------------------------------------------------ the invitee's link


def _invited(api, owner, event, bus, email="guest@example.org"):
    r = _invite(api, owner, event, {"emails": [email]})
    assert r.status == 201, r.json
    pump(bus, default_deps())
    return r.json["results"][0]["invitation"], _token(email)


def test_open_shows_the_event_and_the_locked_address(api, owner, event, bus):
    inv, token = _invited(api, owner, event, bus)
    r = api.get("/invitations/open/", query={"token": token})
    assert r.status == 200, r.json
    assert r.json["invitation"] == inv
    assert r.json["email"] == "guest@example.org" and r.json["email_locked"] is True
    assert r.json["event"]["uuid"] == event.event_id and r.json["event"]["title"] == event.title
    for bad in ("garbage", token[:-3], token + "A"):
        assert api.get("/invitations/open/", query={"token": bad}).status == 401
    assert api.get("/invitations/open/").status in (400, 422)


def test_register_through_the_link_locks_the_email_and_marks_registered(api, owner, event, bus):
    inv, token = _invited(api, owner, event, bus)
    url = f"/events/{event.event_id}/register/"
    wrong = api.post(url, {"email": "someone-else@example.org", "full_name": "G", "invitation_token": token})
    assert wrong.status == 422, wrong.json
    assert wrong.error_code == "validation_failed"
    assert wrong.json["error"]["details"][0]["code"] == "email_locked"
    assert "guest@example.org" in wrong.json["error"]["message"]
    ok = api.post(url, {"full_name": "Guest", "invitation_token": token})  # email pre-filled
    assert ok.status == 201, ok.json
    assert ok.json["email"] == "guest@example.org"
    d = api.get(f"/events/{event.event_id}/invitations/{inv}/", token=owner.token).json
    assert d["status"] == "registered" and d["registration"] == ok.json["uuid"]
    again = api.post(url, {"email": "GUEST@example.org", "full_name": "Guest", "invitation_token": token})
    assert again.status == 409
    other = make_event(owner.token)
    r = api.post(f"/events/{other.event_id}/register/", {"full_name": "G", "invitation_token": token})
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == "invitation_token"
    assert api.post(url, {"full_name": "G", "invitation_token": "forged"}).status == 401
    # Revoking a used invitation is refused.
    revoke = api.delete(f"/events/{event.event_id}/invitations/{inv}/", token=owner.token)
    assert revoke.status == 409 and revoke.error_code == "invitation_used"


def test_signed_in_registration_through_the_link_must_be_the_invited_account(api, owner, event, bus):
    invitee = verified_account(api)
    stranger = verified_account(api)
    _, token = _invited(api, owner, event, bus, email=invitee.email)
    url = f"/events/{event.event_id}/register/"
    r = api.post(url, {"full_name": "S", "invitation_token": token}, token=stranger.token)
    assert r.status == 422 and r.json["error"]["details"][0]["code"] == "email_locked"
    r = api.post(url, {"full_name": "I", "invitation_token": token}, token=invitee.token)
    assert r.status == 201, r.json
    assert r.json["email"] == invitee.email
    assert _items(event)[0].status == "registered"


def test_revoked_link_stops_working_with_a_clear_error(api, owner, event, bus):
    inv, token = _invited(api, owner, event, bus)
    assert api.delete(f"/events/{event.event_id}/invitations/{inv}/", token=owner.token).status == 204
    assert (
        api.delete(f"/events/{event.event_id}/invitations/{inv}/", token=owner.token).status == 204
    )  # idempotent
    r = api.get("/invitations/open/", query={"token": token})
    assert r.status == 409 and r.error_code == "invitation_revoked"
    assert "withdrawn" in r.json["error"]["message"]
    r = api.post(f"/events/{event.event_id}/register/", {"full_name": "G", "invitation_token": token})
    assert r.status == 409 and r.error_code == "invitation_revoked"
    assert api.post("/invitations/decline/", {"token": token}).error_code == "invitation_revoked"
    resend = api.post(f"/events/{event.event_id}/invitations/{inv}/resend/", token=owner.token)
    assert resend.status == 409 and resend.error_code == "invitation_revoked"
    assert [a.action for a in AuditItem.scan() if a.action == "lectern.invitation.revoked"] == [
        "lectern.invitation.revoked"
    ]


def test_decline_then_still_able_to_register(api, owner, event, bus):
    inv, token = _invited(api, owner, event, bus)
    r = api.post("/invitations/decline/", {"token": token})
    assert r.status == 200 and r.json["status"] == "declined"
    assert api.post("/invitations/decline/", {"token": token}).json["status"] == "declined"
    listed = api.get(
        f"/events/{event.event_id}/invitations/", token=owner.token, query={"status": "declined"}
    )
    assert [x["uuid"] for x in listed.json["items"]] == [inv]
    assert api.post("/invitations/decline/", {"token": "garbage"}).status == 401
    ok = api.post(f"/events/{event.event_id}/register/", {"full_name": "G", "invitation_token": token})
    assert ok.status == 201
    r = api.post("/invitations/decline/", {"token": token})
    assert r.status == 409 and r.error_code == "invitation_used"


def test_a_reinvited_address_invalidates_the_old_link(api, owner, event, bus):
    _, token = _invited(api, owner, event, bus)
    # A new invitation item for the same address (e.g. a concurrent request) replaces the old id.
    item = _items(event)[0]
    item.invitation_id = "0192b0a4-0000-4000-8000-000000000001"
    item.save()
    assert api.get("/invitations/open/", query={"token": token}).error_code == "invitation_revoked"


# ------------------------------------------------------------------ DynamoDB calls


@pytest.fixture
def count(monkeypatch):
    return dynamodb_calls(monkeypatch, functions.outreach.handler)


def test_500_invitations_cost_20_batch_writes_plus_a_constant(api, owner, event, bus, count):
    emails = [f"p{i:03d}@example.org" for i in range(500)]
    calls = count(lambda: _invite(api, owner, event, {"emails": emails}))
    assert calls["BatchWriteItem"] == 20  # ⌈500/25⌉
    # invitations + registration claims: 1000 keys / 100; suppression: 500 / 100
    assert calls["BatchGetItem"] == 15
    assert calls == {"GetItem": 2, "PutItem": 2, "BatchGetItem": 15, "BatchWriteItem": 20}, calls
    assert len(bus.events) == 20  # 25 addresses per mail event (2 PutEvents of 10)
    assert len(_items(event)) == 500


def test_calls_of_list_resend_revoke_and_open(api, owner, event, bus, count):
    r = _invite(api, owner, event, {"emails": ["a@example.org", "b@example.org"]})
    ids = [x["invitation"] for x in r.json["results"]]
    pump(bus, default_deps())
    assert count(lambda: api.get(f"/events/{event.event_id}/invitations/", token=owner.token)) == {
        "GetItem": 1,
        "Query": 1,
    }
    assert count(lambda: api.get(f"/events/{event.event_id}/invitations/{ids[0]}/", token=owner.token)) == {
        "Query": 1
    }
    for item in _items(event):
        item.update(
            actions=[InvitationItem.last_mail_requested_at.set(datetime.now(UTC) - timedelta(minutes=2))]
        )
    resend = count(
        lambda: api.post(f"/events/{event.event_id}/invitations/{ids[0]}/resend/", token=owner.token)
    )
    assert resend == {"Query": 1, "GetItem": 1, "TransactWriteItems": 1}, resend
    revoke = count(lambda: api.delete(f"/events/{event.event_id}/invitations/{ids[1]}/", token=owner.token))
    assert revoke == {"Query": 1, "TransactWriteItems": 1}, revoke
    token = _token("a@example.org")
    assert count(lambda: api.get("/invitations/open/", query={"token": token})) == {"BatchGetItem": 1}
