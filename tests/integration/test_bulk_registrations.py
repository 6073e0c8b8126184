"""Bulk add of registrations by the organiser: dry-run preview, per-person results through the
registration use case, no mail unless asked, and the per-organiser token bucket (spec-review M6)."""

from __future__ import annotations

import uuid

import pytest
from lectern.data.audit import AuditItem
from lectern.data.events import EventItem
from lectern.data.registrations import RegistrationEmailItem, RegistrationItem
from lectern.data.throttle import TokenBucketItem
from lectern.throttle import BULK_CAPACITY, BULK_COSTS

from tests.support.aws import sent_emails
from tests.support.builders import verified_account
from tests.support.events import make_event
from tests.support.throttle import pin_bulk_clock

FIELD_ID = str(uuid.uuid4())
FIELDS = [{"field_id": FIELD_ID, "label": "Licence number", "type": "text", "required": True, "position": 0}]


@pytest.fixture
def owner(api):
    return verified_account(api)


def person(n: int, **kw):
    return {"email": f"Person{n}@Example.org", "full_name": f"Person {n}", **kw}


def _bulk(api, owner, event, people, dry_run=False, **kw):
    query = {"dry_run": "true"} if dry_run else None
    return api.post(
        f"/events/{event.event_id}/registrations/",
        {"registrants": people, **kw},
        token=owner.token,
        query=query,
    )


def _regs(event) -> list[RegistrationItem]:
    pk, _ = RegistrationItem.event_index(event.event_id, "")
    return [i for i in RegistrationItem.gsi1.query(pk) if isinstance(i, RegistrationItem)]


def _counts(event) -> tuple[int, int]:
    e = EventItem.get(*EventItem.key(event.event_id), consistent_read=True)
    return int(e.confirmed_count), int(e.waitlisted_count)


def _reasons(r):
    return [(x["email"], x["added"], x["status"], x["reason"]) for x in r.json["results"]]


def _register(api, event, n):
    r = api.post(f"/events/{event.event_id}/register/", person(n))
    assert r.status == 201, r.json


# ------------------------------------------------------------------ dry run


def test_dry_run_predicts_every_outcome_and_writes_nothing(api, owner):
    event = make_event(owner.token, capacity=3, waitlist_enabled=False)
    _register(api, event, 1)  # 1 seat taken, 2 left
    people = [
        person(1),
        person(2),
        {"email": "not-an-email", "full_name": "X"},
        person(2),
        person(3),
        person(4),
    ]
    before_tokens = list(TokenBucketItem.scan())
    r = _bulk(api, owner, event, people, dry_run=True)
    assert r.status == 200, r.json
    assert _reasons(r) == [
        ("person1@example.org", False, None, "already_registered"),
        ("person2@example.org", True, "confirmed", None),
        ("not-an-email", False, None, "invalid_email"),
        ("person2@example.org", False, None, "duplicate_in_request"),
        ("person3@example.org", True, "confirmed", None),
        ("person4@example.org", False, None, "event_full"),
    ]
    assert (r.json["dry_run"], r.json["total"], r.json["added"], r.json["skipped"]) == (True, 6, 2, 4)
    assert [x["index"] for x in r.json["results"]] == list(range(6))
    assert len(_regs(event)) == 1 and _counts(event) == (1, 0)
    assert list(TokenBucketItem.scan()) == before_tokens  # a dry run costs nothing


def test_dry_run_with_a_waitlist_says_who_would_be_waitlisted(api, owner):
    event = make_event(owner.token, capacity=1, waitlist_enabled=True)
    r = _bulk(api, owner, event, [person(1), person(2)], dry_run=True)
    assert _reasons(r) == [
        ("person1@example.org", True, "confirmed", None),
        ("person2@example.org", True, "waitlisted", "would_be_waitlisted"),
    ]
    assert (r.json["confirmed"], r.json["waitlisted"]) == (1, 1)


def test_dry_run_checks_custom_answers(api, owner):
    event = make_event(owner.token, custom_fields=FIELDS)
    r = _bulk(api, owner, event, [person(1), person(2, custom_answers={FIELD_ID: "L-42"})], dry_run=True)
    assert _reasons(r) == [
        ("person1@example.org", False, None, "invalid_custom_answers"),
        ("person2@example.org", True, "confirmed", None),
    ]


def test_dry_run_is_exactly_what_the_real_run_does(api, owner):
    event = make_event(owner.token, capacity=2, waitlist_enabled=True)
    people = [person(1), person(2), person(1), {"email": "bad@", "full_name": "B"}, person(3)]
    dry = _bulk(api, owner, event, people, dry_run=True)
    real = _bulk(api, owner, event, people)
    assert real.status == 200, real.json
    strip = lambda r: [(x["email"], x["added"], x["status"]) for x in r.json["results"]]  # noqa: E731
    assert strip(dry) == strip(real)
    assert dry.json["added"] == real.json["added"] == 3


# ------------------------------------------------------------------ real run


def test_bulk_add_registers_each_person_through_the_use_case(api, owner):
    event = make_event(owner.token, capacity=2, waitlist_enabled=True, custom_fields=FIELDS)
    people = [person(n, custom_answers={FIELD_ID: f"L-{n}"}, organization_name="Acme") for n in (1, 2, 3)]
    r = _bulk(api, owner, event, people)
    assert r.status == 200, r.json
    assert _reasons(r) == [
        ("person1@example.org", True, "confirmed", None),
        ("person2@example.org", True, "confirmed", None),
        ("person3@example.org", True, "waitlisted", "waitlisted"),
    ]
    ids = [x["registration_id"] for x in r.json["results"]]
    stored = {i.registration_id: i for i in _regs(event)}
    assert set(stored) == set(ids)
    first = stored[ids[0]]
    assert (first.email, first.organization_name, first.user_id) == ("person1@example.org", "Acme", None)
    assert first.custom_answers[FIELD_ID]["value"] == "L-1"
    assert _counts(event) == (2, 1)
    assert RegistrationEmailItem.get(*RegistrationEmailItem.key(event.event_id, "person3@example.org"))
    actions = [a.action for a in AuditItem.query(f"AUDIT#event#{event.event_id}")]
    assert "lectern.registration.bulk_added" in actions


def test_bulk_added_people_get_no_mail_unless_notify(api, owner):
    event = make_event(owner.token)
    assert _bulk(api, owner, event, [person(1)]).status == 200
    assert sent_emails("person1@example.org") == []
    assert _bulk(api, owner, event, [person(2)], notify=True).status == 200
    assert len(sent_emails("person2@example.org")) == 1


def test_bulk_add_reports_people_already_registered_and_keeps_going(api, owner):
    event = make_event(owner.token)
    _register(api, event, 1)
    r = _bulk(api, owner, event, [person(1), person(2)])
    assert _reasons(r) == [
        ("person1@example.org", False, None, "already_registered"),
        ("person2@example.org", True, "confirmed", None),
    ]
    assert len(_regs(event)) == 2


def test_bulk_add_to_a_full_event_without_waitlist_reports_event_full(api, owner):
    event = make_event(owner.token, capacity=1)
    r = _bulk(api, owner, event, [person(1), person(2)])
    assert _reasons(r)[1] == ("person2@example.org", False, None, "event_full")
    assert _counts(event) == (1, 0)


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"status": "draft"}, 409, "registration_closed"),
        ({"status": "cancelled"}, 409, "registration_closed"),
        ({"price_minor": 1000}, 402, "payment_not_available"),
    ],
)
def test_bulk_add_to_an_event_nobody_can_join_is_refused_whole(api, owner, fields, status, code):
    event = make_event(owner.token, **fields)
    for dry in (True, False):
        r = _bulk(api, owner, event, [person(1)], dry_run=dry)
        assert (r.status, r.error_code) == (status, code), r.json
    assert _regs(event) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"registrants": []}, "registrants"),
        ({"registrants": [person(n) for n in range(501)]}, "registrants"),
        ({"registrants": [{"email": "a@b.org"}]}, "registrants.0.full_name"),
        ({"registrants": [{**person(1), "extra": 1}]}, "registrants.0.extra"),
        ({"registrants": [person(1)], "notify": "loud"}, "notify"),
    ],
)
def test_bad_bulk_bodies_are_422_naming_the_field(api, owner, body, field):
    event = make_event(owner.token)
    r = api.post(f"/events/{event.event_id}/registrations/", body, token=owner.token)
    assert r.status == 422, r.json
    assert field in {d["field"] for d in r.json["error"]["details"]}
    assert _regs(event) == []


def test_another_organisers_event_is_404_and_nothing_is_added(api, owner):
    event = make_event(owner.token)
    mallory = verified_account(api)
    for dry in (True, False):
        assert _bulk(api, mallory, event, [person(1)], dry_run=dry).status == 404
    assert _regs(event) == []


# ------------------------------------------------------------------ throttle


def test_bulk_add_is_throttled_per_organiser_with_retry_after(api, owner, monkeypatch):
    event = make_event(owner.token)
    pin_bulk_clock(monkeypatch)  # no refill while the loop runs
    for n in range(BULK_CAPACITY // BULK_COSTS["registrations.bulk_add"]):
        assert _bulk(api, owner, event, [person(n)]).status == 200
    r = _bulk(api, owner, event, [person(99)])
    assert r.status == 429 and r.error_code == "too_many_requests"
    assert 1 <= int(r.headers["Retry-After"]) <= 12
    assert "person99@example.org" not in {i.email for i in _regs(event)}
    # dry runs still work, and another organiser has their own bucket
    assert _bulk(api, owner, event, [person(99)], dry_run=True).status == 200
    other = verified_account(api)
    assert _bulk(api, other, make_event(other.token), [person(1)]).status == 200


def test_people_not_reached_within_the_time_budget_are_reported_not_processed(api, owner, monkeypatch):
    from lectern.registrations import bulk

    ticks = iter(range(0, 10_000, 15))  # every look at the clock is 15 s later
    monkeypatch.setattr(bulk, "_monotonic", lambda: next(ticks))
    event = make_event(owner.token)
    r = _bulk(api, owner, event, [person(1), person(2), person(3)])
    assert r.status == 200, r.json
    assert _reasons(r) == [
        ("person1@example.org", True, "confirmed", None),
        ("person2@example.org", False, None, "not_processed"),
        ("person3@example.org", False, None, "not_processed"),
    ]
    assert [i.email for i in _regs(event)] == ["person1@example.org"]
