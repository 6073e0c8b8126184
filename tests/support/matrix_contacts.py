"""Matrix factories for the contacts group (contact lists, contacts, imports) and valid bodies."""

from __future__ import annotations

from typing import Any


def _list(api: Any, owner: Any) -> str:
    r = api.post("/contact-lists/", {"name": "Matrix list"}, token=owner.token)
    assert r.status == 201, r.json
    return r.json["uuid"]


def _contact(api: Any, owner: Any) -> str:
    lid = _list(api, owner)
    r = api.post(
        f"/contact-lists/{lid}/contacts/", {"email": "matrix-contact@example.org"}, token=owner.token
    )
    assert r.status in (200, 201), r.json
    return r.json["contact"]["uuid"]


def _import(api: Any, owner: Any) -> str:
    lid = _list(api, owner)
    r = api.post(
        f"/contact-lists/{lid}/import/", {"csv": "Email\nmatrix-import@example.org\n"}, token=owner.token
    )
    assert r.status == 200, r.json
    return r.json["uuid"]


FACTORIES = {"list_id": _list, "contact_id": _contact, "import_id": _import}

BODIES = {
    "/contact-lists": {"name": "A list"},
    "/contact-lists/{list_id}": {"name": "Renamed"},
    "/contact-lists/{list_id}/contacts": {"email": "someone@example.org", "name": "Someone"},
    "/contact-lists/{list_id}/import": {"csv": "Email,Name\nsomeone@example.org,Someone\n"},
    "/contact-lists/{list_id}/from-event": {"event": "00000000-0000-4000-8000-000000000000"},
    "/contacts/{contact_id}": {"name": "Renamed"},
}
