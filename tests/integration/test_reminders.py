"""An event's reminders (PRODUCT.md §3, issue 6): the organiser's CRUD and its rules, rescheduling
when the event moves or is cancelled, and the sweep — each reminder to each confirmed registrant
exactly once, even when the sweep runs twice or overlaps itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lectern.data.audit import AuditItem
from lectern.data.events import EventItem
from lectern.data.registrations import RegistrationItem
from lectern.data.reminders import ReminderDeliveryItem, ReminderItem
from lectern.deps import Deps
from lectern.ids import new_id
from lectern.integrations.bus import DomainEvent
from lectern.integrations.mail import MemoryMailer
from lectern.integrations.suppression import suppress
from lectern.reminders import sweep as sweeper
from lectern.reminders.service import MAX_OFFSET_MINUTES, MAX_REMINDERS_PER_EVENT

from functions.workers import reminders as worker
from tests.support.builders import verified_account
from tests.support.events import make_event

DAY = 24 * 60


@pytest.fixture
def owner(api):
    return verified_account(api)


@pytest.fixture
def event(owner):
    return make_event(owner.token, zoom_join_url="https://zoom.example/j/event")


def _url(event, reminder_id: str | None = None) -> str:
    base = f"/events/{event.event_id}/reminders/"
    return base + (f"{reminder_id}/" if reminder_id else "")


def _create(api, owner, event, **kw):
    body = {"anchor": "before_start", "offset_minutes": DAY, **kw}
    return api.post(_url(event), body, token=owner.token)


def _item(event, reminder_id) -> ReminderItem:
    return ReminderItem.get(*ReminderItem.key(event.event_id, reminder_id), consistent_read=True)


def _register(api, event, email, name="Ada Lovelace") -> str:
    r = api.post(f"/events/{event.event_id}/register/", {"email": email, "full_name": name})
    assert r.status == 201 and r.json["status"] == "confirmed", r.json
    return r.json["uuid"]


def _deps(mailer=None) -> Deps:
    return Deps(mailer=mailer or MemoryMailer())


def _bus(kind, event, **data):
    e = DomainEvent(kind, {"event_id": event.event_id, "owner_id": event.owner_id, **data}, datetime.now(UTC))
    return {"source": "lectern", "detail-type": kind, "detail": e.detail()}


def _table_keys():
    from lectern.data.base import TableItem

    return sorted((i.pk, i.sk) for i in TableItem.scan())


# ------------------------------------------------------------------ CRUD


def test_an_organiser_schedules_reminders_before_the_start_and_after_the_end(api, owner, event):
    day_before = _create(api, owner, event, subject="Tomorrow!", message="Bring your licence number.")
    hour_before = _create(api, owner, event, offset_minutes=60)
    follow_up = _create(api, owner, event, anchor="after_end", offset_minutes=DAY)
    assert [r.status for r in (day_before, hour_before, follow_up)] == [201, 201, 201]

    body = day_before.json
    assert body["event"] == event.event_id and body["status"] == "scheduled"
    assert body["subject"] == "Tomorrow!" and body["message"] == "Bring your licence number."
    assert datetime.fromisoformat(body["due_at"]) == event.starts_at - timedelta(days=1)
    assert datetime.fromisoformat(hour_before.json["due_at"]) == event.starts_at - timedelta(hours=1)
    assert datetime.fromisoformat(follow_up.json["due_at"]) == event.ends_at + timedelta(days=1)
    assert hour_before.json["subject"] is None and body["sent_at"] is None and body["sent_count"] == 0

    item = _item(event, body["uuid"])
    assert item.gsi2pk == "REMINDERS#DUE" and item.gsi2sk.endswith("#" + body["uuid"])
    assert item.generation == 1

    listed = api.get(_url(event), token=owner.token)
    assert listed.status == 200 and listed.json["next_cursor"] is None
    assert [i["uuid"] for i in listed.json["items"]] == [
        day_before.json["uuid"],
        hour_before.json["uuid"],
        follow_up.json["uuid"],
    ]
    assert set(listed.json["items"][0]) == {"uuid", "anchor", "offset_minutes", "due_at", "status"}  # L1

    got = api.get(_url(event, body["uuid"]), token=owner.token)
    assert got.status == 200 and got.json == body
    actions = {i.action for i in AuditItem.scan()}
    assert "lectern.reminder.created" in actions


def test_the_list_is_cursor_paginated(api, owner, event):
    for minutes in (30, 60, 90):
        assert _create(api, owner, event, offset_minutes=minutes).status == 201
    first = api.get(_url(event), token=owner.token, query={"limit": "2"})
    assert len(first.json["items"]) == 2 and first.json["next_cursor"]
    rest = api.get(_url(event), token=owner.token, query={"limit": "2", "cursor": first.json["next_cursor"]})
    assert len(rest.json["items"]) == 1
    tampered = first.json["next_cursor"][:-2] + "xx"
    assert api.get(_url(event), token=owner.token, query={"cursor": tampered}).status == 400


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"anchor": "before_start", "offset_minutes": -1}, "offset_minutes"),
        ({"anchor": "before_start", "offset_minutes": MAX_OFFSET_MINUTES + 1}, "offset_minutes"),
        ({"anchor": "before_start", "offset_minutes": "soon"}, "offset_minutes"),
        ({"anchor": "during", "offset_minutes": 60}, "anchor"),
        ({"offset_minutes": 60}, "anchor"),
        ({"anchor": "before_start"}, "offset_minutes"),
        ({"anchor": "before_start", "offset_minutes": 60, "subject": ""}, "subject"),
        ({"anchor": "before_start", "offset_minutes": 60, "subject": "x" * 201}, "subject"),
        ({"anchor": "before_start", "offset_minutes": 60, "message": "x" * 5001}, "message"),
        ({"anchor": "before_start", "offset_minutes": 60, "colour": "red"}, "colour"),
    ],
)
def test_invalid_reminders_are_422_naming_the_field_and_nothing_is_written(api, owner, event, body, field):
    before = _table_keys()
    r = api.post(_url(event), body, token=owner.token)
    assert r.status == 422, r.json
    assert field in str(r.json["error"]["details"])
    assert _table_keys() == before


def test_a_reminder_whose_time_has_passed_is_422(api, owner):
    soon = make_event(owner.token, starts_at=datetime.now(UTC) + timedelta(hours=2))
    r = _create(api, owner, soon, offset_minutes=DAY)
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == "offset_minutes"
    assert _create(api, owner, soon, offset_minutes=60).status == 201


def test_a_duplicate_offset_is_409_but_the_same_minutes_after_the_end_is_another_reminder(api, owner, event):
    assert _create(api, owner, event, offset_minutes=60).status == 201
    dup = _create(api, owner, event, offset_minutes=60, subject="again")
    assert dup.status == 409 and dup.error_code == "duplicate_reminder"
    assert _create(api, owner, event, anchor="after_end", offset_minutes=60).status == 201
    assert len(api.get(_url(event), token=owner.token).json["items"]) == 2


def test_an_event_has_a_bounded_number_of_reminders(api, owner, event):
    for n in range(MAX_REMINDERS_PER_EVENT):
        assert _create(api, owner, event, offset_minutes=10 + n).status == 201
    r = _create(api, owner, event, offset_minutes=5)
    assert r.status == 409 and r.error_code == "too_many_reminders"


def test_patch_changes_text_or_time_and_a_new_time_is_a_new_generation(api, owner, event):
    rid = _create(api, owner, event).json["uuid"]
    r = api.patch(_url(event, rid), {"subject": "See you tomorrow"}, token=owner.token)
    assert r.status == 200 and r.json["subject"] == "See you tomorrow"
    assert _item(event, rid).generation == 1

    r = api.patch(_url(event, rid), {"offset_minutes": 120, "subject": None}, token=owner.token)
    assert r.status == 200 and r.json["subject"] is None
    assert datetime.fromisoformat(r.json["due_at"]) == event.starts_at - timedelta(hours=2)
    item = _item(event, rid)
    assert item.generation == 2 and item.gsi2sk.startswith(
        (event.starts_at - timedelta(hours=2)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    )
    # the old offset is free again, the new one is taken
    assert _create(api, owner, event, offset_minutes=DAY).status == 201
    other = _create(api, owner, event, offset_minutes=30).json["uuid"]
    clash = api.patch(_url(event, other), {"offset_minutes": 120}, token=owner.token)
    assert clash.status == 409 and clash.error_code == "duplicate_reminder"
    assert _item(event, other).offset_minutes == 30


@pytest.mark.parametrize(
    "body",
    [{"anchor": None}, {"offset_minutes": None}, {"offset_minutes": -5}, {"anchor": "x"}, {"nope": 1}],
)
def test_invalid_patches_are_422_and_change_nothing(api, owner, event, body):
    rid = _create(api, owner, event).json["uuid"]
    before = _table_keys(), _item(event, rid).attribute_values
    r = api.patch(_url(event, rid), body, token=owner.token)
    assert r.status == 422, r.json
    assert (_table_keys(), _item(event, rid).attribute_values) == before


def test_delete_removes_the_reminder_and_frees_its_offset(api, owner, event):
    rid = _create(api, owner, event).json["uuid"]
    assert api.delete(_url(event, rid), token=owner.token).status == 204
    assert api.get(_url(event, rid), token=owner.token).status == 404
    assert api.delete(_url(event, rid), token=owner.token).status == 404
    assert _create(api, owner, event).status == 201


def test_unknown_ids_and_other_organisers_reminders_are_404_and_unchanged(api, owner, event):
    rid = _create(api, owner, event).json["uuid"]
    mallory = verified_account(api)
    before = _table_keys()
    for token in (mallory.token,):
        assert api.get(_url(event), token=token).status == 404
        assert _create(api, mallory, event, offset_minutes=5).status == 404
        assert api.get(_url(event, rid), token=token).status == 404
        assert api.patch(_url(event, rid), {"subject": "mine"}, token=token).status == 404
        assert api.delete(_url(event, rid), token=token).status == 404
    assert _table_keys() == before
    unknown_event = make_event(owner.token)
    assert api.get(_url(unknown_event, rid), token=owner.token).status == 404  # right id, wrong event
    assert api.get(f"/events/{new_id()}/reminders/", token=owner.token).status == 404
    assert api.get(_url(event, new_id()), token=owner.token).status == 404
    assert api.get(_url(event, "not-a-uuid"), token=owner.token).status == 422


def test_without_a_valid_token_every_route_is_401(api, owner, event):
    rid = _create(api, owner, event).json["uuid"]
    for token in (None, "garbage"):
        assert api.get(_url(event), token=token).status == 401
        assert (
            api.post(_url(event), {"anchor": "before_start", "offset_minutes": 5}, token=token).status == 401
        )
        assert api.get(_url(event, rid), token=token).status == 401
        assert api.patch(_url(event, rid), {"subject": "x"}, token=token).status == 401
        assert api.delete(_url(event, rid), token=token).status == 401


def test_a_cancelled_event_takes_no_new_reminders(api, owner, event):
    assert api.post(f"/events/{event.event_id}/cancel/", token=owner.token).status == 200
    r = _create(api, owner, event)
    assert r.status == 409 and r.error_code == "event_cancelled"


# ------------------------------------------------------------------ the sweep


def _due(event, rid) -> datetime:
    return _item(event, rid).due_at


def test_the_sweep_sends_each_confirmed_registrant_one_mail_with_join_link_and_ics(api, owner, event):
    rid = _create(api, owner, event, message="Doors open 10 minutes early.").json["uuid"]
    ada = _register(api, event, "ada@example.org")
    _register(api, event, "grace@example.org", "Grace Hopper")
    # Grace has her own Zoom link; a cancelled registration gets nothing.
    grace = next(r for r in RegistrationItem.scan() if r.email == "grace@example.org")
    grace.update(
        actions=[
            RegistrationItem.zoom_joins.set({event.event_id: {"join_url": "https://zoom.example/j/grace"}})
        ]
    )
    bob = _register(api, event, "bob@example.org", "Bob")
    RegistrationItem(*RegistrationItem.key(bob)).update(actions=[RegistrationItem.status.set("cancelled")])

    mailer = MemoryMailer()
    early = sweeper.sweep(_deps(mailer), _due(event, rid) - timedelta(minutes=1))
    assert early.reminders == 0 and mailer.sent == []

    now = _due(event, rid) + timedelta(seconds=30)
    result = sweeper.sweep(_deps(mailer), now)
    assert (result.reminders, result.completed, result.sent) == (1, 1, 2)
    by_to = {m.to: m for m in mailer.sent}
    assert set(by_to) == {"ada@example.org", "grace@example.org"}
    ada_mail, grace_mail = by_to["ada@example.org"], by_to["grace@example.org"]
    assert ada_mail.subject == f"Reminder: {event.title}"
    assert "Doors open 10 minutes early." in ada_mail.text
    assert (
        "https://zoom.example/j/event" in ada_mail.text and "https://zoom.example/j/grace" in grace_mail.text
    )
    assert "https://zoom.example/j/event" not in grace_mail.text
    assert "/registrations/cancel?token=" in ada_mail.text
    (ics,) = ada_mail.attachments
    assert (
        ics.content_type == "text/calendar"
        and b"BEGIN:VEVENT" in ics.data
        and event.event_id.encode() in ics.data
    )

    item = _item(event, rid)
    assert item.status == "sent" and item.gsi2pk is None and item.sent_count == 2 and item.sent_at == now
    deliveries = list(ReminderDeliveryItem.query(f"REMINDER#{rid}"))
    assert {d.state for d in deliveries} == {"sent"} and len(deliveries) == 2
    assert ada in {d.registration_id for d in deliveries}
    shown = api.get(_url(event, rid), token=owner.token).json
    assert shown["status"] == "sent" and shown["sent_count"] == 2


def test_the_sweep_run_twice_sends_each_reminder_once(api, owner, event):
    rids = [_create(api, owner, event, offset_minutes=m).json["uuid"] for m in (DAY, 60)]
    for n in range(3):
        _register(api, event, f"p{n}@example.org")
    mailer = MemoryMailer()
    now = event.starts_at  # both are due
    first, second = sweeper.sweep(_deps(mailer), now), sweeper.sweep(_deps(mailer), now)
    assert (first.completed, first.sent) == (2, 6)
    assert (second.reminders, second.sent) == (0, 0)
    per_person = {to: sum(m.to == to for m in mailer.sent) for to in {m.to for m in mailer.sent}}
    assert per_person == {f"p{n}@example.org": 2 for n in range(3)}  # two reminders, one mail each
    assert all(_item(event, rid).status == "sent" for rid in rids)


def test_overlapping_sweeps_never_send_twice(api, owner, event, monkeypatch):
    """Sweep A is half-way (it claimed and mailed one registrant, then stalls) when sweep B
    starts: B skips what A holds and sends the rest; A resumes and skips what B sent. Nobody gets
    two mails and the reminder is disarmed once everyone has one."""
    rid = _create(api, owner, event, offset_minutes=60).json["uuid"]
    for n in range(4):
        _register(api, event, f"p{n}@example.org")
    now = _due(event, rid)
    mailer = MemoryMailer()
    deps = _deps(mailer)
    state = {"b_ran": None}

    class Interleave(MemoryMailer):
        """A's mailer: after A's first mail, sweep B runs to completion (the overlap)."""

        def send(self, message):
            mailer.send(message)
            if state["b_ran"] is None:
                state["b_ran"] = sweeper.sweep(deps, now + timedelta(seconds=5))

    a = sweeper.sweep(_deps(Interleave()), now)
    b = state["b_ran"]
    assert len(mailer.sent) == 4 and len({m.to for m in mailer.sent}) == 4
    assert b.sent == 3 and b.held_by_others == 1 and b.completed == 0  # A's claim: left to A
    assert a.sent == 1 and a.held_by_others == 3 and a.completed == 0  # B's claims: already sent
    assert _item(event, rid).status == "scheduled"  # nobody finished it in the overlap ...
    c = sweeper.sweep(deps, now + timedelta(minutes=5))  # ... the next tick disarms it, sending nothing
    assert (c.sent, c.completed) == (0, 1) and len(mailer.sent) == 4
    assert _item(event, rid).status == "sent" and _item(event, rid).sent_count == 4


def test_a_claim_left_by_a_crashed_sweep_is_retaken_after_its_lease(api, owner, event):
    rid = _create(api, owner, event, offset_minutes=60).json["uuid"]
    _register(api, event, "ada@example.org")
    now = _due(event, rid)

    class Crash(MemoryMailer):
        def send(self, message):
            raise SystemExit("the Lambda died mid-send")

    with pytest.raises(SystemExit):
        sweeper.sweep(_deps(Crash()), now)
    (claim,) = ReminderDeliveryItem.query(f"REMINDER#{rid}")
    assert claim.state == "sending"

    mailer = MemoryMailer()
    within = sweeper.sweep(_deps(mailer), now + sweeper.LEASE - timedelta(minutes=1))
    assert within.sent == 0 and within.held_by_others == 1 and mailer.sent == []
    after = sweeper.sweep(_deps(mailer), now + sweeper.LEASE + timedelta(minutes=1))
    assert after.sent == 1 and after.completed == 1 and [m.to for m in mailer.sent] == ["ada@example.org"]


def test_a_failed_send_gives_the_claim_back_and_the_next_sweep_retries(api, owner, event):
    rid = _create(api, owner, event, offset_minutes=60).json["uuid"]
    _register(api, event, "ada@example.org")
    now = _due(event, rid)

    class Down(MemoryMailer):
        def send(self, message):
            raise RuntimeError("SES throttled")

    failed = sweeper.sweep(_deps(Down()), now)
    assert failed.failed == 1 and failed.completed == 0
    assert list(ReminderDeliveryItem.query(f"REMINDER#{rid}")) == []
    mailer = MemoryMailer()
    assert sweeper.sweep(_deps(mailer), now + timedelta(minutes=5)).sent == 1


def test_suppressed_addresses_are_skipped(api, owner, event):
    rid = _create(api, owner, event, offset_minutes=60).json["uuid"]
    _register(api, event, "ada@example.org")
    _register(api, event, "Bounced@Example.org", "Bounce")
    suppress("bounced@example.org", "bounce", datetime.now(UTC), "Permanent/General")
    mailer = MemoryMailer()
    result = sweeper.sweep(_deps(mailer), _due(event, rid))
    assert [m.to for m in mailer.sent] == ["ada@example.org"]
    assert result.skipped_suppressed == 1 and result.completed == 1


def test_a_time_budget_leaves_the_rest_for_the_next_sweep(api, owner, event):
    rid = _create(api, owner, event, offset_minutes=60).json["uuid"]
    for n in range(3):
        _register(api, event, f"p{n}@example.org")
    ticks = iter([0, 0, 0, 0, 100, 100, 100, 100])
    mailer = MemoryMailer()
    first = sweeper.sweep(
        _deps(mailer), _due(event, rid), budget_seconds=50, monotonic=lambda: next(ticks, 100)
    )
    assert first.out_of_time and first.sent == 2 and _item(event, rid).status == "scheduled"
    second = sweeper.sweep(_deps(mailer), _due(event, rid))
    assert second.sent == 1 and second.completed == 1 and len({m.to for m in mailer.sent}) == 3


# ------------------------------------------------------------------ the event moves / is cancelled


def test_an_event_moved_later_re_arms_its_reminders_which_are_sent_again_once(api, owner, event):
    rid = _create(api, owner, event, offset_minutes=60).json["uuid"]
    follow = _create(api, owner, event, anchor="after_end", offset_minutes=DAY).json["uuid"]
    _register(api, event, "ada@example.org")
    mailer = MemoryMailer()
    sweeper.sweep(_deps(mailer), _due(event, rid))
    assert len(mailer.sent) == 1 and _item(event, rid).status == "sent"

    new_start = event.starts_at + timedelta(days=3)
    r = api.patch(
        f"/events/{event.event_id}/",
        {"starts_at": new_start.isoformat(), "ends_at": (new_start + timedelta(hours=2)).isoformat()},
        token=owner.token,
    )
    assert r.status == 200, r.json
    assert worker.handle(
        _bus("lectern.event.updated", event, fields=["ends_at", "starts_at"]), _deps()
    ).startswith("rescheduled:2")
    item = _item(event, rid)
    assert (
        item.due_at == new_start - timedelta(hours=1) and item.generation == 2 and item.status == "scheduled"
    )
    assert _item(event, follow).due_at == new_start + timedelta(hours=2, days=1)
    # a redelivered bus event changes nothing more
    assert (
        worker.handle(_bus("lectern.event.updated", event, fields=["starts_at"]), _deps()) == "rescheduled:0"
    )
    assert worker.handle(_bus("lectern.event.updated", event, fields=["title"]), _deps()) == "unchanged"

    assert sweeper.sweep(_deps(mailer), new_start - timedelta(hours=2)).sent == 0  # not yet
    assert sweeper.sweep(_deps(mailer), new_start - timedelta(hours=1)).sent == 1  # the new time, once
    assert sweeper.sweep(_deps(mailer), new_start - timedelta(minutes=30)).sent == 0
    assert len(mailer.sent) == 2


def test_the_sweep_itself_reschedules_when_the_bus_consumer_is_late(api, owner, event):
    rid = _create(api, owner, event, offset_minutes=60).json["uuid"]
    _register(api, event, "ada@example.org")
    old_due = _due(event, rid)
    later = event.starts_at + timedelta(days=1)
    EventItem(*EventItem.key(event.event_id)).update(
        actions=[EventItem.starts_at.set(later), EventItem.ends_at.set(later + timedelta(hours=1))]
    )
    mailer = MemoryMailer()
    result = sweeper.sweep(_deps(mailer), old_due)  # the consumer has not run yet
    assert result.rescheduled == 1 and mailer.sent == []
    assert _item(event, rid).due_at == later - timedelta(hours=1)
    assert sweeper.sweep(_deps(mailer), later - timedelta(hours=1)).sent == 1


def test_a_reminder_whose_new_time_passed_is_sent_at_once_before_the_start_or_missed_after(api, owner):
    event = make_event(owner.token, starts_at=datetime.now(UTC) + timedelta(days=2))
    day = _create(api, owner, event, offset_minutes=DAY).json["uuid"]
    follow = _create(api, owner, event, anchor="after_end", offset_minutes=60).json["uuid"]
    soon = datetime.now(UTC) + timedelta(hours=2)
    EventItem(*EventItem.key(event.event_id)).update(
        actions=[EventItem.starts_at.set(soon), EventItem.ends_at.set(soon + timedelta(hours=1))]
    )
    worker.handle(_bus("lectern.event.updated", event, fields=["starts_at"]), _deps())
    assert _item(event, day).status == "scheduled"  # 22 h late, but the event is still ahead
    assert _item(event, follow).status == "scheduled"
    _register(api, event, "ada@example.org")
    mailer = MemoryMailer()
    assert sweeper.sweep(_deps(mailer), datetime.now(UTC)).sent == 1

    past = datetime.now(UTC) - timedelta(hours=5)
    EventItem(*EventItem.key(event.event_id)).update(
        actions=[EventItem.starts_at.set(past), EventItem.ends_at.set(past + timedelta(hours=1))]
    )
    worker.handle(_bus("lectern.event.updated", event, fields=["starts_at"]), _deps())
    assert _item(event, follow).status == "missed" and _item(event, follow).gsi2pk is None


def test_a_cancelled_event_sends_nothing(api, owner, event):
    rid = _create(api, owner, event, offset_minutes=60).json["uuid"]
    _register(api, event, "ada@example.org")
    assert api.post(f"/events/{event.event_id}/cancel/", token=owner.token).status == 200
    assert worker.handle(_bus("lectern.event.cancelled", event), _deps()) == "rescheduled:1"
    item = _item(event, rid)
    assert item.status == "cancelled" and item.gsi2pk is None
    mailer = MemoryMailer()
    assert sweeper.sweep(_deps(mailer), event.starts_at).reminders == 0 and mailer.sent == []


def test_a_cancelled_event_sends_nothing_even_before_the_consumer_ran(api, owner, event):
    rid = _create(api, owner, event, offset_minutes=60).json["uuid"]
    _register(api, event, "ada@example.org")
    assert api.post(f"/events/{event.event_id}/cancel/", token=owner.token).status == 200
    mailer = MemoryMailer()
    result = sweeper.sweep(_deps(mailer), _due(event, rid))
    assert result.cancelled == 1 and mailer.sent == [] and _item(event, rid).status == "cancelled"


def test_the_worker_ignores_what_is_not_its_own():
    assert (
        worker.handle({"source": "lectern", "detail-type": "lectern.event.published"}, _deps()) == "ignored"
    )
    assert worker.handle({"source": "x", "detail-type": "lectern.event.updated"}, _deps()) == "ignored"
    assert worker.handle(
        {"source": "lectern", "detail-type": "lectern.event.updated", "detail": {}}, _deps()
    ) == ("dropped")


def test_the_sweep_lambda_handler_reports_a_summary(api, owner, event):
    from functions.workers import reminder_sweep

    _create(api, owner, event, offset_minutes=60)
    out = reminder_sweep.lambda_handler({"source": "aws.events"}, _Context())
    assert out["reminders"] == 0 and out["sent"] == 0  # nothing due yet (the event is a week ahead)


class _Context:
    function_name = "reminder-sweep"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:reminder-sweep"
    aws_request_id = "req"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


# ------------------------------------------------------------------ dry run


def test_a_dry_run_previews_who_would_get_it_and_writes_nothing(api, owner, event):
    _register(api, event, "ada@example.org")
    _register(api, event, "Bounced@Example.org", "Bounce")
    suppress("bounced@example.org", "bounce", datetime.now(UTC), "Permanent/General")
    waiting = make_event(owner.token)  # (another event's registrant is not counted)
    _register(api, waiting, "elsewhere@example.org")
    before = _table_keys()
    body = {"anchor": "before_start", "offset_minutes": 60}
    r = api.post(_url(event), body, token=owner.token, query={"dry_run": "true"})
    assert r.status == 200, r.json
    assert r.json["dry_run"] is True and (r.json["recipients"], r.json["skipped"]) == (1, 1)
    assert datetime.fromisoformat(r.json["due_at"]) == event.starts_at - timedelta(hours=1)
    assert [(x["email"], x["included"], x["reason"]) for x in r.json["results"]] == [
        ("ada@example.org", True, "confirmed"),
        ("bounced@example.org", False, "suppressed"),
    ]
    assert r.json["truncated"] is False
    assert _table_keys() == before
    # the same checks as a real create
    assert _create(api, owner, event, offset_minutes=60).status == 201
    dup = api.post(_url(event), body, token=owner.token, query={"dry_run": "true"})
    assert dup.status == 409 and dup.error_code == "duplicate_reminder"
    mallory = verified_account(api)
    assert api.post(_url(event), body, token=mallory.token, query={"dry_run": "true"}).status == 404
    late = {"anchor": "before_start", "offset_minutes": 30 * DAY}
    assert api.post(_url(event), late, token=owner.token, query={"dry_run": "true"}).status == 422
