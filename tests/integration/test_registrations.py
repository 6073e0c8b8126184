"""Registering for an event (guest or signed in), its rules, and the organiser's and attendee's
views of registrations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lectern.data.audit import AuditItem
from lectern.data.discounts import DiscountCodeItem
from lectern.data.events import EventItem
from lectern.data.registrations import RegistrationEmailItem, RegistrationItem
from lectern.ids import new_id

from tests.support.aws import sent_emails
from tests.support.builders import verified_account
from tests.support.events import make_event, user_id_of


@pytest.fixture
def organiser(api):
    return verified_account(api)


def _body(email="guest@example.org", **kw):
    return {"email": email, "full_name": "Grace Hopper", **kw}


def _register(api, event, body=None, **kw):
    return api.post(f"/events/{event.event_id}/register/", body if body is not None else _body(), **kw)


def _event(event_id):
    return EventItem.get(*EventItem.key(event_id), consistent_read=True)


def _reg(registration_id):
    return RegistrationItem.get(*RegistrationItem.key(registration_id), consistent_read=True)


def _no_registrations(event_id):
    return list(RegistrationItem.gsi1.query(f"EVENT#{event_id}#REGS")) == []


# ---------------------------------------------------------------- happy paths


def test_given_a_free_published_event_when_a_guest_registers_then_confirmed_and_stored(api, organiser):
    event = make_event(organiser.token)
    r = _register(api, event, _body(professional_title="Engineer", organization_name="Navy"))
    assert r.status == 201, r.json
    body = r.json
    assert body["status"] == "confirmed" and body["waitlist_position"] is None
    assert body["email"] == "guest@example.org" and body["full_name"] == "Grace Hopper"
    assert body["professional_title"] == "Engineer" and body["organization_name"] == "Navy"
    assert body["user"] is None and body["event"] == event.event_id
    assert body["amount_paid"] == 0 and body["discount_code_used"] is None
    for field in (
        "first_join_at",
        "last_leave_at",
        "total_attendance_minutes",
        "attendance_eligible",
        "attendance_override",
        "attendance_override_by",
        "attendance_override_reason",
        "promoted_from_waitlist_at",
        "custom_answers",
    ):
        assert field in body
    stored = _reg(body["uuid"])
    assert stored.status == "confirmed" and stored.owner_id == event.owner_id and stored.user_id is None
    assert (stored.gsi1pk, stored.gsi2pk, stored.gsi3pk) == (
        f"EVENT#{event.event_id}#REGS",
        "GUEST#guest@example.org#REGS",
        None,
    )
    assert (
        RegistrationEmailItem.get(
            *RegistrationEmailItem.key(event.event_id, "guest@example.org")
        ).registration_id
        == body["uuid"]
    )
    assert _event(event.event_id).confirmed_count == 1
    mail = sent_emails("guest@example.org")[-1]
    assert "registered" in mail["subject"] and event.title in mail["subject"]
    assert [a.action for a in AuditItem.query(f"AUDIT#registration#{body['uuid']}")] == [
        "lectern.registration.confirmed"
    ]


def test_confirmation_mail_carries_the_event_as_an_ics_attachment(api, organiser):
    from email import message_from_bytes
    from email.policy import default

    from lectern.config import get_settings
    from moto.ses.models import ses_backends

    event = make_event(organiser.token)
    assert _register(api, event).status == 201
    raw = [
        m.raw_data
        for m in ses_backends["123456789012"][get_settings().region].sent_messages
        if "guest@example.org" in str(getattr(m, "raw_data", ""))
    ][-1]
    msg = message_from_bytes(raw.encode() if isinstance(raw, str) else raw, policy=default)
    parts = [(p.get_content_type(), p.get_filename()) for p in msg.walk()]
    assert ("text/calendar", "event.ics") in parts


def test_given_a_signed_in_user_when_registering_without_email_then_the_account_email_is_used(api, organiser):
    me = verified_account(api)
    event = make_event(organiser.token)
    r = _register(api, event, {"full_name": "Me"}, token=me.token)
    assert r.status == 201, r.json
    assert r.json["email"] == me.email and r.json["user"] == user_id_of(me.token)
    stored = _reg(r.json["uuid"])
    assert stored.gsi2pk == f"USER#{user_id_of(me.token)}#REGS"
    mine = api.get("/users/me/registrations/", token=me.token).json["items"]
    assert [i["uuid"] for i in mine] == [r.json["uuid"]]
    assert mine[0]["event_title"] == event.title and mine[0]["event_starts_at"]


def test_given_a_signed_in_user_when_the_email_differs_from_the_account_then_422(api, organiser):
    me = verified_account(api)
    event = make_event(organiser.token)
    r = _register(api, event, _body("someone.else@example.org"), token=me.token)
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == "email"
    assert _no_registrations(event.event_id)


def test_given_the_same_email_upper_cased_when_signed_in_then_accepted(api, organiser):
    me = verified_account(api)
    event = make_event(organiser.token)
    r = _register(api, event, _body(me.email.upper()), token=me.token)
    assert r.status == 201 and r.json["email"] == me.email


@pytest.mark.parametrize("bad", ["garbage", "expired", "revoked"])
def test_given_an_invalid_token_when_registering_then_401_not_a_guest_registration(api, organiser, bad):
    import jwt
    from lectern import secrets

    me = verified_account(api)
    event = make_event(organiser.token)
    token = "garbage"
    if bad == "expired":
        claims = jwt.decode(me.token, options={"verify_signature": False})
        claims["exp"] = int((datetime.now(UTC) - timedelta(minutes=1)).timestamp())
        token = jwt.encode(claims, secrets.derived_key("jwt"), algorithm="HS256")
    elif bad == "revoked":
        assert api.post("/auth/logout/", {}, token=me.token).status in (200, 204)
        token = me.token
    r = _register(api, event, _body(), token=token)
    assert r.status == 401, r.json
    assert _no_registrations(event.event_id)


def test_given_a_guest_without_email_then_422_naming_email(api, organiser):
    event = make_event(organiser.token)
    r = _register(api, event, {"full_name": "No Mail"})
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == "email"


# ---------------------------------------------------------------- event state and window


@pytest.mark.parametrize("status", ["draft"])
def test_given_an_unpublished_event_then_404(api, organiser, status):
    event = make_event(organiser.token, status=status)
    r = _register(api, event)
    assert r.status == 404 and _no_registrations(event.event_id)


def test_given_an_unknown_event_then_404(api):
    r = api.post(f"/events/{new_id()}/register/", _body())
    assert r.status == 404


@pytest.mark.parametrize("status", ["cancelled", "completed", "live"])
def test_given_a_closed_event_then_409_registration_closed(api, organiser, status):
    event = make_event(organiser.token, status=status)
    r = _register(api, event)
    assert r.status == 409 and r.error_code == "registration_closed"
    assert _no_registrations(event.event_id)


def test_given_registration_not_yet_open_then_409_with_the_opening_time(api, organiser):
    opens = datetime.now(UTC) + timedelta(days=1)
    event = make_event(organiser.token, registration_opens_at=opens)
    r = _register(api, event)
    assert r.status == 409 and r.error_code == "registration_not_open"
    assert r.json["error"]["details"][0]["registration_opens_at"] == opens.isoformat()
    assert _no_registrations(event.event_id)


def test_given_registration_closed_then_409_with_the_closing_time(api, organiser):
    closes = datetime.now(UTC) - timedelta(minutes=1)
    event = make_event(organiser.token, registration_closes_at=closes)
    r = _register(api, event)
    assert r.status == 409 and r.error_code == "registration_closed"
    assert {"registration_closes_at": closes.isoformat()} in r.json["error"]["details"]


def test_given_an_open_window_then_registration_is_accepted(api, organiser):
    now = datetime.now(UTC)
    event = make_event(
        organiser.token,
        registration_opens_at=now - timedelta(days=1),
        registration_closes_at=now + timedelta(days=1),
    )
    assert _register(api, event).status == 201


# ---------------------------------------------------------------- one active registration per email


def test_given_an_active_registration_when_the_same_email_registers_again_then_409(api, organiser):
    event = make_event(organiser.token)
    assert _register(api, event).status == 201
    again = _register(api, event, _body("GUEST@example.org"))
    assert again.status == 409 and again.error_code == "already_registered"
    assert len(list(RegistrationItem.gsi1.query(f"EVENT#{event.event_id}#REGS"))) == 1
    assert _event(event.event_id).confirmed_count == 1


def test_the_same_email_may_register_for_two_events(api, organiser):
    a, b = make_event(organiser.token), make_event(organiser.token)
    assert _register(api, a).status == 201 and _register(api, b).status == 201


# ---------------------------------------------------------------- custom answers

FIELD_ID = "0190a7c4-0000-7000-8000-000000000001"


def _with_fields(organiser, **kw):
    fields = [
        {
            "field_id": FIELD_ID,
            "label": "Dietary needs",
            "type": "text",
            "required": True,
            "options": [],
            "position": 0,
        }
    ]
    return make_event(organiser.token, custom_fields=fields, **kw)


def test_given_custom_fields_when_answered_then_stored_with_their_label(api, organiser):
    event = _with_fields(organiser)
    r = _register(api, event, _body(custom_answers={FIELD_ID: "Vegetarian"}))
    assert r.status == 201, r.json
    assert r.json["custom_answers"][FIELD_ID]["value"] == "Vegetarian"
    assert r.json["custom_answers"][FIELD_ID]["label"] == "Dietary needs"
    assert dict(_reg(r.json["uuid"]).custom_answers)[FIELD_ID]["value"] == "Vegetarian"


def test_given_a_required_field_unanswered_then_422_naming_it(api, organiser):
    event = _with_fields(organiser)
    r = _register(api, event)
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == f"custom_answers.{FIELD_ID}"
    assert _no_registrations(event.event_id)


def test_given_an_answer_to_an_unknown_field_then_422(api, organiser):
    event = make_event(organiser.token)
    r = _register(api, event, _body(custom_answers={new_id(): "x"}))
    assert r.status == 422 and r.json["error"]["details"][0]["field"].startswith("custom_answers.")


# ---------------------------------------------------------------- price and discount codes


def _code(event, code="FREE", kind="percent", amount=100, **kw):
    now = datetime.now(UTC)
    item = DiscountCodeItem(
        *DiscountCodeItem.key(event.event_id, code),
        code_id=new_id(),
        event_id=event.event_id,
        code=code,
        kind=kind,
        amount=amount,
        created_at=now,
        updated_at=now,
        **kw,
    )
    item.save()
    return item


def test_given_a_paid_event_then_402_payment_not_available_and_nothing_stored(api, organiser):
    event = make_event(organiser.token, price_minor=2500)
    r = _register(api, event)
    assert r.status == 402 and r.error_code == "payment_not_available"
    assert _no_registrations(event.event_id) and _event(event.event_id).confirmed_count == 0


def test_given_a_paid_event_and_a_full_discount_code_then_confirmed_free_and_the_use_counted(api, organiser):
    event = make_event(organiser.token, price_minor=2500)
    _code(event, "Free100", max_uses=5)
    r = _register(api, event, _body(discount_code="free100"))
    assert r.status == 201, r.json
    assert r.json["amount_paid"] == 0 and r.json["discount_code_used"] == "Free100"
    assert DiscountCodeItem.get(*DiscountCodeItem.key(event.event_id, "FREE100")).used_count == 1


def test_given_a_partial_discount_then_still_402(api, organiser):
    event = make_event(organiser.token, price_minor=2500)
    _code(event, "HALF", amount=50)
    r = _register(api, event, _body(discount_code="HALF"))
    assert r.status == 402
    assert DiscountCodeItem.get(*DiscountCodeItem.key(event.event_id, "HALF")).used_count == 0


def test_given_an_unknown_code_then_422_naming_discount_code(api, organiser):
    event = make_event(organiser.token, price_minor=2500)
    r = _register(api, event, _body(discount_code="NOPE"))
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == "discount_code"


def test_given_an_exhausted_code_then_422_and_nothing_stored(api, organiser):
    event = make_event(organiser.token, price_minor=2500)
    _code(event, "ONCE", max_uses=1)
    assert _register(api, event, _body("a@example.org", discount_code="ONCE")).status == 201
    r = _register(api, event, _body("b@example.org", discount_code="ONCE"))
    assert r.status == 422 and r.json["error"]["details"][0]["code"] == "exhausted"
    assert DiscountCodeItem.get(*DiscountCodeItem.key(event.event_id, "ONCE")).used_count == 1
    assert _event(event.event_id).confirmed_count == 1


def test_given_an_expired_code_then_422(api, organiser):
    event = make_event(organiser.token, price_minor=2500)
    _code(event, "OLD", valid_until=datetime.now(UTC) - timedelta(days=1))
    r = _register(api, event, _body(discount_code="OLD"))
    assert r.status == 422 and r.json["error"]["details"][0]["code"] == "expired"


def test_given_a_code_that_ran_out_between_read_and_write_then_422_and_nothing_stored(
    api, organiser, monkeypatch
):
    """The use condition inside the transaction is what holds: simulate the last use being
    taken by someone else after this request read the code."""
    from lectern.registrations import service

    event = make_event(organiser.token, price_minor=2500)
    _code(event, "LAST", max_uses=1)
    real = service.pricing.quote_for_code

    def quote_then_someone_else_uses_it(*a, **kw):
        q = real(*a, **kw)
        item = DiscountCodeItem.get(*DiscountCodeItem.key(event.event_id, "LAST"))
        item.update(actions=[DiscountCodeItem.used_count.add(1)])
        return q

    monkeypatch.setattr(service.pricing, "quote_for_code", quote_then_someone_else_uses_it)
    r = _register(api, event, _body(discount_code="LAST"))
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == "discount_code"
    assert _no_registrations(event.event_id)
    assert DiscountCodeItem.get(*DiscountCodeItem.key(event.event_id, "LAST")).used_count == 1


# ---------------------------------------------------------------- organiser views


def test_organiser_lists_filters_and_pages_registrations(api, organiser):
    event = make_event(organiser.token, capacity=2, waitlist_enabled=True)
    ids = [_register(api, event, _body(f"p{i}@example.org")).json["uuid"] for i in range(3)]
    path = f"/events/{event.event_id}/registrations/"
    all_ = api.get(path, token=organiser.token).json
    assert [i["uuid"] for i in all_["items"]] == ids and all_["next_cursor"] is None
    waiting = api.get(path, token=organiser.token, query={"status": "waitlisted"}).json["items"]
    assert [i["uuid"] for i in waiting] == [ids[2]]
    by_email = api.get(path, token=organiser.token, query={"email": "P1@example.org"}).json["items"]
    assert [i["uuid"] for i in by_email] == [ids[1]]
    first = api.get(path, token=organiser.token, query={"limit": "2"}).json
    second = api.get(path, token=organiser.token, query={"limit": "2", "cursor": first["next_cursor"]}).json
    assert [i["uuid"] for i in first["items"] + second["items"]] == ids
    bad = api.get(path, token=organiser.token, query={"status": "nope"})
    assert bad.status == 422


def test_organiser_reads_one_registration_with_its_waitlist_position(api, organiser):
    event = make_event(organiser.token, capacity=1, waitlist_enabled=True)
    _register(api, event, _body("a@example.org"))
    w = _register(api, event, _body("b@example.org")).json
    got = api.get(f"/events/{event.event_id}/registrations/{w['uuid']}/", token=organiser.token)
    assert got.status == 200 and got.json["status"] == "waitlisted" and got.json["waitlist_position"] == 1


def test_another_organiser_sees_404_for_the_event_and_its_registrations(api, organiser):
    event = make_event(organiser.token)
    rid = _register(api, event).json["uuid"]
    mallory = verified_account(api)
    assert api.get(f"/events/{event.event_id}/registrations/", token=mallory.token).status == 404
    assert api.get(f"/events/{event.event_id}/registrations/{rid}/", token=mallory.token).status == 404
    other = make_event(organiser.token)
    # the right owner but the wrong event in the path
    assert api.get(f"/events/{other.event_id}/registrations/{rid}/", token=organiser.token).status == 404


def test_organiser_corrects_details_and_answers_but_not_status(api, organiser):
    event = _with_fields(organiser)
    rid = _register(api, event, _body(custom_answers={FIELD_ID: "Vegan"})).json["uuid"]
    path = f"/events/{event.event_id}/registrations/{rid}/"
    r = api.patch(
        path, {"full_name": "Grace B. Hopper", "custom_answers": {FIELD_ID: "None"}}, token=organiser.token
    )
    assert r.status == 200, r.json
    assert r.json["full_name"] == "Grace B. Hopper" and r.json["custom_answers"][FIELD_ID]["value"] == "None"
    stored = _reg(rid)
    assert stored.full_name == "Grace B. Hopper" and stored.status == "confirmed"
    assert api.patch(path, {"status": "cancelled"}, token=organiser.token).status == 422
    bad = api.patch(path, {"custom_answers": {}}, token=organiser.token)
    assert bad.status == 422 and dict(_reg(rid).custom_answers)[FIELD_ID]["value"] == "None"


# ---------------------------------------------------------------- attendee views


def test_my_registrations_are_newest_first_and_only_mine(api, organiser):
    me = verified_account(api)
    a, b = make_event(organiser.token, title="First"), make_event(organiser.token, title="Second")
    r1 = _register(api, a, {"full_name": "Me"}, token=me.token).json["uuid"]
    r2 = _register(api, b, {"full_name": "Me"}, token=me.token).json["uuid"]
    _register(api, a, _body("stranger@example.org"))
    items = api.get("/users/me/registrations/", token=me.token).json["items"]
    assert [(i["uuid"], i["event_title"]) for i in items] == [(r2, "Second"), (r1, "First")]
    one = api.get(f"/users/me/registrations/{r1}/", token=me.token)
    assert one.status == 200 and one.json["uuid"] == r1
    other = verified_account(api)
    assert api.get(f"/users/me/registrations/{r1}/", token=other.token).status == 404


def test_a_guest_registration_is_not_visible_to_an_account_with_another_email(api, organiser):
    event = make_event(organiser.token)
    rid = _register(api, event).json["uuid"]
    me = verified_account(api)
    assert api.get(f"/users/me/registrations/{rid}/", token=me.token).status == 404
    assert api.post(f"/users/me/registrations/{rid}/cancel/", {}, token=me.token).status == 404


# ---------------------------------------------------------------- contract and domain events


def test_register_is_optionally_authenticated_in_the_openapi_document():
    from tools.openapi import build

    op = build()["paths"]["/events/{event_id}/register/"]["post"]
    assert op["security"] == [{}, {"bearerAuth": []}]


def test_registering_publishes_confirmed_then_waitlisted(api, organiser):
    from lectern.deps import Deps
    from lectern.integrations.bus import MemoryPublisher
    from lectern.integrations.mail import MemoryMailer
    from lectern.registrations import service
    from lectern.request import RequestMeta

    event = make_event(organiser.token, capacity=1, waitlist_enabled=True)
    deps = Deps(mailer=MemoryMailer(), bus=MemoryPublisher())
    for email in ("a@example.org", "b@example.org"):
        service.register(
            event_id=event.event_id,
            applicant=service.Applicant(email=email, full_name="P"),
            user_id=None,
            meta=RequestMeta(correlation_id="c-1"),
            deps=deps,
        )
    assert [e.detail_type for e in deps.bus.events] == [
        "lectern.registration.confirmed",
        "lectern.registration.waitlisted",
    ]
    assert all(e.data["event_id"] == event.event_id and e.correlation_id == "c-1" for e in deps.bus.events)
    assert [m.to for m in deps.mailer.sent] == ["a@example.org", "b@example.org"]
    assert "number 1" in deps.mailer.sent[1].text


def test_an_attendee_cancelling_a_confirmed_registration_frees_the_seat(api, organiser):
    me = verified_account(api)
    event = make_event(organiser.token, capacity=1)
    rid = _register(api, event, {"full_name": "Me"}, token=me.token).json["uuid"]
    r = api.post(f"/users/me/registrations/{rid}/cancel/", {}, token=me.token)
    assert r.status == 200 and r.json["cancelled_by"] == user_id_of(me.token)
    assert _event(event.event_id).confirmed_count == 0
    assert _register(api, event, _body("next@example.org")).json["status"] == "confirmed"
