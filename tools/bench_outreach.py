"""Bench scenarios of issue 6 (contacts, invitations, reminders), registered into
tools.bench_ops.OPERATIONS; and `contacts_import(rows)`, the time and calls of one CSV import.
Imports only the standard library and tools.bench_ops at import time."""

from __future__ import annotations

from typing import Any

from tools.bench_ops import Harness, _published_event, scenario


def _emails(n: int, tag: str) -> list[str]:
    return [f"invitee{i}-{tag}@example.org" for i in range(n)]


@scenario("invitations.create_500")
def _invitations_500(h: Harness) -> None:
    acct = h.account()
    event_id = _published_event(h, acct.token)
    body = {"emails": _emails(500, "bench")}
    with h.measure():
        r = h.api.post(f"/events/{event_id}/invitations/", body, token=acct.token)
    h.expect(r, 201)
    h.notes.append("500 addresses: BatchWriteItem ⌈500/25⌉ = 20; the invitations consumer sends the mails")


@scenario("invitations.list")
def _invitations_list(h: Harness) -> None:
    acct = h.account()
    event_id = _published_event(h, acct.token)
    h.create(f"/events/{event_id}/invitations/", {"emails": _emails(5, "list")}, acct.token)
    with h.measure():
        r = h.api.get(f"/events/{event_id}/invitations/", token=acct.token)
    h.expect(r, 200)


def _reminder(minutes: int) -> dict[str, Any]:
    return {"anchor": "before_start", "offset_minutes": minutes}


@scenario("reminders.create")
def _reminder_create(h: Harness) -> None:
    acct = h.account()
    event_id = _published_event(h, acct.token)
    with h.measure():
        r = h.api.post(f"/events/{event_id}/reminders/", _reminder(1440), token=acct.token)
    h.expect(r, 201)


@scenario("reminders.list")
def _reminders_list(h: Harness) -> None:
    acct = h.account()
    event_id = _published_event(h, acct.token)
    for minutes in (60, 1440):
        h.create(f"/events/{event_id}/reminders/", _reminder(minutes), acct.token)
    with h.measure():
        r = h.api.get(f"/events/{event_id}/reminders/", token=acct.token)
    h.expect(r, 200)
