"""The organiser's contact lists, as the invitations read them (data model rows `ContactList`
`OWNER#<owner_id>` / `CLIST#<list_id>` and `ListMembership` GSI1 `CLIST#<list_id>` /
`<email>#<contact_id>`). Read through the table's low-level connection so that this module
depends on the data model only, not on the contacts module's classes."""

from __future__ import annotations

from typing import Any

from lectern.data.base import TableItem
from lectern.errors import NotFound

MEMBERS_INDEX = "GSI1"


def _conn() -> Any:
    return TableItem._get_connection()


def _list_key(owner_id: str, list_id: str) -> tuple[str, str]:
    return f"OWNER#{owner_id}", f"CLIST#{list_id}"


def _raw(owner_id: str, list_id: str) -> dict[str, Any] | None:
    pk, sk = _list_key(owner_id, list_id)
    item = _conn().get_item(pk, sk, consistent_read=True).get("Item")
    return item if isinstance(item, dict) else None


def owned(owner_id: str, list_id: str) -> dict[str, Any]:
    """The list if it is the organiser's (one GetItem); another organiser's or unknown → 404."""
    item = _raw(owner_id, list_id)
    if item is None:
        raise NotFound("The contact list does not exist.")
    return item


def count_of(item: dict[str, Any]) -> int | None:
    """The list's `contact_count`, if it keeps one."""
    value = item.get("contact_count", {}).get("N")
    return int(value) if value is not None else None


def _email_of(raw: dict[str, Any]) -> str | None:
    email = raw.get("email", {}).get("S")
    if email:
        return str(email)
    sort = raw.get("GSI1SK", {}).get("S")
    return str(sort).rsplit("#", 1)[0] if sort else None


def members_page(
    list_id: str, limit: int, start: dict[str, Any] | None
) -> tuple[list[str], dict[str, Any] | None]:
    """One Query of GSI1 `CLIST#<list_id>`: up to `limit` member addresses and where to go on."""
    resp = _conn().query(f"CLIST#{list_id}", index_name=MEMBERS_INDEX, limit=limit, exclusive_start_key=start)
    emails = [e for e in (_email_of(i) for i in resp.get("Items", [])) if e]
    return emails, resp.get("LastEvaluatedKey")


def first_members(list_id: str, limit: int) -> tuple[list[str], bool]:
    """Up to `limit` addresses, and whether the list holds more (reads at most limit + 1)."""
    out: list[str] = []
    start: dict[str, Any] | None = None
    while True:
        emails, start = members_page(list_id, limit + 1 - len(out), start)
        out.extend(emails)
        if len(out) > limit:
            return out[:limit], True
        if start is None:
            return out, False


def all_members(list_id: str) -> list[str]:
    out: list[str] = []
    start: dict[str, Any] | None = None
    while True:
        emails, start = members_page(list_id, 1000, start)
        out.extend(emails)
        if start is None:
            return out
