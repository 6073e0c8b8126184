"""Contact lists, contacts and list membership (PRODUCT.md §9, spec-review M2/L1).

Access patterns (one table, see lectern/data/contacts.py) and DynamoDB calls:

* lists page: Query PK `OWNER#<me>` SK begins_with `CLIST#` (1).
* list get: GetItem (1). create: TransactWriteItems (list + audit) (1). patch: GetItem +
  TransactWriteItems (update cond. exists + audit) (2).
* list delete: GetItem, then Query GSI1 `CLIST#<id>` pages of 500 memberships and
  BatchWriteItem deletes (25 per call), up to `DELETE_BOUND` memberships per request; when all
  are gone, TransactWriteItems (delete list + audit) → 204. A bigger list answers 202 with what
  is left (its count lowered), and the next DELETE continues.
* a list's contacts page: GetItem list (ownership; another organiser's list is 404) + Query GSI1
  (1 per page, the memberships' light copies).
* all my contacts page: Query GSI2 `OWNER#<me>#CONTACTS` (1), ordered by email.
* contact get: Query PK `CONTACT#<id>` (the contact and its memberships) + BatchGetItem of the
  lists (names) (2; 1 when in no list).
* add to a list: BatchGetItem (list, the address's claim) — when the address is claimed,
  + BatchGetItem (contact, membership) — then TransactWriteItems.
* contact patch: Query partition + TransactWriteItems (contact, every membership copy, the
  claims when the email changes: new claim cond. free → 409 `email_taken`, old one released).
* contact delete: Query partition + BatchGetItem (its lists) + TransactWriteItems (contact,
  claim, memberships, each list's count - 1, audit).
* remove from list: GetItem list + TransactWriteItems (delete membership cond. exists, count - 1,
  audit) (2).

A transaction holds at most 100 actions: a contact in many lists has its membership copies
written in further transactions of up to 100 (the contact's own change goes first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError

from lectern.audit import Auditor
from lectern.contacts import batch
from lectern.data import tx
from lectern.data.base import TableItem
from lectern.data.contacts import (
    ContactEmailItem,
    ContactItem,
    ContactListItem,
    ListMembershipItem,
    deterministic_contact_id,
    norm_email,
)
from lectern.data.pagination import Page, PageRequest, query_page
from lectern.deps import Deps
from lectern.errors import Conflict, NotFound
from lectern.request import RequestMeta

LIST_PREFIX = "CLIST#"
DELETE_BOUND = 10_000  # memberships removed by one DELETE of a list
DELETE_PAGE = 500
TX_LIMIT = 100
CONTACT_FIELDS = ("email", "name", "title", "organization", "notes")
COPIED_FIELDS = ("email", "name", "title", "organization")


# ---------------------------------------------------------------- domain


@dataclass(frozen=True)
class ContactList:
    list_id: str
    name: str
    description: str
    contact_count: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, i: ContactListItem) -> ContactList:
        return cls(
            list_id=i.list_id,
            name=i.name,
            description=i.description or "",
            contact_count=max(0, int(i.contact_count or 0)),
            created_at=i.created_at,
            updated_at=i.updated_at,
        )


@dataclass(frozen=True)
class ContactSummary:
    contact_id: str
    email: str
    name: str
    title: str
    organization: str

    @classmethod
    def of(cls, i: ContactItem | ListMembershipItem) -> ContactSummary:
        return cls(i.contact_id, i.email, i.name or "", i.title or "", i.organization or "")


@dataclass(frozen=True)
class ListRef:
    list_id: str
    name: str
    added_at: datetime


@dataclass(frozen=True)
class Contact:
    contact_id: str
    email: str
    name: str
    title: str
    organization: str
    notes: str
    created_at: datetime
    updated_at: datetime
    lists: list[ListRef]


@dataclass(frozen=True)
class Added:
    contact: Contact
    created: bool  # a new contact (else an existing one)
    already_in_list: bool


@dataclass(frozen=True)
class ListDeletion:
    deleted: bool
    removed_memberships: int
    remaining_memberships: int


# ---------------------------------------------------------------- helpers


def _list_not_found() -> NotFound:
    return NotFound("The contact list does not exist.")


def _contact_not_found() -> NotFound:
    return NotFound("The contact does not exist.")


def _email_taken(email: str) -> Conflict:
    return Conflict(
        f"You already have a contact with the address {email}.",
        code="email_taken",
        details=[{"field": "email", "code": "taken"}],
    )


def _changed() -> Conflict:
    return Conflict(
        "The contact was changed at the same time; read it again and retry.", code="concurrent_change"
    )


def auditor(owner_id: str, meta: RequestMeta | None, deps: Deps, at: datetime | None = None) -> Auditor:
    return Auditor(actor_id=owner_id, at=at or deps.clock.now(), ids=deps.ids, ip=meta.ip if meta else None)


def owned_list(owner_id: str, list_id: str) -> ContactListItem:
    """The list, if it is the caller's (the key holds the owner: one GetItem)."""
    try:
        return ContactListItem.get(*ContactListItem.key(owner_id, list_id), consistent_read=True)
    except ContactListItem.DoesNotExist as exc:
        raise _list_not_found() from exc


def _contact_partition(owner_id: str, contact_id: str) -> tuple[ContactItem, list[ListMembershipItem]]:
    """The contact and its memberships (one Query; more pages only for a contact in very many lists)."""
    contact: ContactItem | None = None
    members: list[ListMembershipItem] = []
    for item in TableItem.query(f"CONTACT#{contact_id}", consistent_read=True):
        if isinstance(item, ContactItem):
            contact = item
        elif isinstance(item, ListMembershipItem):
            members.append(item)
    if contact is None or contact.owner_id != owner_id:
        raise _contact_not_found()
    return contact, members


def _contact_of(item: ContactItem, lists: list[ListRef]) -> Contact:
    return Contact(
        contact_id=item.contact_id,
        email=item.email,
        name=item.name or "",
        title=item.title or "",
        organization=item.organization or "",
        notes=item.notes or "",
        created_at=item.created_at,
        updated_at=item.updated_at,
        lists=lists,
    )


def _list_refs(owner_id: str, members: list[ListMembershipItem]) -> list[ListRef]:
    if not members:
        return []
    got = batch.get_many([ContactListItem.key(owner_id, m.list_id) for m in members], consistent=False)
    refs = []
    for m in members:
        lst = got.get(ContactListItem.key(owner_id, m.list_id))
        if isinstance(lst, ContactListItem):
            refs.append(ListRef(m.list_id, lst.name, m.added_at))
    return sorted(refs, key=lambda r: (r.name.casefold(), r.list_id))


def membership(contact: ContactItem, list_id: str, at: datetime) -> ListMembershipItem:
    m = ListMembershipItem(
        *ListMembershipItem.key(contact.contact_id, list_id),
        contact_id=contact.contact_id,
        list_id=list_id,
        owner_id=contact.owner_id,
        email=contact.email,
        name=contact.name or "",
        title=contact.title or "",
        organization=contact.organization or "",
        added_at=at,
    )
    m.gsi1pk, m.gsi1sk = ListMembershipItem.list_index(list_id, contact.email, contact.contact_id)
    return m


def new_contact(owner_id: str, contact_id: str, fields: dict[str, str], at: datetime) -> ContactItem:
    email = norm_email(fields["email"])
    c = ContactItem(
        *ContactItem.key(contact_id),
        contact_id=contact_id,
        owner_id=owner_id,
        email=email,
        name=fields.get("name") or "",
        title=fields.get("title") or "",
        organization=fields.get("organization") or "",
        notes=fields.get("notes") or "",
        created_at=at,
        updated_at=at,
    )
    c.gsi2pk, c.gsi2sk = ContactItem.owner_index(owner_id, email, contact_id)
    return c


def claim(owner_id: str, email: str, contact_id: str | None) -> ContactEmailItem:
    return ContactEmailItem(*ContactEmailItem.key(owner_id, email), contact_id=contact_id)


def claim_is_free() -> Any:
    """Condition: nobody holds the address (no claim, or a retired one)."""
    return ContactEmailItem.pk.does_not_exist() | ContactEmailItem.contact_id.does_not_exist()


def release(t: Any, owner_id: str, contact_id: str, email: str, *, deleting: bool) -> None:
    """Give up contact `contact_id`'s claim on `email`, in transaction `t`. The claim is deleted
    only when the contact holding the address's deterministic id is itself being deleted;
    otherwise it is retired (that id may still be held by a contact that moved away)."""
    cond = ContactEmailItem.contact_id == contact_id
    if deleting and contact_id == deterministic_contact_id(owner_id, email):
        t.delete(claim(owner_id, email, contact_id), condition=cond)
    else:
        t.save(claim(owner_id, email, None), condition=cond)


def id_for_new(owner_id: str, email: str, claim_item: ContactEmailItem | None, ids: Any) -> str:
    """The id of a new contact for `email`: deterministic unless the address has a retired claim."""
    if claim_item is not None:  # retired: the deterministic id may be taken
        return str(ids())
    return deterministic_contact_id(owner_id, email)


# ---------------------------------------------------------------- lists


def list_lists(owner_id: str, page: PageRequest) -> Page[ContactList]:
    got = query_page(
        ContactListItem.query,
        page,
        f"contact-lists:{owner_id}",
        hash_key=f"OWNER#{owner_id}",
        range_key_condition=ContactListItem.sk.startswith(LIST_PREFIX),
        scan_index_forward=False,
    )
    return got.map(ContactList.of)


def get_list(owner_id: str, list_id: str) -> ContactList:
    return ContactList.of(owned_list(owner_id, list_id))


def create_list(*, owner_id: str, name: str, description: str, meta: RequestMeta, deps: Deps) -> ContactList:
    now = deps.clock.now()
    list_id = deps.ids()
    item = ContactListItem(
        *ContactListItem.key(owner_id, list_id),
        list_id=list_id,
        owner_id=owner_id,
        name=name,
        description=description,
        contact_count=0,
        created_at=now,
        updated_at=now,
    )
    log = auditor(owner_id, meta, deps, now)
    with tx.write() as t:
        t.save(item, condition=ContactListItem.pk.does_not_exist())
        t.save(log.entry("lectern.contact_list.created", "contact_list", list_id, name=name))
    return ContactList.of(item)


def update_list(
    *, owner_id: str, list_id: str, changes: dict[str, Any], meta: RequestMeta, deps: Deps
) -> ContactList:
    item = owned_list(owner_id, list_id)
    if not changes:
        return ContactList.of(item)
    now = deps.clock.now()
    actions = [getattr(ContactListItem, k).set(v) for k, v in changes.items()]
    actions.append(ContactListItem.updated_at.set(now))
    log = auditor(owner_id, meta, deps, now)
    with tx.write(on_condition_failed=_list_not_found()) as t:
        t.update(item, actions=actions, condition=ContactListItem.pk.exists())
        t.save(
            log.entry(
                "lectern.contact_list.updated", "contact_list", list_id, fields=",".join(sorted(changes))
            )
        )
    for k, v in changes.items():
        setattr(item, k, v)
    item.updated_at = now
    return ContactList.of(item)


def delete_list(*, owner_id: str, list_id: str, meta: RequestMeta, deps: Deps) -> ListDeletion:
    item = owned_list(owner_id, list_id)
    removed = 0
    more = False
    keys: list[tuple[str, str]] = []
    for m in TableItem.gsi1.query(f"CLIST#{list_id}", page_size=DELETE_PAGE):
        if not isinstance(m, ListMembershipItem):
            continue
        if removed + len(keys) >= DELETE_BOUND:
            more = True
            break
        keys.append((m.pk, m.sk))
        if len(keys) >= DELETE_PAGE:
            batch.write(deletes=keys)
            removed, keys = removed + len(keys), []
    if keys:
        batch.write(deletes=keys)
        removed += len(keys)
    # GSI reads are eventually consistent: a membership written a moment ago may show up in the
    # next request, which then removes it.
    log = auditor(owner_id, meta, deps)
    if more:
        item.update(
            actions=[ContactListItem.contact_count.add(-removed)], condition=ContactListItem.pk.exists()
        )
        remaining = max(0, int(item.contact_count or 0))
        log.record("lectern.contact_list.members_purged", "contact_list", list_id, removed=removed)
        return ListDeletion(False, removed, remaining)
    with tx.write() as t:
        t.delete(item)
        t.save(
            log.entry(
                "lectern.contact_list.deleted", "contact_list", list_id, name=item.name, removed=removed
            )
        )
    return ListDeletion(True, removed, 0)


# ---------------------------------------------------------------- contacts


def list_members(owner_id: str, list_id: str, page: PageRequest) -> Page[ContactSummary]:
    owned_list(owner_id, list_id)
    got = query_page(
        TableItem.gsi1.query, page, f"contact-list-members:{list_id}:{owner_id}", hash_key=f"CLIST#{list_id}"
    )
    return Page(
        [ContactSummary.of(i) for i in got.items if isinstance(i, ListMembershipItem)], got.next_cursor
    )


def list_contacts(owner_id: str, page: PageRequest) -> Page[ContactSummary]:
    got = query_page(
        TableItem.gsi2.query, page, f"contacts:{owner_id}", hash_key=f"OWNER#{owner_id}#CONTACTS"
    )
    return Page([ContactSummary.of(i) for i in got.items if isinstance(i, ContactItem)], got.next_cursor)


def get_contact(owner_id: str, contact_id: str) -> Contact:
    contact, members = _contact_partition(owner_id, contact_id)
    return _contact_of(contact, _list_refs(owner_id, members))


def add_to_list(
    *, owner_id: str, list_id: str, fields: dict[str, str], meta: RequestMeta, deps: Deps, attempts: int = 3
) -> Added:
    """Add a new contact, or the existing contact with this address, to the list. An existing
    contact keeps its fields (change them with PATCH /contacts/{uuid})."""
    email = norm_email(fields["email"])
    for _ in range(attempts):
        try:
            return _add_once(owner_id, list_id, email, fields, meta, deps)
        except TransactWriteError as exc:
            if not tx.lost_race(exc):
                raise
    raise _changed()


def _add_once(
    owner_id: str, list_id: str, email: str, fields: dict[str, str], meta: RequestMeta, deps: Deps
) -> Added:
    list_key = ContactListItem.key(owner_id, list_id)
    claim_key = ContactEmailItem.key(owner_id, email)
    got = batch.get_many([list_key, claim_key])
    lst = got.get(list_key)
    if not isinstance(lst, ContactListItem):
        raise _list_not_found()
    claim_item = got.get(claim_key)
    now = deps.clock.now()
    log = auditor(owner_id, meta, deps, now)
    holder = claim_item.contact_id if isinstance(claim_item, ContactEmailItem) else None
    if holder:
        ckey, mkey = ContactItem.key(holder), ListMembershipItem.key(holder, list_id)
        more = batch.get_many([ckey, mkey])
        contact = more.get(ckey)
        if not isinstance(contact, ContactItem):
            raise _changed()  # claim without its contact: a delete in flight
        if mkey in more:
            return Added(get_contact(owner_id, holder), created=False, already_in_list=True)
        with tx.write() as t:
            t.condition_check(ContactItem, *ckey, condition=ContactItem.email == contact.email)
            t.save(membership(contact, list_id, now), condition=ListMembershipItem.pk.does_not_exist())
            t.update(
                lst, actions=[ContactListItem.contact_count.add(1)], condition=ContactListItem.pk.exists()
            )
            t.save(log.entry("lectern.contact_list.member_added", "contact_list", list_id, contact_id=holder))
        return Added(get_contact(owner_id, holder), created=False, already_in_list=False)
    contact_id = id_for_new(
        owner_id, email, claim_item if isinstance(claim_item, ContactEmailItem) else None, deps.ids
    )
    contact = new_contact(owner_id, contact_id, {**fields, "email": email}, now)
    m = membership(contact, list_id, now)
    with tx.write() as t:
        t.save(claim(owner_id, email, contact_id), condition=claim_is_free())
        t.save(contact, condition=ContactItem.pk.does_not_exist())
        t.save(m, condition=ListMembershipItem.pk.does_not_exist())
        t.update(lst, actions=[ContactListItem.contact_count.add(1)], condition=ContactListItem.pk.exists())
        t.save(log.entry("lectern.contact.created", "contact", contact_id, list_id=list_id))
    return Added(_contact_of(contact, [ListRef(list_id, lst.name, now)]), created=True, already_in_list=False)


def update_contact(
    *, owner_id: str, contact_id: str, changes: dict[str, Any], meta: RequestMeta, deps: Deps
) -> Contact:
    contact, members = _contact_partition(owner_id, contact_id)
    changes = {k: v for k, v in changes.items() if k in CONTACT_FIELDS}
    if "email" in changes:
        changes["email"] = norm_email(changes["email"])
    changes = {k: v for k, v in changes.items() if getattr(contact, k) != v}
    if not changes:
        return _contact_of(contact, _list_refs(owner_id, members))
    now = deps.clock.now()
    old_email = contact.email
    for k, v in changes.items():
        setattr(contact, k, v)
    contact.updated_at = now
    contact.gsi2pk, contact.gsi2sk = ContactItem.owner_index(owner_id, contact.email, contact_id)
    log = auditor(owner_id, meta, deps, now)
    copies = [m for m in members] if set(changes) & set(COPIED_FIELDS) else []
    room = TX_LIMIT - 4
    first, rest = copies[:room], copies[room:]
    try:
        with tx.write() as t:
            t.save(contact, condition=ContactItem.email == old_email)
            if "email" in changes:
                t.save(claim(owner_id, contact.email, contact_id), condition=claim_is_free())
                release(t, owner_id, contact_id, old_email, deleting=False)
            for m in first:
                t.save(_copy(m, contact), condition=ListMembershipItem.pk.exists())
            t.save(
                log.entry("lectern.contact.updated", "contact", contact_id, fields=",".join(sorted(changes)))
            )
    except TransactWriteError as exc:
        if tx.cancelled_by_condition(exc) and "email" in changes and _held_by_other(owner_id, contact):
            raise _email_taken(contact.email) from exc
        if tx.lost_race(exc):
            raise _changed() from exc
        raise
    for start in range(0, len(rest), TX_LIMIT):
        with tx.write() as t:
            for m in rest[start : start + TX_LIMIT]:
                t.save(_copy(m, contact), condition=ListMembershipItem.pk.exists())
    return _contact_of(contact, _list_refs(owner_id, members))


def _held_by_other(owner_id: str, contact: ContactItem) -> bool:
    try:
        held = ContactEmailItem.get(*ContactEmailItem.key(owner_id, contact.email), consistent_read=True)
    except ContactEmailItem.DoesNotExist:
        return False
    return bool(held.contact_id) and held.contact_id != contact.contact_id


def _copy(m: ListMembershipItem, contact: ContactItem) -> ListMembershipItem:
    fresh = membership(contact, m.list_id, m.added_at)
    return fresh


def delete_contact(*, owner_id: str, contact_id: str, meta: RequestMeta, deps: Deps) -> None:
    contact, members = _contact_partition(owner_id, contact_id)
    live = {r.list_id for r in _list_refs(owner_id, members)}
    log = auditor(owner_id, meta, deps)
    # contact + claim + audit, then per membership: delete + the list's count.
    room = (TX_LIMIT - 3) // 2
    first, rest = members[:room], members[room:]
    for start in range(0, len(rest), TX_LIMIT // 2):
        with tx.write() as t:
            for m in rest[start : start + TX_LIMIT // 2]:
                _leave(t, owner_id, m, m.list_id in live)
    try:
        with tx.write() as t:
            t.delete(contact, condition=ContactItem.email == contact.email)
            release(t, owner_id, contact_id, contact.email, deleting=True)
            for m in first:
                _leave(t, owner_id, m, m.list_id in live)
            t.save(log.entry("lectern.contact.deleted", "contact", contact_id, email=contact.email))
    except TransactWriteError as exc:
        if tx.lost_race(exc):
            raise _changed() from exc
        raise


def _leave(t: Any, owner_id: str, m: ListMembershipItem, list_exists: bool) -> None:
    t.delete(m)
    if not list_exists:
        return
    t.update(
        ContactListItem(*ContactListItem.key(owner_id, m.list_id)),
        actions=[ContactListItem.contact_count.add(-1)],
        condition=ContactListItem.pk.exists(),
    )


def remove_from_list(*, owner_id: str, list_id: str, contact_id: str, meta: RequestMeta, deps: Deps) -> None:
    lst = owned_list(owner_id, list_id)
    log = auditor(owner_id, meta, deps)
    m = ListMembershipItem(*ListMembershipItem.key(contact_id, list_id))
    with tx.write(on_condition_failed=_contact_not_found()) as t:
        t.delete(m, condition=ListMembershipItem.owner_id == owner_id)
        t.update(lst, actions=[ContactListItem.contact_count.add(-1)], condition=ContactListItem.pk.exists())
        t.save(
            log.entry("lectern.contact_list.member_removed", "contact_list", list_id, contact_id=contact_id)
        )
