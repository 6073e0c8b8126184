"""Custom registration fields of an event, embedded in the event item (`custom_fields`).

Each write replaces the list in one conditional UpdateItem (inside a transaction with its
audit entry) on the `revision` read, so two concurrent edits never lose one another: the second
gets 409 `edit_conflict`.
"""

from __future__ import annotations

from typing import Any

from lectern import audit
from lectern.data import tx
from lectern.data.events import EventItem
from lectern.deps import Deps
from lectern.errors import Conflict, NotFound
from lectern.events.access import owned_event
from lectern.events.fields import MAX_FIELDS, check_field, sorted_fields
from lectern.request import RequestMeta


def _conflict() -> Conflict:
    return Conflict("The event changed meanwhile; reload it and try again.", code="edit_conflict")


def _write(
    item: EventItem, fields: list[dict[str, Any]], action: str, field_id: str, meta: RequestMeta, deps: Deps
) -> None:
    now = deps.clock.now()
    log = audit.Auditor(actor_id=item.owner_id, at=now, ids=deps.ids, ip=meta.ip)
    revision = int(item.revision or 0)
    fields = sorted_fields(fields)
    with tx.write(on_condition_failed=_conflict()) as t:
        t.update(
            item,
            actions=[
                EventItem.custom_fields.set(fields),
                EventItem.revision.set(revision + 1),
                EventItem.updated_at.set(now),
            ],
            condition=EventItem.revision == revision,
        )
        t.save(log.entry(action, "event", item.event_id, field_id=field_id))
    item.custom_fields = fields
    item.revision = revision + 1
    item.updated_at = now


def list_fields(owner_id: str, event_id: str) -> list[dict[str, Any]]:
    return sorted_fields(list(owned_event(owner_id, event_id).custom_fields or []))


def _find(item: EventItem, field_id: str) -> tuple[int, dict[str, Any]]:
    for i, f in enumerate(item.custom_fields or []):
        if f["field_id"] == field_id:
            return i, f
    raise NotFound("The custom field does not exist.")


def create_field(
    *, owner_id: str, event_id: str, data: dict[str, Any], meta: RequestMeta, deps: Deps
) -> dict[str, Any]:
    item = owned_event(owner_id, event_id)
    fields = list(item.custom_fields or [])
    if len(fields) >= MAX_FIELDS:
        raise Conflict(f"An event can have at most {MAX_FIELDS} custom fields.", code="too_many_fields")
    position = data.get("position")
    if position is None:
        position = max((int(f.get("position", 0)) for f in fields), default=-1) + 1
    field = {
        "field_id": deps.ids(),
        "label": data["label"],
        "type": data["type"],
        "required": bool(data.get("required", False)),
        "options": list(data.get("options") or []),
        "help_text": data.get("help_text") or "",
        "position": int(position),
    }
    check_field(field)
    _write(item, [*fields, field], "lectern.event.custom_field_added", field["field_id"], meta, deps)
    return field


def update_field(
    *, owner_id: str, event_id: str, field_id: str, changes: dict[str, Any], meta: RequestMeta, deps: Deps
) -> dict[str, Any]:
    item = owned_event(owner_id, event_id)
    index, current = _find(item, field_id)
    if not changes:
        return current
    field = {
        **current,
        **{k: (list(v) if k == "options" and v is not None else v) for k, v in changes.items()},
    }
    if field.get("options") is None:
        field["options"] = []
    if field.get("help_text") is None:
        field["help_text"] = ""
    check_field(field)
    fields = list(item.custom_fields or [])
    fields[index] = field
    _write(item, fields, "lectern.event.custom_field_changed", field_id, meta, deps)
    return field


def delete_field(*, owner_id: str, event_id: str, field_id: str, meta: RequestMeta, deps: Deps) -> None:
    item = owned_event(owner_id, event_id)
    index, _ = _find(item, field_id)
    fields = list(item.custom_fields or [])
    del fields[index]
    _write(item, fields, "lectern.event.custom_field_removed", field_id, meta, deps)
