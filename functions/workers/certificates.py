"""Automatic certificates: `lectern.event.completed` → when the event has
`auto_issue_certificates`, an issue run for every eligible registration
(lectern.certificates.pipeline.auto_issue).

Idempotent: the automatic run's id is derived from the event's, created with a condition and
started under that name, so a redelivered completion starts nothing new (and a start that
failed before is tried again).
"""

from __future__ import annotations

from typing import Any

from lectern.certificates import pipeline
from lectern.consumers import sqs_consumer
from lectern.deps import Deps


def handle(event: dict[str, Any], deps: Deps) -> str:
    """One EventBridge event (as delivered in the SQS body). Returns what was done."""
    if event.get("source") != "lectern" or event.get("detail-type") != "lectern.event.completed":
        return "ignored"
    data = (event.get("detail") or {}).get("data") or {}
    event_id = str(data.get("event_id") or "")
    if not event_id:
        return "dropped"
    return pipeline.auto_issue(event_id, deps)


lambda_handler = sqs_consumer("certificates", handle)
