"""SES feedback → the suppression list (docs/decisions/0007-reminders-bulk-throttle-mail-feedback.md).

Every message goes through the deployment's SES configuration set; its event destination sends
bounce and complaint events to EventBridge (the default bus, source `aws.ses`), and a rule there
queues them (SQS + DLQ) for this function. A *permanent* bounce or any complaint suppresses each
affected address (lectern.integrations.suppression.suppress: one conditional PutItem each,
idempotent), so bulk mail (invitations, reminders) never goes to it again. Transient bounces
(mailbox full, auto-replies) suppress nothing.

The parser also reads the other shapes SES feedback arrives in — an SNS notification (its
`Message` a JSON string), the SQS body around either, identity notifications (`notificationType`
instead of `eventType`) — so moving the destination to SNS later needs no code change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lectern.consumers import sqs_consumer
from lectern.deps import Deps
from lectern.integrations.suppression import suppress


@dataclass(frozen=True)
class Feedback:
    email: str
    reason: str  # bounce | complaint
    detail: str  # e.g. "Permanent/General", "abuse"
    at: datetime


def _json(value: Any) -> Any:
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _record(event: Any) -> dict[str, Any] | None:
    """The SES event/notification record inside whatever envelope carried it."""
    event = _json(event)
    for _ in range(4):  # SQS body → SNS notification → SES record; or EventBridge → detail
        if not isinstance(event, dict):
            return None
        if "eventType" in event or "notificationType" in event:
            return event
        if event.get("source") == "aws.ses" and "detail" in event:
            event = _json(event["detail"])
        elif event.get("Type") == "Notification" and "Message" in event:
            event = _json(event["Message"])
        elif "body" in event:
            event = _json(event["body"])
        else:
            return None
    return None


def _when(raw: Any, fallback: datetime) -> datetime:
    if isinstance(raw, str) and raw:
        try:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        except ValueError:
            pass
    return fallback


def _addresses(entries: Any) -> list[str]:
    out = []
    for entry in entries if isinstance(entries, list) else []:
        address = entry.get("emailAddress") if isinstance(entry, dict) else None
        if isinstance(address, str) and "@" in address:
            # "Ada <ada@example.org>" is allowed by SES: keep the address only.
            out.append(address.rsplit("<", 1)[-1].rstrip(">").strip())
    return out


def parse(event: Any, now: datetime) -> list[Feedback]:
    """The addresses an SES notification says to suppress (empty for anything else)."""
    record = _record(event)
    if record is None:
        return []
    kind = str(record.get("eventType") or record.get("notificationType") or "")
    if kind == "Bounce":
        bounce = record.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return []  # Transient / Undetermined: try again next time
        detail = f"Permanent/{bounce.get('bounceSubType') or 'General'}"
        at = _when(bounce.get("timestamp"), now)
        return [Feedback(a, "bounce", detail, at) for a in _addresses(bounce.get("bouncedRecipients"))]
    if kind == "Complaint":
        complaint = record.get("complaint") or {}
        detail = str(complaint.get("complaintFeedbackType") or "complaint")
        at = _when(complaint.get("timestamp"), now)
        return [
            Feedback(a, "complaint", detail, at) for a in _addresses(complaint.get("complainedRecipients"))
        ]
    return []


def handle(event: dict[str, Any], deps: Deps) -> str:
    """One SES event (as delivered in the SQS body). Returns what was done."""
    found = parse(event, deps.clock.now())
    for f in found:
        suppress(f.email, f.reason, f.at, f.detail)
    return f"suppressed:{len(found)}" if found else "ignored"


lambda_handler = sqs_consumer("mail-feedback", handle)
