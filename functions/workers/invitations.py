"""Invitation mails and large contact-list runs (lectern.invitations.delivery).

* `lectern.invitation.mail_requested` {event_id, emails (≤ 25)} → each invitation that still owes
  a mail is claimed (conditional update) and mailed: never twice, even when SQS redelivers.
* `lectern.invitation.run_requested` {event_id, run_id, step} → one page of a contact list's
  invitation run, then the next step.
"""

from __future__ import annotations

from typing import Any

from lectern.consumers import sqs_consumer
from lectern.deps import Deps
from lectern.invitations import delivery, service


def handle(event: dict[str, Any], deps: Deps) -> str:
    """One EventBridge event (as delivered in the SQS body). Returns what was done."""
    if event.get("source") != "lectern":
        return "ignored"
    detail = event.get("detail") or {}
    data = detail.get("data") or {}
    event_id = str(data.get("event_id") or "")
    if not event_id:
        return "dropped"
    kind = event.get("detail-type")
    if kind == service.MAIL_REQUESTED:
        emails = [str(e) for e in data.get("emails") or []]
        return delivery.deliver(event_id, emails, deps) if emails else "dropped"
    if kind == service.RUN_REQUESTED:
        run_id = str(data.get("run_id") or "")
        if not run_id:
            return "dropped"
        return delivery.run_step(
            event_id, run_id, int(data.get("step") or 0), deps, str(detail.get("correlation_id") or "")
        )
    return "ignored"


lambda_handler = sqs_consumer("invitations", handle)
