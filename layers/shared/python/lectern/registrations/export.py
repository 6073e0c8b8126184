"""CSV export of an event's registrations (organiser).

GetItem Event (ownership) → Query GSI1 `EVENT#<id>#REGS` page by page (up to 1 MB per call,
oldest registration first). One row per registration, every registration field (spec-review C4
names), then one column per custom field (headed by its label; answers to fields deleted since
keep their stored label), then the attendance fields.

Cells that a spreadsheet would read as a formula (starting with = + - @, tab or carriage
return) are prefixed with a single quote (CSV injection).

Built in memory and returned in the API response, so it is for events of up to a few thousand
registrations: beyond `MAX_ROWS` rows or `MAX_BYTES` bytes the export answers 409
`export_too_large` (an asynchronous export to S3 is future work).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from lectern.data.base import TableItem
from lectern.data.events import EventItem
from lectern.data.registrations import RegistrationItem
from lectern.errors import Conflict
from lectern.events.access import owned_event

MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024  # API Gateway / Lambda answer at most ~6 MB
PAGE_SIZE = 500
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

BASE_COLUMNS: list[tuple[str, str]] = [
    ("uuid", "registration_id"),
    ("status", "status"),
    ("email", "email"),
    ("full_name", "full_name"),
    ("professional_title", "professional_title"),
    ("organization_name", "organization_name"),
    ("user_id", "user_id"),
    ("created_at", "created_at"),
    ("discount_code_used", "discount_code_used"),
    ("amount_paid", "amount_paid_minor"),
    ("currency", "currency"),
    ("promoted_from_waitlist_at", "promoted_from_waitlist_at"),
    ("cancelled_at", "cancelled_at"),
]
ATTENDANCE_COLUMNS: list[tuple[str, str]] = [
    ("first_join_at", "first_join_at"),
    ("last_leave_at", "last_leave_at"),
    ("total_attendance_minutes", "total_attendance_minutes"),
    ("attendance_eligible", "attendance_eligible"),
    ("attendance_override", "attendance_override"),
    ("attendance_override_reason", "attendance_override_reason"),
    ("attendance_override_at", "attendance_override_at"),
]


@dataclass(frozen=True)
class CsvExport:
    filename: str
    body: str
    rows: int


def safe_cell(value: str) -> str:
    """Neutralise a cell a spreadsheet would evaluate as a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return "; ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return str(value)


def _base_value(item: RegistrationItem, attr: str) -> str:
    value = getattr(item, attr, None)
    if attr == "amount_paid_minor":
        return str((Decimal(int(value or 0)) / 100).quantize(Decimal("0.01")))
    if attr == "total_attendance_minutes":
        return str(int(value or 0))
    return _text(value)


def _answers(item: RegistrationItem) -> dict[str, Any]:
    raw = item.custom_answers or {}
    if hasattr(raw, "as_dict"):
        raw = raw.as_dict()
    return dict(raw)


def _registrations(event_id: str) -> Iterator[RegistrationItem]:
    pk, _ = RegistrationItem.event_index(event_id, "")
    for item in TableItem.gsi1.query(pk, page_size=PAGE_SIZE):
        if isinstance(item, RegistrationItem):
            yield item


def _filename(event: EventItem) -> str:
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", event.slug or "").strip("-") or event.event_id
    return f"{slug}-registrations.csv"


def export_csv(owner_id: str, event_id: str) -> CsvExport:
    event = owned_event(owner_id, event_id)
    items: list[RegistrationItem] = []
    for item in _registrations(event_id):
        items.append(item)
        if len(items) > MAX_ROWS:
            raise _too_large()

    # Custom-field columns: the event's current fields in their order, then labels of answers
    # to fields deleted since (by field id), so no stored answer is dropped.
    fields = sorted(
        list(event.custom_fields or []), key=lambda f: (f.get("position", 0), f.get("field_id", ""))
    )
    columns: list[tuple[str, str]] = [(str(f.get("field_id")), str(f.get("label", ""))) for f in fields]
    known = {fid for fid, _ in columns}
    for item in items:
        for fid, answer in _answers(item).items():
            if fid not in known:
                label = answer.get("label", fid) if isinstance(answer, dict) else fid
                columns.append((fid, str(label)))
                known.add(fid)

    header = [name for name, _ in BASE_COLUMNS]
    used = set(header) | {name for name, _ in ATTENDANCE_COLUMNS}
    for _, label in columns:
        name, n = label or "answer", 2
        while name in used:
            name, n = f"{label} ({n})", n + 1
        used.add(name)
        header.append(name)
    header += [name for name, _ in ATTENDANCE_COLUMNS]

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for item in items:
        answers = _answers(item)
        row = [_base_value(item, attr) for _, attr in BASE_COLUMNS]
        for fid, _ in columns:
            answer = answers.get(fid)
            row.append(_text(answer.get("value") if isinstance(answer, dict) else answer))
        row += [_base_value(item, attr) for _, attr in ATTENDANCE_COLUMNS]
        writer.writerow([safe_cell(c) for c in row])
        if out.tell() > MAX_BYTES:
            raise _too_large()
    return CsvExport(filename=_filename(event), body=out.getvalue(), rows=len(items))


def _too_large() -> Conflict:
    return Conflict(
        f"This event has too many registrations to export in one response (at most {MAX_ROWS} rows / "
        f"{MAX_BYTES // (1024 * 1024)} MB); filter the registrations list instead.",
        code="export_too_large",
    )
