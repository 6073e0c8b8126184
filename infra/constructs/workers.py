"""Workers: the bus consumers of functions/consumers.py, each wired EventBridge rule → SQS queue
(+ DLQ) → Lambda — the wiring local mode mirrors with pollers (local/events.py).

Per consumer: a dead-letter queue, a queue (TLS only, SQS-managed encryption, visibility 6 times the
function timeout as AWS recommends for event source mappings, redrive to the DLQ after the
consumer's `max_receive_count`), a rule on the application bus with the consumer's pattern
verbatim (it may use `$or` and other content filters), and the function, fed by an event source
mapping that reports batch item failures (one bad record is retried alone). Events the rule
cannot deliver to the queue go to the bus's dead-letter queue.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.consumers import Consumer
from infra import runtime
from infra.constructs.functions import ROUTE_GROUP_ACCESS, Shared, route_group_function
from infra.nag import acknowledge
from infra.staging import stage_module

# Workers do what route groups do (table, indexes, bus, mail, app secret) and talk to Zoom.
WORKER_ACCESS = replace(ROUTE_GROUP_ACCESS, zoom_secret=True)
VISIBILITY_TIMEOUT = Duration.seconds(6 * runtime.TIMEOUT_SECONDS)
QUEUE_RETENTION = Duration.days(4)
DLQ_RETENTION = Duration.days(14)
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def construct_id(name: str) -> str:
    """`zoom-provisioning` → `ZoomProvisioning`."""
    return "".join(part.title() for part in name.split("-"))


def _queue(scope: Construct, id: str, name: str, **props: Any) -> sqs.Queue:
    """A queue as every Lectern queue is: SQS-managed encryption, TLS only."""
    return sqs.Queue(
        scope, id, queue_name=name, encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True, **props
    )


class Worker(Construct):
    def __init__(self, scope: Construct, id: str, *, consumer: Consumer, shared: Shared, bus_dlq: sqs.IQueue):
        super().__init__(scope, id)
        c, stage = consumer, shared.stage
        self.consumer = c
        self.dead_letters = _queue(
            self,
            "DeadLetters",
            f"lectern-{stage}-{c.name}-dlq",
            retention_period=DLQ_RETENTION,
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.dead_letters,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the worker's queue; a DLQ for it adds nothing.",
        )
        self.queue = _queue(
            self,
            "Queue",
            f"lectern-{stage}-{c.name}",
            visibility_timeout=VISIBILITY_TIMEOUT,
            retention_period=QUEUE_RETENTION,
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=c.max_receive_count, queue=self.dead_letters
            ),
        )
        self.rule = events.Rule(
            self,
            "Rule",
            rule_name=f"lectern-{stage}-{c.name}",
            description=(c.description or f"Events for the {c.name} worker")[:512],
            event_bus=shared.bus,
            # A placeholder for the L2 construct; the consumer's own pattern replaces it below.
            event_pattern=events.EventPattern(source=["lectern"]),
            targets=[targets.SqsQueue(self.queue, dead_letter_queue=bus_dlq)],
        )
        rule_resource = self.rule.node.default_child
        assert isinstance(rule_resource, events.CfnRule)
        rule_resource.event_pattern = c.pattern  # replaces (does not merge with) the placeholder
        module = c.handler.rpartition(".")[0]
        self.function = route_group_function(
            self,
            "Worker",
            name=f"{c.name}-worker",
            handler=c.handler,
            code_dir=stage_module(module),
            shared=shared,
            access=WORKER_ACCESS,
            description=f"Lectern {c.name} worker: {c.description}"[:256],
        )
        self.function.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=c.batch_size,
                # SQS batches above 10 records need a batching window.
                max_batching_window=Duration.seconds(1) if c.batch_size > 10 else None,
                report_batch_item_failures=True,
            )
        )


class Workers(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        consumers: Sequence[Consumer],
        shared: Shared,
        bus_dlq: sqs.IQueue,
    ) -> None:
        super().__init__(scope, id)
        names = [c.name for c in consumers]
        for name in names:
            if not _NAME.match(name) or names.count(name) > 1:
                raise ValueError(f"consumer name {name!r}: unique, lower-case words joined by '-'")
        self.workers = {
            c.name: Worker(self, construct_id(c.name), consumer=c, shared=shared, bus_dlq=bus_dlq)
            for c in consumers
        }

    @property
    def functions(self) -> dict[str, lambda_.Function]:
        return {f"{name}-worker": w.function for name, w in self.workers.items()}

    @property
    def dead_letter_queues(self) -> dict[str, sqs.IQueue]:
        return {name: w.dead_letters for name, w in self.workers.items()}
