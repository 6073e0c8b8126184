"""CSV export of an event's registrations (organiser)."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from lectern.data.registrations import RegistrationItem

from tests.support.builders import verified_account
from tests.support.events import make_event

F1, F2 = str(uuid.uuid4()), str(uuid.uuid4())
FIELDS = [
    {"field_id": F1, "label": "Licence number", "type": "text", "required": False, "position": 0},
    {
        "field_id": F2,
        "label": "Topics",
        "type": "multi_select",
        "options": ["a", "b"],
        "required": False,
        "position": 1,
    },
]


@pytest.fixture
def owner(api):
    return verified_account(api)


def _register(api, event, email, **kw):
    r = api.post(f"/events/{event.event_id}/register/", {"email": email, "full_name": "Ada Lovelace", **kw})
    assert r.status == 201, r.json
    return r.json


def _export(api, owner, event):
    return api.get(f"/events/{event.event_id}/registrations/export/", token=owner.token)


def _rows(r) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(r.raw.decode("utf-8"))))


def test_export_is_a_csv_attachment_with_a_header_and_one_row_per_registration(api, owner):
    event = make_event(owner.token, custom_fields=FIELDS, slug="ethics-2026")
    a = _register(
        api, event, "a@example.org", custom_answers={F1: "L-1", F2: ["a", "b"]}, organization_name="Acme"
    )
    _register(api, event, "b@example.org")
    r = _export(api, owner, event)
    assert r.status == 200, r.raw[:300]
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"] == 'attachment; filename="ethics-2026-registrations.csv"'
    rows = _rows(r)
    assert len(rows) == 2
    header = next(csv.reader(io.StringIO(r.raw.decode())))
    for col in (
        "uuid", "status", "email", "full_name", "professional_title", "organization_name",
        "discount_code_used", "amount_paid", "currency", "promoted_from_waitlist_at",
        "first_join_at", "last_leave_at",
        "total_attendance_minutes", "attendance_eligible", "attendance_override", "Licence number", "Topics",
    ):  # fmt: skip
        assert col in header, col
    first = next(x for x in rows if x["email"] == "a@example.org")
    assert first["uuid"] == a["uuid"] and first["status"] == "confirmed"
    assert (first["organization_name"], first["Licence number"], first["Topics"]) == ("Acme", "L-1", "a; b")
    assert (first["amount_paid"], first["total_attendance_minutes"]) == ("0.00", "0")


def test_cells_that_look_like_formulas_are_neutralised(api, owner):
    event = make_event(owner.token, custom_fields=FIELDS)
    _register(
        api,
        event,
        "c@example.org",
        full_name='=HYPERLINK("http://evil")',
        organization_name="+1 Corp",
        professional_title="@boss",
        custom_answers={F1: "-2+3"},
    )
    row = _rows(_export(api, owner, event))[0]
    assert row["full_name"] == '\'=HYPERLINK("http://evil")'
    assert (row["organization_name"], row["professional_title"], row["Licence number"]) == (
        "'+1 Corp",
        "'@boss",
        "'-2+3",
    )


def test_answers_to_a_deleted_field_keep_their_stored_label(api, owner):
    event = make_event(owner.token, custom_fields=FIELDS)
    _register(api, event, "d@example.org", custom_answers={F1: "L-9"})
    event.update(actions=[type(event).custom_fields.set([FIELDS[1]])])
    row = _rows(_export(api, owner, event))[0]
    assert row["Licence number"] == "L-9"


def test_export_pages_through_the_event_index(api, owner, monkeypatch):
    from lectern.registrations import export

    monkeypatch.setattr(export, "PAGE_SIZE", 2)
    event = make_event(owner.token)
    for n in range(5):
        _register(api, event, f"p{n}@example.org")
    assert len(_rows(_export(api, owner, event))) == 5


def test_export_includes_cancelled_and_waitlisted_with_their_status(api, owner):
    event = make_event(owner.token, capacity=1, waitlist_enabled=True)
    _register(api, event, "e@example.org")
    _register(api, event, "f@example.org")
    statuses = {r["email"]: r["status"] for r in _rows(_export(api, owner, event))}
    assert statuses == {"e@example.org": "confirmed", "f@example.org": "waitlisted"}


def test_an_event_without_registrations_exports_only_the_header(api, owner):
    event = make_event(owner.token)
    r = _export(api, owner, event)
    assert r.status == 200 and _rows(r) == [] and r.raw.decode().startswith("uuid,status,email")


def test_too_many_rows_is_409_not_a_broken_response(api, owner, monkeypatch):
    from lectern.registrations import export

    monkeypatch.setattr(export, "MAX_ROWS", 1)
    event = make_event(owner.token)
    _register(api, event, "g@example.org")
    _register(api, event, "h@example.org")
    r = _export(api, owner, event)
    assert r.status == 409 and r.error_code == "export_too_large"


def test_another_organisers_export_is_404(api, owner):
    event = make_event(owner.token)
    _register(api, event, "i@example.org")
    mallory = verified_account(api)
    r = _export(api, mallory, event)
    assert r.status == 404 and b"i@example.org" not in r.raw


def test_rows_stored_directly_with_every_field_export_without_error(api, owner):
    from datetime import UTC, datetime

    event = make_event(owner.token)
    now = datetime.now(UTC)
    rid = str(uuid.uuid4())
    item = RegistrationItem(
        *RegistrationItem.key(rid), registration_id=rid, event_id=event.event_id, owner_id=event.owner_id,
        email="j@example.org", full_name="J", status="confirmed", created_at=now, updated_at=now,
        first_join_at=now, last_leave_at=now, total_attendance_minutes=42, attendance_eligible=True,
        attendance_override=False, attendance_override_reason="late", amount_paid_minor=1250,
        discount_code_used="SPRING",
    )  # fmt: skip
    item.gsi1pk, item.gsi1sk = RegistrationItem.event_index(event.event_id, rid)
    item.save()
    row = _rows(_export(api, owner, event))[0]
    assert (row["total_attendance_minutes"], row["attendance_eligible"], row["amount_paid"]) == (
        "42",
        "true",
        "12.50",
    )
    assert row["discount_code_used"] == "SPRING" and row["first_join_at"] == now.isoformat()
