"""CSV export of a contact list: GetItem list (ownership) → Query GSI1 `CLIST#<id>` pages (the
memberships, ordered by email) → BatchGetItem of the contacts (their notes; 100 per call).

Columns `email,name,title,organization,notes` — the headers the import recognises, so an
export imports back unchanged. Formula-like cells are prefixed with a quote
(`lectern.registrations.export.safe_cell`; the import removes that quote again). Built in
memory: up to `MAX_ROWS` rows / `MAX_BYTES`, else 409 `export_too_large`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from lectern.contacts import batch
from lectern.contacts.service import owned_list
from lectern.data.base import TableItem
from lectern.data.contacts import ContactItem, ListMembershipItem
from lectern.errors import Conflict
from lectern.registrations.export import safe_cell

MAX_ROWS = 20_000
MAX_BYTES = 5 * 1024 * 1024
PAGE_SIZE = 1000
COLUMNS = ("email", "name", "title", "organization", "notes")


@dataclass(frozen=True)
class ContactsCsv:
    filename: str
    body: str
    rows: int


def _too_large() -> Conflict:
    return Conflict(
        f"This list is too large to export in one response (at most {MAX_ROWS} rows / "
        f"{MAX_BYTES // (1024 * 1024)} MB).",
        code="export_too_large",
    )


def export_csv(owner_id: str, list_id: str) -> ContactsCsv:
    lst = owned_list(owner_id, list_id)
    members: list[ListMembershipItem] = []
    for item in TableItem.gsi1.query(f"CLIST#{list_id}", page_size=PAGE_SIZE):
        if isinstance(item, ListMembershipItem):
            members.append(item)
            if len(members) > MAX_ROWS:
                raise _too_large()
    contacts = batch.get_many([ContactItem.key(m.contact_id) for m in members], consistent=False)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for m in members:
        c = contacts.get(ContactItem.key(m.contact_id))
        source = c if isinstance(c, ContactItem) else m
        notes = c.notes if isinstance(c, ContactItem) else ""
        row = [source.email, source.name or "", source.title or "", source.organization or "", notes or ""]
        writer.writerow([safe_cell(v) for v in row])
        if out.tell() > MAX_BYTES:
            raise _too_large()
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", lst.name).strip("-")[:60] or list_id
    return ContactsCsv(filename=f"{slug}-contacts.csv", body=out.getvalue(), rows=len(members))
