"""Reminders follow their event: `lectern.event.updated` (the start or end moved) re-arms each
reminder for its new time with `generation + 1`; `lectern.event.cancelled` disarms them
(lectern.reminders.service.reschedule). A deleted event (drafts only, no bus event) is disarmed by
the sweep, which finds no event. Idempotent: the reminders are compared with the
event as it is now, so a redelivered or out-of-order bus event writes nothing more.
"""

from __future__ import annotations

from typing import Any

from lectern.consumers import sqs_consumer
from lectern.deps import Deps
from lectern.reminders import service

TIME_FIELDS = {"starts_at", "ends_at"}
HANDLED = {"lectern.event.updated", "lectern.event.cancelled"}


def handle(event: dict[str, Any], deps: Deps) -> str:
    """One EventBridge event (as delivered in the SQS body). Returns what was done."""
    kind = event.get("detail-type")
    if event.get("source") != "lectern" or kind not in HANDLED:
        return "ignored"
    data = (event.get("detail") or {}).get("data") or {}
    event_id = str(data.get("event_id") or "")
    if not event_id:
        return "dropped"
    fields = data.get("fields")
    if kind == "lectern.event.updated" and isinstance(fields, list) and not TIME_FIELDS & set(fields):
        return "unchanged"  # a title or capacity edit: no reminder moves
    return service.reschedule(event_id, deps)


lambda_handler = sqs_consumer("reminders", handle)
