"""Contact entities (issue 6, PRODUCT.md §9; docs/data-model.md "Contacts, invitations and
reminders").

- ContactList: `OWNER#<owner_id>` / `CLIST#<list_id>` (+ `contact_count`).
- Contact: `CONTACT#<id>` / `CONTACT`; GSI2 `OWNER#<owner_id>#CONTACTS` / `<email>#<id>`.
- ContactEmail: `OWNER#<owner_id>` / `CEMAIL#<casefolded email>` (the claim).
- ListMembership: `CONTACT#<id>` / `LIST#<list_id>`; GSI1 `CLIST#<list_id>` / `<email>#<id>`
  (a light copy of the contact: email, name, title, organization).
- ContactImport: `CLIST#<list_id>` / `IMPORT#<import_id>` (the report; TTL 30 days).

A contact shares its partition with its memberships (one Query = the contact and its lists).
`ContactEmail` is the claim that makes one contact per address per organiser; a claim whose
`contact_id` is absent is *retired*: the address is free, but the deterministic id
`uuid5(owner, email)` may still be held by a contact that moved away from it, so a new contact
for that address gets a random id instead (see lectern/contacts/service.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from lectern.data.base import TableItem

_NAMESPACE = uuid.UUID("6f1d7c4e-2b0a-4d8e-9c53-5e2f1a7b9c10")


def norm_email(email: str) -> str:
    """The form an address is stored and compared in (case-insensitive)."""
    return email.strip().casefold()


def deterministic_contact_id(owner_id: str, email: str) -> str:
    """`uuid5(owner, casefolded email)`: two imports racing on one address converge."""
    return str(uuid.uuid5(_NAMESPACE, f"{owner_id}\x00{norm_email(email)}"))


class ContactListItem(TableItem, discriminator="ContactList"):
    list_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    contact_count = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()

    @staticmethod
    def key(owner_id: str, list_id: str) -> tuple[str, str]:
        return f"OWNER#{owner_id}", f"CLIST#{list_id}"


class ContactItem(TableItem, discriminator="Contact"):
    contact_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    email = UnicodeAttribute()  # casefolded
    name = UnicodeAttribute(default="")
    title = UnicodeAttribute(default="")
    organization = UnicodeAttribute(default="")
    notes = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()

    @staticmethod
    def key(contact_id: str) -> tuple[str, str]:
        return f"CONTACT#{contact_id}", "CONTACT"

    @staticmethod
    def owner_index(owner_id: str, email: str, contact_id: str) -> tuple[str, str]:
        return f"OWNER#{owner_id}#CONTACTS", f"{norm_email(email)}#{contact_id}"


class ContactEmailItem(TableItem, discriminator="ContactEmail"):
    contact_id = UnicodeAttribute(null=True)  # absent: retired (see module doc)

    @staticmethod
    def key(owner_id: str, email: str) -> tuple[str, str]:
        return f"OWNER#{owner_id}", f"CEMAIL#{norm_email(email)}"


class ListMembershipItem(TableItem, discriminator="ListMembership"):
    """A contact in a list, with a light copy of the contact (what a list page shows)."""

    contact_id = UnicodeAttribute()
    list_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute(default="")
    title = UnicodeAttribute(default="")
    organization = UnicodeAttribute(default="")
    added_at = UTCDateTimeAttribute()

    @staticmethod
    def key(contact_id: str, list_id: str) -> tuple[str, str]:
        return f"CONTACT#{contact_id}", f"LIST#{list_id}"

    @staticmethod
    def list_index(list_id: str, email: str, contact_id: str) -> tuple[str, str]:
        return f"CLIST#{list_id}", f"{norm_email(email)}#{contact_id}"


class ContactImportItem(TableItem, discriminator="ContactImport"):
    import_id = UnicodeAttribute()
    list_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    source = UnicodeAttribute()  # csv | event
    status = UnicodeAttribute()  # completed
    created_at = UTCDateTimeAttribute()
    report = JSONAttribute()  # counts, mapping, per-row errors (capped)

    @staticmethod
    def key(list_id: str, import_id: str) -> tuple[str, str]:
        return f"CLIST#{list_id}", f"IMPORT#{import_id}"


# ---------------------------------------------------------------- bulk writes
# A 10,000-row import writes 30,000 items: building and serialising pynamodb models for them
# costs seconds of CPU, so the import builds the attribute maps directly. A test proves each
# map equals the model's own `serialize()`.


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def serialized_time(at: datetime) -> str:
    return str(UTCDateTimeAttribute().serialize(at))


def raw_contact(
    owner_id: str, contact_id: str, email: str, fields: dict[str, str], at: str
) -> dict[str, dict[str, str]]:
    email = norm_email(email)
    gpk, gsk = ContactItem.owner_index(owner_id, email, contact_id)
    pk, sk = ContactItem.key(contact_id)
    return {
        "PK": _s(pk),
        "SK": _s(sk),
        "entity": _s("Contact"),
        "GSI2PK": _s(gpk),
        "GSI2SK": _s(gsk),
        "contact_id": _s(contact_id),
        "owner_id": _s(owner_id),
        "email": _s(email),
        "name": _s(fields.get("name") or ""),
        "title": _s(fields.get("title") or ""),
        "organization": _s(fields.get("organization") or ""),
        "notes": _s(fields.get("notes") or ""),
        "created_at": _s(at),
        "updated_at": _s(at),
    }


def raw_claim(owner_id: str, email: str, contact_id: str) -> dict[str, dict[str, str]]:
    pk, sk = ContactEmailItem.key(owner_id, email)
    return {"PK": _s(pk), "SK": _s(sk), "entity": _s("ContactEmail"), "contact_id": _s(contact_id)}


def raw_membership(
    owner_id: str, contact_id: str, list_id: str, email: str, fields: dict[str, str], at: str
) -> dict[str, dict[str, str]]:
    pk, sk = ListMembershipItem.key(contact_id, list_id)
    gpk, gsk = ListMembershipItem.list_index(list_id, email, contact_id)
    return {
        "PK": _s(pk),
        "SK": _s(sk),
        "entity": _s("ListMembership"),
        "GSI1PK": _s(gpk),
        "GSI1SK": _s(gsk),
        "contact_id": _s(contact_id),
        "list_id": _s(list_id),
        "owner_id": _s(owner_id),
        "email": _s(norm_email(email)),
        "name": _s(fields.get("name") or ""),
        "title": _s(fields.get("title") or ""),
        "organization": _s(fields.get("organization") or ""),
        "added_at": _s(at),
    }
