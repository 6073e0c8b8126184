"""Many people into a contact list at once: a CSV import, or an event's registrants.

Both go through `_add_people`, which (after the list's GetItem and the caller's checks):

1. dedupes by address, case-insensitively (the first row wins; later ones are reported as
   `duplicate_in_file`);
2. reads every address's `ContactEmail` claim — BatchGetItem, 100 per call;
3. for addresses that are already my contacts, reads the contact and its membership of this list
   — BatchGetItem, 50 contacts per call. Existing contacts are ADDED to the list as they are:
   their fields are not changed by the file (PATCH /contacts/{uuid} changes them), and the report
   counts them as `added_existing` (or `already_in_list`);
4. writes, for each new address, the contact (deterministic id `uuid5(owner, email)` unless the
   address has a retired claim), its claim and its membership, and for each existing contact
   not yet in the list its membership — BatchWriteItem, 25 per call, a few calls in parallel;
5. one TransactWriteItems: the list's `contact_count` + added, the `ContactImport` record (the
   report, kept 30 days) and the audit entry.

A dry run does 1-3 and reports what would happen; it writes nothing and takes no bulk budget.
A real run takes `contacts.import` units from the organiser's bulk budget (1 per started 1,000
rows). BatchWriteItem has no conditions: two imports racing on one new address write the same
contact (same deterministic id) — they converge.

For a 10,000-row file of new addresses: 100 BatchGetItem + 1,200 BatchWriteItem (30,000 items)
+ a handful of single calls.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lectern.contacts import batch, csvfile
from lectern.contacts.csvfile import Person, RowError
from lectern.contacts.service import auditor, owned_list
from lectern.data import tx
from lectern.data.base import TableItem
from lectern.data.contacts import (
    ContactEmailItem,
    ContactImportItem,
    ContactItem,
    ContactListItem,
    ListMembershipItem,
    deterministic_contact_id,
    norm_email,
    raw_claim,
    raw_contact,
    raw_membership,
    serialized_time,
)
from lectern.data.registrations import RegistrationItem
from lectern.deps import Deps
from lectern.errors import NotFound
from lectern.events.access import owned_event
from lectern.request import RequestMeta
from lectern.throttle import take_bulk

MAX_REPORTED_ERRORS = 1000  # per-row errors kept in the response and the record
IMPORT_TTL = timedelta(days=30)
MAX_EVENT_REGISTRANTS = 10_000


@dataclass
class Report:
    dry_run: bool
    source: str  # csv | event
    total_rows: int = 0
    created: int = 0
    added_existing: int = 0
    already_in_list: int = 0
    duplicates: int = 0
    invalid: int = 0
    blank_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    errors_truncated: bool = False
    mapping: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    event_id: str | None = None


@dataclass(frozen=True)
class ImportResult:
    import_id: str | None  # None for a dry run (nothing is recorded)
    list_id: str
    created_at: datetime
    report: Report


def _record_errors(report: Report, errors: list[RowError]) -> None:
    room = MAX_REPORTED_ERRORS - len(report.errors)
    if len(errors) > room:
        report.errors_truncated = True
    report.errors.extend(errors[: max(0, room)])


def _add_people(
    *,
    owner_id: str,
    lst: ContactListItem,
    people: list[Person],
    report: Report,
    meta: RequestMeta,
    deps: Deps,
) -> ImportResult:
    now = deps.clock.now()
    list_id = lst.list_id
    unique: dict[str, Person] = {}
    dupes: list[RowError] = []
    for p in people:
        email = norm_email(p.email)
        first = unique.get(email)
        if first is not None:
            dupes.append(
                RowError(p.row, "email", "duplicate_in_file", f"Same address as row {first.row}; skipped.")
            )
            continue
        unique[email] = p
    report.duplicates = len(dupes)

    claims = batch.get_many([ContactEmailItem.key(owner_id, e) for e in unique])
    holders: dict[str, str] = {}
    retired: set[str] = set()
    for email in unique:
        c = claims.get(ContactEmailItem.key(owner_id, email))
        if isinstance(c, ContactEmailItem):
            if c.contact_id:
                holders[email] = c.contact_id
            else:
                retired.add(email)
    more_keys: list[tuple[str, str]] = []
    for cid in holders.values():
        more_keys += [ContactItem.key(cid), ListMembershipItem.key(cid, list_id)]
    existing = batch.get_many(more_keys)

    at = serialized_time(now)
    puts: list[dict[str, Any]] = []
    problems: list[RowError] = []
    for email, p in unique.items():
        holder = holders.get(email)
        if holder is not None:
            contact = existing.get(ContactItem.key(holder))
            if not isinstance(contact, ContactItem):
                problems.append(
                    RowError(
                        p.row, "email", "concurrent_change", "This contact was being deleted; try again."
                    )
                )
                continue
            if ListMembershipItem.key(holder, list_id) in existing:
                report.already_in_list += 1
                continue
            report.added_existing += 1
            copy = {"name": contact.name, "title": contact.title, "organization": contact.organization}
            puts.append(raw_membership(owner_id, holder, list_id, contact.email, copy, at))
            continue
        cid = deterministic_contact_id(owner_id, email) if email not in retired else deps.ids()
        values = {"name": p.name, "title": p.title, "organization": p.organization, "notes": p.notes}
        puts += [
            raw_contact(owner_id, cid, email, values, at),
            raw_claim(owner_id, email, cid),
            raw_membership(owner_id, cid, list_id, email, values, at),
        ]
        report.created += 1
    _record_errors(report, sorted(dupes + problems, key=lambda e: e.row))

    added = report.created + report.added_existing
    if report.dry_run:
        return ImportResult(None, list_id, now, report)
    batch.write(puts)
    import_id = deps.ids()
    record = ContactImportItem(
        *ContactImportItem.key(list_id, import_id),
        import_id=import_id,
        list_id=list_id,
        owner_id=owner_id,
        source=report.source,
        status="completed",
        created_at=now,
        report=_report_json(report),
        ttl=now + IMPORT_TTL,
    )
    log = auditor(owner_id, meta, deps, now)
    with tx.write(on_condition_failed=NotFound("The contact list does not exist.")) as t:
        t.update(
            lst, actions=[ContactListItem.contact_count.add(added)], condition=ContactListItem.pk.exists()
        )
        t.save(record)
        t.save(
            log.entry(
                "lectern.contact_list.imported",
                "contact_list",
                list_id,
                import_id=import_id,
                source=report.source,
                created=report.created,
                added_existing=report.added_existing,
            )
        )
    return ImportResult(import_id, list_id, now, report)


def _report_json(r: Report) -> dict[str, Any]:
    out = asdict(r)
    out["errors"] = [asdict(e) for e in r.errors]
    return out


def _report_of(data: dict[str, Any]) -> Report:
    data = dict(data)
    errors = [RowError(**e) for e in data.pop("errors", [])]
    return Report(errors=errors, **data)


def import_csv(
    *,
    owner_id: str,
    list_id: str,
    raw: bytes | str,
    mapping: dict[str, str],
    dry_run: bool,
    meta: RequestMeta,
    deps: Deps,
) -> ImportResult:
    lst = owned_list(owner_id, list_id)
    parsed = csvfile.parse(raw, mapping)
    report = Report(
        dry_run=dry_run,
        source="csv",
        total_rows=parsed.total_rows,
        blank_rows=parsed.blank_rows,
        invalid=len({e.row for e in parsed.errors}),
        mapping=parsed.mapping,
        ignored_columns=parsed.ignored_columns,
    )
    _record_errors(report, parsed.errors)
    if not dry_run:
        take_bulk(owner_id, deps.clock.now(), "contacts.import", max(1, math.ceil(parsed.total_rows / 1000)))
    return _add_people(owner_id=owner_id, lst=lst, people=parsed.people, report=report, meta=meta, deps=deps)


def from_event(
    *,
    owner_id: str,
    list_id: str,
    event_id: str,
    statuses: list[str],
    dry_run: bool,
    meta: RequestMeta,
    deps: Deps,
) -> ImportResult:
    """The event's registrants with these statuses become contacts in the list (email,
    full_name → name, professional_title → title, organization_name → organization)."""
    lst = owned_list(owner_id, list_id)
    owned_event(owner_id, event_id)
    wanted = set(statuses)
    people: list[Person] = []
    errors: list[RowError] = []
    pk, _ = RegistrationItem.event_index(event_id, "")
    n = 0
    for item in TableItem.gsi1.query(pk, page_size=500):
        if not isinstance(item, RegistrationItem) or item.status not in wanted:
            continue
        n += 1
        if n > MAX_EVENT_REGISTRANTS:
            break
        values = {
            "email": item.email or "",
            "name": (item.full_name or "")[:200],
            "title": (item.professional_title or "")[:200],
            "organization": (item.organization_name or "")[:200],
            "notes": "",
        }
        problems = csvfile.check(n, values)
        if problems:
            errors.extend(problems)
            continue
        people.append(Person(row=n, **values))
    report = Report(
        dry_run=dry_run,
        source="event",
        total_rows=min(n, MAX_EVENT_REGISTRANTS),
        invalid=len({e.row for e in errors}),
        event_id=event_id,
    )
    _record_errors(report, errors)
    if not dry_run:
        take_bulk(owner_id, deps.clock.now(), "contacts.import", max(1, math.ceil(len(people) / 1000)))
    return _add_people(owner_id=owner_id, lst=lst, people=people, report=report, meta=meta, deps=deps)


def get_import(owner_id: str, list_id: str, import_id: str) -> ImportResult:
    """One BatchGetItem: the list (ownership) and the import record."""
    lkey = ContactListItem.key(owner_id, list_id)
    ikey = ContactImportItem.key(list_id, import_id)
    got = batch.get_many([lkey, ikey])
    if not isinstance(got.get(lkey), ContactListItem):
        raise NotFound("The contact list does not exist.")
    item = got.get(ikey)
    if not isinstance(item, ContactImportItem) or item.owner_id != owner_id:
        raise NotFound("The import does not exist.")
    report = item.report
    if hasattr(report, "as_dict"):
        report = report.as_dict()
    return ImportResult(item.import_id, list_id, item.created_at, _report_of(dict(report)))
