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


def _contact(i: int) -> dict[str, Any]:
    return {"email": f"c{i}@example.org", "name": f"Contact {i}"}


@scenario("contacts.lists")
def _contact_lists(h: Harness) -> None:
    acct = h.account()
    for name in ("Alumni", "Speakers"):
        h.create("/contact-lists/", {"name": name}, acct.token)
    with h.measure():
        r = h.api.get("/contact-lists/", token=acct.token)
    h.expect(r, 200)


@scenario("contacts.list_contacts")
def _list_contacts(h: Harness) -> None:
    acct = h.account()
    lid = h.create("/contact-lists/", {"name": "Alumni"}, acct.token)["uuid"]
    for i in range(3):
        h.create(
            f"/contact-lists/{lid}/contacts/", {"email": f"c{i}@example.org", "name": f"C {i}"}, acct.token
        )
    with h.measure():
        r = h.api.get(f"/contact-lists/{lid}/contacts/", token=acct.token)
    h.expect(r, 200)


@scenario("contacts.create_in_list")
def _create_in_list(h: Harness) -> None:
    acct = h.account()
    lid = h.create("/contact-lists/", {"name": "Alumni"}, acct.token)["uuid"]
    with h.measure():
        r = h.api.post(
            f"/contact-lists/{lid}/contacts/", {"email": "new@example.org", "name": "N"}, token=acct.token
        )
    h.expect(r, 201)


def contacts_import(rows: int = 10_000) -> dict[str, Any]:
    """One CSV import of `rows` new contacts through the route (moto in-process): seconds and
    DynamoDB calls by operation."""
    import time
    from collections import Counter

    from moto import mock_aws

    import tests.conftest  # noqa: F401  test environment
    from local.emulator import speed_up_moto, untrack_dynamodb_models
    from tests.support import builders
    from tests.support.api import Api
    from tests.support.aws import provision, reset_caches
    from tools.bench_ops import Recorder

    body = "Email,Name,Organisation\n" + "".join(
        f"p{i}@example.org,Person {i},Org {i % 50}\n" for i in range(rows)
    )
    rec = Recorder()
    rec.install()
    try:
        with mock_aws():
            speed_up_moto()
            untrack_dynamodb_models()
            reset_caches()
            provision()
            api = Api(ip="198.51.100.201")
            acct = builders.verified_account(api, "importer@example.org", "correct horse battery staple")
            lid = api.post("/contact-lists/", {"name": "Import"}, token=acct.token).json["uuid"]
            with rec.window() as calls:
                t0 = time.perf_counter()
                r = api.post(
                    f"/contact-lists/{lid}/import/",
                    raw=body,
                    token=acct.token,
                    headers={"Content-Type": "text/csv"},
                )
                seconds = time.perf_counter() - t0
            if r.status != 200:
                raise RuntimeError(f"import answered {r.status}: {r.json}")
            ddb = Counter(c.operation for c in calls if c.service == "dynamodb")
            return {
                "rows": rows,
                "created": r.json.get("created"),
                "seconds": round(seconds, 1),
                "dynamodb_calls": sum(ddb.values()),
                "dynamodb_by_operation": dict(ddb),
            }
    finally:
        rec.uninstall()
        reset_caches()
