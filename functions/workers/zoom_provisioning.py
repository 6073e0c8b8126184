"""The Zoom provisioning worker: publishing an online event (or adding a session) creates its
Zoom meetings; each confirmed registration becomes a Zoom registrant with a personal join link
(lectern.zoom.provisioning).

SQS batch with partial failures: a record whose Zoom call is rate-limited or fails on Zoom's
side (429/5xx, timeouts) raises, so only that record is retried (then dead-lettered); every
step is idempotent, so a redelivery finds the ids it stored and does nothing again.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from lectern.deps import Deps, default_deps
from lectern.integrations import zoom
from lectern.zoom import provisioning

logger = Logger(service="zoom-provisioning")
# A batch whose every record failed answers all of them in batchItemFailures too (not an
# invocation error): the same retry, and the failures stay per record in the logs.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def handle(event: dict[str, Any], deps: Deps, gateway: zoom.Gateway | None = None) -> str:
    """One EventBridge event (as delivered in the SQS body). Returns what was done."""
    kind = str(event.get("detail-type") or "")
    if event.get("source") != "lectern":
        return "ignored"
    data = (event.get("detail") or {}).get("data") or {}
    return provisioning.handle(kind, data, gateway=gateway or zoom.gateway(ids=deps.ids), deps=deps)


def _record(record: SQSRecord) -> None:
    event = json.loads(record.body)
    outcome = handle(event, default_deps())
    logger.info("processed", extra={"detail_type": event.get("detail-type"), "outcome": outcome})


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(event=event, record_handler=_record, processor=processor, context=context)
    )
