"""The scaffolding every bus consumer shares (functions/workers/*): an SQS batch of EventBridge
events, one record at a time, partial failures reported (`batchItemFailures`) so only a failing
record is retried and then dead-lettered.

A worker module is just its `handle(event, deps) -> outcome` and
`lambda_handler = sqs_consumer("name", handle)`. (It lives in the layer because each worker is
deployed as its own module, alone.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from lectern.deps import Deps, default_deps

Handle = Callable[[dict[str, Any], Deps], str]


def sqs_consumer(service: str, handle: Handle) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    logger = Logger(service=service)
    # A batch whose every record failed answers all of them in batchItemFailures too (not an
    # invocation error): the same retry, and the failures stay per record in the logs.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

    def record_handler(record: SQSRecord) -> None:
        event = json.loads(record.body)
        outcome = handle(event, default_deps())
        logger.info("processed", extra={"detail_type": event.get("detail-type"), "outcome": outcome})

    @logger.inject_lambda_context
    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return dict(
            process_partial_response(
                event=event, record_handler=record_handler, processor=processor, context=context
            )
        )

    return lambda_handler
