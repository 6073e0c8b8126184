"""EventBridge → SQS → consumer, the production wiring, mirrored on the embedded emulator.

moto matches EventBridge rules and delivers to SQS targets, but never invokes Lambda targets
(and event source mappings do not exist). So, for each consumer, local mode creates what the
CDK app deploys — a queue (with a DLQ) and a rule on the bus with the consumer's pattern
targeting the queue — and a poller thread stands in for the event source mapping: it receives
batches, invokes the consumer's handler in-process with the SQS event shape
(`{"Records": [...]}`), deletes what succeeded (honouring `batchItemFailures`, i.e.
ReportBatchItemFailures) and leaves the rest to reappear after the visibility timeout, then
to land in the DLQ after `max_receive_count` attempts.

Pollers never long-poll (moto sleeps inside the request, holding the emulator's lock); they
wait on the emulator's doorbell, rung on every PutEvents/SendMessage, with a slow idle poll as
a safety net.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from functions.consumers import CONSUMERS, Consumer
from local.emulator import Doorbell
from local.runtime import Function

log = logging.getLogger("lectern.local.events")


# The consumers the CDK app wires to the bus: one list for both (functions/consumers.py).
WIRING: tuple[Consumer, ...] = CONSUMERS


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """An SQS message as Lambda's event source mapping hands it over."""
    attrs = message.get("Attributes", {})
    body = message.get("Body", "")
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": attrs.get("ApproximateReceiveCount", "1"),
            "SentTimestamp": attrs.get("SentTimestamp", str(int(time.time() * 1000))),
            "SenderId": attrs.get("SenderId", "AIDAIENQZJOLO23YVJ4VO"),
            "ApproximateFirstReceiveTimestamp": attrs.get(
                "ApproximateFirstReceiveTimestamp", str(int(time.time() * 1000))
            ),
        },
        "messageAttributes": {
            k: {
                "stringValue": v.get("StringValue"),
                "binaryValue": v.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": v.get("DataType", "String"),
            }
            for k, v in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(body.encode()).hexdigest(),  # noqa: S324
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


@dataclass
class _Wired:
    consumer: Consumer
    queue_url: str
    queue_arn: str
    dlq_url: str
    function: Function


def wire(
    consumers: Sequence[Consumer], *, bus: str, region: str, prefix: str = "lectern-local"
) -> list[_Wired]:
    """Create each consumer's queue, DLQ and rule (idempotent)."""
    from lectern import aws

    sqs, events = aws.client("sqs"), aws.client("events")
    wired: list[_Wired] = []
    for c in consumers:
        dlq_url = sqs.create_queue(QueueName=f"{prefix}-{c.name}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        queue_url = sqs.create_queue(
            QueueName=f"{prefix}-{c.name}",
            Attributes={
                "VisibilityTimeout": str(c.visibility_timeout),
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": c.max_receive_count}
                ),
            },
        )["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        rule = f"{prefix}-{c.name}"
        events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps(c.pattern), State="ENABLED")
        events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "queue", "Arn": queue_arn}])
        wired.append(
            _Wired(c, queue_url, queue_arn, dlq_url, Function(f"{prefix}-{c.name}", c.handler, region=region))
        )
    return wired


@dataclass
class Pollers:
    """The running pollers; `stop()` ends them (each finishes the batch in hand)."""

    wired: list[_Wired]
    threads: list[threading.Thread] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    doorbell: Doorbell | None = None

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        if self.doorbell is not None:
            self.doorbell.ring()
        for t in self.threads:
            t.join(timeout)

    def names(self) -> list[str]:
        return [w.consumer.name for w in self.wired]


def _poll(
    w: _Wired,
    pollers: Pollers,
    region: str,
    idle_seconds: float,
    on_error: Callable[[str, BaseException], None],
) -> None:
    from lectern import aws

    sqs = aws.client("sqs")
    doorbell = pollers.doorbell
    seen = doorbell.generation if doorbell else 0
    while not pollers.stopping.is_set():
        try:
            got = sqs.receive_message(
                QueueUrl=w.queue_url,
                MaxNumberOfMessages=max(1, min(10, w.consumer.batch_size)),
                WaitTimeSeconds=0,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
        except Exception as exc:  # noqa: BLE001 - emulator shutting down or a transient error
            if pollers.stopping.is_set():
                return
            on_error(w.consumer.name, exc)
            pollers.stopping.wait(1.0)
            continue
        if not got:
            if doorbell is not None:
                seen = doorbell.wait(seen, idle_seconds)
            else:
                pollers.stopping.wait(idle_seconds)
            continue
        records = [sqs_record(m, w.queue_arn, region) for m in got]
        try:
            result = w.function.invoke({"Records": records})
        except Exception as exc:  # noqa: BLE001 - the whole batch failed: retried after the timeout
            on_error(w.consumer.name, exc)
            continue
        failures = (result.get("batchItemFailures") or []) if isinstance(result, dict) else []
        failed = {str(f.get("itemIdentifier")) for f in failures}
        done = [r for r in records if r["messageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            sqs.delete_message_batch(
                QueueUrl=w.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)],
            )


def _default_on_error(name: str, exc: BaseException) -> None:
    print(f"[events] consumer {name} failed: {exc!r}\n{''.join(traceback.format_exception(exc))}", flush=True)


def start(
    consumers: Iterable[Consumer] | None = None,
    *,
    bus: str,
    region: str,
    doorbell: Doorbell | None = None,
    idle_seconds: float = 2.0,
    on_error: Callable[[str, BaseException], None] = _default_on_error,
) -> Pollers:
    """Wire the consumers (default: WIRING) and start one poller thread per consumer."""
    wired = wire(list(WIRING if consumers is None else consumers), bus=bus, region=region)
    pollers = Pollers(wired, doorbell=doorbell)
    for w in wired:
        t = threading.Thread(
            target=_poll,
            args=(w, pollers, region, idle_seconds, on_error),
            name=f"poller-{w.consumer.name}",
            daemon=True,
        )
        t.start()
        pollers.threads.append(t)
    return pollers
