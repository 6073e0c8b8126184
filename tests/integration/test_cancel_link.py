"""Cancelling a registration with the link in its mail: no account needed (a guest's way out)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lectern import signing
from lectern.data.registrations import RegistrationEmailItem, RegistrationItem
from lectern.registrations.emails import CANCEL_PURPOSE

from tests.support.aws import last_token, sent_emails
from tests.support.builders import verified_account
from tests.support.events import make_event


def _reg(rid):
    return RegistrationItem.get(*RegistrationItem.key(rid), consistent_read=True)


def test_a_guest_cancels_with_the_link_from_the_confirmation_mail(api):
    organiser = verified_account(api)
    event = make_event(organiser.token, capacity=1, waitlist_enabled=True)
    first = api.post(f"/events/{event.event_id}/register/", {"email": "gia@example.org", "full_name": "Gia"})
    second = api.post(f"/events/{event.event_id}/register/", {"email": "hal@example.org", "full_name": "Hal"})
    assert (first.status, second.json["status"]) == (201, "waitlisted")
    assert "Cancel your registration" in sent_emails("gia@example.org")[-1]["text"]

    r = api.post("/registrations/cancel/", {"token": last_token("gia@example.org")})
    assert r.status == 200, r.json
    assert r.json["status"] == "cancelled"
    item = _reg(first.json["uuid"])
    assert item.status == "cancelled" and item.cancelled_by == "registrant_link"
    assert _reg(second.json["uuid"]).status == "confirmed"  # the seat went to the waitlist
    assert "cancel" in sent_emails("hal@example.org")[-1]["text"].lower()  # promoted mail has a link too

    again = api.post("/registrations/cancel/", {"token": last_token("gia@example.org")})
    assert again.status == 409 and again.error_code == "already_cancelled"


def test_forged_expired_and_foreign_tokens_change_nothing(api):
    organiser = verified_account(api)
    event = make_event(organiser.token)
    r = api.post(f"/events/{event.event_id}/register/", {"email": "ivo@example.org", "full_name": "Ivo"})
    rid = r.json["uuid"]
    good = last_token("ivo@example.org")
    expired = signing.issue(CANCEL_PURPOSE, {"r": rid}, datetime.now(UTC) - timedelta(seconds=1))
    other_purpose = signing.issue("certificate-download", {"r": rid}, datetime.now(UTC) + timedelta(days=1))
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    for bad in (expired, other_purpose, tampered, "garbage", "x" * 500):
        reply = api.post("/registrations/cancel/", {"token": bad})
        assert reply.status == 401 and reply.error_code == "invalid_token", (bad, reply.json)
    assert api.post("/registrations/cancel/", {}).status == 422
    assert api.post("/registrations/cancel/", {"token": ""}).status == 422
    assert _reg(rid).status == "confirmed"
    assert RegistrationEmailItem.get(*RegistrationEmailItem.key(event.event_id, "ivo@example.org"))
