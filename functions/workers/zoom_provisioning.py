"""The Zoom provisioning worker: publishing an online event (or adding a session) creates its
Zoom meetings; each confirmed registration becomes a Zoom registrant with a personal join link
(lectern.zoom.provisioning).

SQS batch with partial failures: a record whose Zoom call is rate-limited or fails on Zoom's
side (429/5xx, timeouts) raises, so only that record is retried (then dead-lettered); every
step is idempotent, so a redelivery finds the ids it stored and does nothing again.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from lectern.consumers import sqs_consumer
from lectern.deps import Deps
from lectern.integrations import zoom
from lectern.zoom import provisioning

logger = Logger(service="zoom-provisioning")


def handle(event: dict[str, Any], deps: Deps, gateway: zoom.Gateway | None = None) -> str:
    """One EventBridge event (as delivered in the SQS body). Returns what was done."""
    kind = str(event.get("detail-type") or "")
    if event.get("source") != "lectern":
        return "ignored"
    data = (event.get("detail") or {}).get("data") or {}
    return provisioning.handle(kind, data, gateway=gateway or zoom.gateway(ids=deps.ids), deps=deps)


lambda_handler = sqs_consumer("zoom-provisioning", handle)
