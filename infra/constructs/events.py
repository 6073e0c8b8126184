"""Events: the application bus (with an archive for replay) and the dead-letter queue for its
targets (workers and pipelines attach their rules here)."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.nag import acknowledge

ARCHIVE_RETENTION_DAYS = 30


class Events(Construct):
    def __init__(self, scope: Construct, id: str, *, stage: str) -> None:
        super().__init__(scope, id)
        self.bus = events.EventBus(self, "Bus", event_bus_name=f"lectern-{stage}")
        self.archive = self.bus.archive(
            "Archive",
            description=f"Every event on lectern-{stage}, for replay after a consumer bug",
            event_pattern=events.EventPattern(account=[Stack.of(self).account]),
            retention=Duration.days(ARCHIVE_RETENTION_DAYS),
        )
        self.dlq = sqs.Queue(
            self,
            "DeadLetters",
            queue_name=f"lectern-{stage}-events-dlq",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.dlq,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the bus's targets; a DLQ for it adds nothing.",
        )
