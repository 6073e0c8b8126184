"""Discount codes (spec-review H4): the organiser's CRUD and the public validate endpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lectern.data.audit import AuditItem
from lectern.data.discounts import DiscountCodeIdItem, DiscountCodeItem

from tests.support.builders import verified_account
from tests.support.events import make_event


@pytest.fixture
def owner(api):
    return verified_account(api)


@pytest.fixture
def event(owner):
    return make_event(owner.token, price_minor=2000, currency="GBP")


def _iso(dt: datetime) -> str:
    return dt.isoformat()


def _create(api, owner, event, **kw):
    body = {"code": "Early-Bird", "kind": "percent", "amount": 25, **kw}
    return api.post(f"/events/{event.event_id}/discount-codes/", body, token=owner.token)


def _stored(event, code: str) -> DiscountCodeItem:
    return DiscountCodeItem.get(*DiscountCodeItem.key(event.event_id, code), consistent_read=True)


def _exists(event, code: str) -> bool:
    try:
        _stored(event, code)
        return True
    except DiscountCodeItem.DoesNotExist:
        return False


def _validate(api, event, code, ip=None):
    return api.post(f"/events/{event.event_id}/discount-codes/validate/", {"code": code}, ip=ip)


def _detail(r):
    return r.json["error"]["details"][0]


# ------------------------------------------------------------------ create


def test_given_an_owner_when_creating_a_percent_code_then_it_is_stored_with_the_text_as_written(
    api, owner, event
):
    r = _create(api, owner, event, max_uses=5)
    assert r.status == 201, r.json
    body = r.json
    assert body["code"] == "Early-Bird" and body["kind"] == "percent" and body["amount"] == 25
    assert body["max_uses"] == 5 and body["used_count"] == 0 and body["currency"] == "GBP"
    item = _stored(event, "EARLY-BIRD")
    assert (item.code, item.code_id, int(item.amount), int(item.max_uses)) == (
        "Early-Bird",
        body["uuid"],
        25,
        5,
    )
    ptr = DiscountCodeIdItem.get(*DiscountCodeIdItem.key(event.event_id, body["uuid"]))
    assert ptr.code == "Early-Bird"
    audit = list(AuditItem.query(f"AUDIT#discount_code#{body['uuid']}"))
    assert [a.action for a in audit] == ["lectern.discount_code.created"]


def test_given_a_fixed_code_then_the_amount_is_stored_in_minor_units(api, owner, event):
    r = _create(api, owner, event, code="TENOFF", kind="fixed", amount="7.50")
    assert r.status == 201, r.json
    assert r.json["amount"] == 7.5
    assert int(_stored(event, "TENOFF").amount) == 750


def test_given_an_existing_code_when_creating_it_again_in_another_case_then_409(api, owner, event):
    assert _create(api, owner, event).status == 201
    r = _create(api, owner, event, code="early-BIRD", amount=50)
    assert r.status == 409 and r.error_code == "duplicate_code"
    assert int(_stored(event, "EARLY-BIRD").amount) == 25
    assert len(api.get(f"/events/{event.event_id}/discount-codes/", token=owner.token).json["items"]) == 1


def test_the_same_code_on_two_events_is_fine(api, owner, event):
    other = make_event(owner.token)
    assert _create(api, owner, event).status == 201
    assert _create(api, owner, other).status == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "ab"}, "code"),
        ({"code": "x" * 33}, "code"),
        ({"code": "has space"}, "code"),
        ({"code": "ÉTÉ2026"}, "code"),
        ({"kind": "bogus"}, "kind"),
        ({"amount": 0}, "amount"),
        ({"amount": 101}, "amount"),
        ({"amount": 12.5}, "amount"),
        ({"kind": "fixed", "amount": "1.005"}, "amount"),
        ({"kind": "fixed", "amount": -3}, "amount"),
        ({"max_uses": 0}, "max_uses"),
        ({"valid_from": "2026-12-01T10:00:00"}, "valid_from"),
        ({"valid_from": "2026-12-02T10:00:00Z", "valid_until": "2026-12-01T10:00:00Z"}, "valid_until"),
        ({"valid_from": "2026-12-01T10:00:00Z", "valid_until": "2026-12-01T10:00:00Z"}, "valid_until"),
    ],
)
def test_invalid_codes_are_422_naming_the_field_and_nothing_is_stored(api, owner, event, body, field):
    r = _create(api, owner, event, **body)
    assert r.status == 422, r.json
    assert field in {d["field"] for d in r.json["error"]["details"]}
    assert (
        list(DiscountCodeItem.query(f"EVENT#{event.event_id}", DiscountCodeItem.sk.startswith("CODE"))) == []
    )


def test_another_organisers_event_is_404(api, owner, event):
    mallory = verified_account(api)
    r = _create(api, mallory, event)
    assert r.status == 404
    assert not _exists(event, "EARLY-BIRD")


# ------------------------------------------------------------------ list


def test_list_is_paginated_and_only_shows_this_events_codes(api, owner, event):
    other = make_event(owner.token)
    for c in ("AAA", "BBB", "CCC"):
        assert _create(api, owner, event, code=c).status == 201
    assert _create(api, owner, other, code="ZZZ").status == 201
    path = f"/events/{event.event_id}/discount-codes/"
    first = api.get(path, token=owner.token, query={"limit": "2"})
    assert first.status == 200 and [i["code"] for i in first.json["items"]] == ["AAA", "BBB"]
    second = api.get(path, token=owner.token, query={"limit": "2", "cursor": first.json["next_cursor"]})
    assert [i["code"] for i in second.json["items"]] == ["CCC"]
    assert second.json["next_cursor"] is None


def test_a_cursor_from_another_listing_is_refused(api, owner, event):
    other = make_event(owner.token)
    for c in ("AAA", "BBB"):
        _create(api, owner, event, code=c)
    cur = api.get(f"/events/{event.event_id}/discount-codes/", token=owner.token, query={"limit": "1"})
    r = api.get(
        f"/events/{other.event_id}/discount-codes/",
        token=owner.token,
        query={"cursor": cur.json["next_cursor"]},
    )
    assert r.status == 400 and r.error_code == "invalid_cursor"


# ------------------------------------------------------------------ update


def _patch(api, owner, event, code_id, body):
    return api.patch(f"/events/{event.event_id}/discount-codes/{code_id}/", body, token=owner.token)


def test_patch_changes_only_the_fields_sent(api, owner, event):
    cid = _create(api, owner, event, max_uses=5).json["uuid"]
    until = datetime.now(UTC) + timedelta(days=3)
    r = _patch(api, owner, event, cid, {"amount": 40, "valid_until": _iso(until)})
    assert r.status == 200, r.json
    assert r.json["amount"] == 40 and r.json["max_uses"] == 5 and r.json["code"] == "Early-Bird"
    item = _stored(event, "EARLY-BIRD")
    assert int(item.amount) == 40 and item.valid_until == until.replace(
        microsecond=item.valid_until.microsecond
    )


def test_patch_max_uses_null_makes_it_unlimited(api, owner, event):
    cid = _create(api, owner, event, max_uses=5).json["uuid"]
    r = _patch(api, owner, event, cid, {"max_uses": None})
    assert r.status == 200 and r.json["max_uses"] is None
    assert _stored(event, "EARLY-BIRD").max_uses is None


def test_patch_max_uses_below_used_count_is_409(api, owner, event):
    cid = _create(api, owner, event, max_uses=5).json["uuid"]
    item = _stored(event, "EARLY-BIRD")
    item.update(actions=[DiscountCodeItem.used_count.set(3)])
    r = _patch(api, owner, event, cid, {"max_uses": 2})
    assert r.status == 409 and r.error_code == "max_uses_below_used"
    assert int(_stored(event, "EARLY-BIRD").max_uses) == 5
    assert _patch(api, owner, event, cid, {"max_uses": 3}).status == 200


def test_patch_changing_kind_needs_a_valid_amount_for_it(api, owner, event):
    cid = _create(api, owner, event).json["uuid"]
    r = _patch(api, owner, event, cid, {"kind": "fixed"})
    assert r.status == 422 and _detail(r)["field"] == "amount"
    r = _patch(api, owner, event, cid, {"kind": "fixed", "amount": "150.00"})
    assert r.status == 200 and r.json["kind"] == "fixed" and r.json["amount"] == 150
    assert int(_stored(event, "EARLY-BIRD").amount) == 15000


def test_patch_window_is_checked_against_the_stored_other_end(api, owner, event):
    start = datetime.now(UTC) + timedelta(days=2)
    cid = _create(api, owner, event, valid_from=_iso(start)).json["uuid"]
    r = _patch(api, owner, event, cid, {"valid_until": _iso(start - timedelta(hours=1))})
    assert r.status == 422 and _detail(r)["field"] == "valid_until"


@pytest.mark.parametrize("field", ["code", "kind", "amount"])
def test_patch_null_for_a_required_field_is_422(api, owner, event, field):
    cid = _create(api, owner, event).json["uuid"]
    r = _patch(api, owner, event, cid, {field: None})
    assert r.status == 422 and field in {d["field"] for d in r.json["error"]["details"]}


def test_patch_new_code_text_moves_the_code_keeping_uuid_and_used_count(api, owner, event):
    cid = _create(api, owner, event, max_uses=9).json["uuid"]
    _stored(event, "EARLY-BIRD").update(actions=[DiscountCodeItem.used_count.set(4)])
    r = _patch(api, owner, event, cid, {"code": "Spring26"})
    assert r.status == 200, r.json
    assert r.json["uuid"] == cid and r.json["code"] == "Spring26" and r.json["used_count"] == 4
    assert not _exists(event, "EARLY-BIRD")
    new = _stored(event, "SPRING26")
    assert (new.code_id, int(new.used_count), int(new.max_uses)) == (cid, 4, 9)
    assert DiscountCodeIdItem.get(*DiscountCodeIdItem.key(event.event_id, cid)).code == "Spring26"
    # and it can still be edited and deleted through its uuid
    assert _patch(api, owner, event, cid, {"amount": 30}).json["amount"] == 30


def test_patch_only_the_case_of_the_code_keeps_the_key(api, owner, event):
    cid = _create(api, owner, event).json["uuid"]
    r = _patch(api, owner, event, cid, {"code": "EARLY-bird"})
    assert r.status == 200 and r.json["code"] == "EARLY-bird"
    assert _stored(event, "early-bird").code == "EARLY-bird"


def test_patch_to_an_existing_code_is_409_and_changes_nothing(api, owner, event):
    cid = _create(api, owner, event).json["uuid"]
    assert _create(api, owner, event, code="TAKEN").status == 201
    r = _patch(api, owner, event, cid, {"code": "taken"})
    assert r.status == 409 and r.error_code == "duplicate_code"
    assert _stored(event, "EARLY-BIRD").code_id == cid and _stored(event, "TAKEN").code_id != cid


def test_patch_an_unknown_code_or_through_another_event_is_404(api, owner, event):
    cid = _create(api, owner, event).json["uuid"]
    other = make_event(owner.token)
    assert _patch(api, owner, other, cid, {"amount": 30}).status == 404
    assert int(_stored(event, "EARLY-BIRD").amount) == 25


# ------------------------------------------------------------------ delete


def test_delete_removes_the_code_and_its_uuid(api, owner, event):
    cid = _create(api, owner, event).json["uuid"]
    r = api.delete(f"/events/{event.event_id}/discount-codes/{cid}/", token=owner.token)
    assert r.status == 204
    assert not _exists(event, "EARLY-BIRD")
    with pytest.raises(DiscountCodeIdItem.DoesNotExist):
        DiscountCodeIdItem.get(*DiscountCodeIdItem.key(event.event_id, cid))
    assert api.delete(f"/events/{event.event_id}/discount-codes/{cid}/", token=owner.token).status == 404
    # the text is free again
    assert _create(api, owner, event).status == 201


def test_delete_by_another_organiser_is_404_and_keeps_the_code(api, owner, event):
    cid = _create(api, owner, event).json["uuid"]
    mallory = verified_account(api)
    assert api.delete(f"/events/{event.event_id}/discount-codes/{cid}/", token=mallory.token).status == 404
    assert _exists(event, "EARLY-BIRD")


# ------------------------------------------------------------------ validate (public)


def test_validate_a_percent_code_shows_the_discounted_price(api, owner, event):
    _create(api, owner, event)
    r = _validate(api, event, "  early-bird ")
    assert r.status == 200, r.json
    assert r.json == {
        "valid": True,
        "code": "Early-Bird",
        "kind": "percent",
        "amount": 25,
        "price": 20.0,
        "discounted_price": 15.0,
        "currency": "GBP",
    }


def test_validate_a_fixed_code_above_the_price_is_free(api, owner, event):
    _create(api, owner, event, code="BIG", kind="fixed", amount="25.00")
    r = _validate(api, event, "big")
    assert r.status == 200 and r.json["discounted_price"] == 0 and r.json["amount"] == 25


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"valid_from": _iso(datetime.now(UTC) + timedelta(days=1))}, "not_yet_valid"),
        (
            {
                "valid_from": _iso(datetime.now(UTC) - timedelta(days=2)),
                "valid_until": _iso(datetime.now(UTC) - timedelta(days=1)),
            },
            "expired",
        ),
    ],
)
def test_validate_outside_the_window_is_422_with_the_reason(api, owner, event, kw, reason):
    _create(api, owner, event, **kw)
    r = _validate(api, event, "EARLY-BIRD")
    assert r.status == 422
    assert _detail(r)["field"] == "code" and _detail(r)["code"] == reason


def test_validate_an_exhausted_code_is_422(api, owner, event):
    _create(api, owner, event, max_uses=2)
    _stored(event, "EARLY-BIRD").update(actions=[DiscountCodeItem.used_count.set(2)])
    r = _validate(api, event, "EARLY-BIRD")
    assert r.status == 422 and _detail(r) | {"message": ""} == {
        "field": "code",
        "code": "exhausted",
        "message": "",
    }


def test_validate_does_not_leak_another_events_codes(api, owner, event):
    other = make_event(owner.token)
    _create(api, owner, other, code="SECRET")
    r = _validate(api, event, "SECRET")
    assert r.status == 422 and _detail(r)["code"] == "unknown_code"


@pytest.mark.parametrize("status", ["draft"])
def test_validate_on_an_unpublished_event_is_404(api, owner, status):
    ev = make_event(owner.token, status=status)
    _create(api, owner, ev)
    assert _validate(api, ev, "EARLY-BIRD").status == 404


def test_validate_on_an_unknown_event_is_404(api):
    import uuid

    r = api.post(f"/events/{uuid.uuid4()}/discount-codes/validate/", {"code": "X"})
    assert r.status == 404


def test_validate_needs_no_token(api, owner, event):
    _create(api, owner, event)
    assert _validate(api, event, "EARLY-BIRD").status == 200


def test_guessing_codes_is_throttled_per_ip_with_retry_after(api, owner, event):
    _create(api, owner, event)
    for i in range(20):
        assert _validate(api, event, f"GUESS{i}", ip="198.51.100.9").status == 422
    r = _validate(api, event, "EARLY-BIRD", ip="198.51.100.9")
    assert r.status == 429 and r.error_code == "too_many_requests"
    assert 0 < int(r.headers["Retry-After"]) <= 15 * 60
    # another address is not affected
    assert _validate(api, event, "EARLY-BIRD", ip="198.51.100.10").status == 200


def test_successful_validations_do_not_count_towards_the_throttle(api, owner, event):
    _create(api, owner, event)
    for _ in range(25):
        assert _validate(api, event, "EARLY-BIRD", ip="198.51.100.11").status == 200


# ------------------------------------------------------------------ with registration


def _register(api, event, email, code=None):
    body = {"email": email, "full_name": "Ada Lovelace", **({"discount_code": code} if code else {})}
    return api.post(f"/events/{event.event_id}/register/", body)


def test_a_100_percent_code_makes_a_priced_event_free_and_counts_one_use(api, owner, event):
    _create(api, owner, event, amount=100, max_uses=2)
    r = _register(api, event, "a@example.org", "early-bird")
    assert r.status == 201, r.json
    assert (r.json["discount_code_used"], r.json["amount_paid"]) == ("Early-Bird", 0)
    assert int(_stored(event, "EARLY-BIRD").used_count) == 1
    listed = api.get(f"/events/{event.event_id}/discount-codes/", token=owner.token).json["items"]
    assert listed[0]["used_count"] == 1


def test_an_exhausted_code_refuses_the_registration_naming_discount_code(api, owner, event):
    _create(api, owner, event, amount=100, max_uses=1)
    assert _register(api, event, "a@example.org", "EARLY-BIRD").status == 201
    r = _register(api, event, "b@example.org", "EARLY-BIRD")
    assert r.status == 422 and _detail(r)["field"] == "discount_code" and _detail(r)["code"] == "exhausted"
    assert int(_stored(event, "EARLY-BIRD").used_count) == 1


def test_deleting_a_used_code_keeps_the_registrations_that_used_it(api, owner, event):
    cid = _create(api, owner, event, amount=100).json["uuid"]
    reg = _register(api, event, "a@example.org", "EARLY-BIRD").json
    assert api.delete(f"/events/{event.event_id}/discount-codes/{cid}/", token=owner.token).status == 204
    r = api.get(f"/events/{event.event_id}/registrations/{reg['uuid']}/", token=owner.token)
    assert (
        r.status == 200 and r.json["discount_code_used"] == "Early-Bird" and r.json["status"] == "confirmed"
    )
    assert (
        _register(api, event, "b@example.org", "EARLY-BIRD").json["error"]["details"][0]["code"]
        == "unknown_code"
    )


def test_renaming_a_code_keeps_counting_its_uses(api, owner, event):
    cid = _create(api, owner, event, amount=100, max_uses=2).json["uuid"]
    assert _register(api, event, "a@example.org", "EARLY-BIRD").status == 201
    assert _patch(api, owner, event, cid, {"code": "LATE-BIRD"}).json["used_count"] == 1
    assert _register(api, event, "b@example.org", "late-bird").status == 201
    r = _register(api, event, "c@example.org", "late-bird")
    assert r.status == 422 and _detail(r)["code"] == "exhausted"
    assert _register(api, event, "d@example.org", "early-bird").status == 422
