"""Mail: the SES configuration set every message goes through, and its feedback path
(docs/decisions/0007): bounce and complaint events → EventBridge (SES publishes to the account's
default bus only) → a rule matching this stage's configuration set → SQS (+ DLQ) → the
mail-feedback function, which suppresses permanently bounced and complaining addresses.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.functions import Access, Shared, configuration_set_name, route_group_function
from infra.nag import acknowledge
from infra.staging import stage_module

FEEDBACK_HANDLER = "functions.workers.mail_feedback.lambda_handler"
FEEDBACK_EVENTS = [ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT]
FEEDBACK_DETAIL_TYPES = ["Email Bounced", "Email Complaint Received"]
FEEDBACK_ACCESS = Access(table_actions=("dynamodb:PutItem",))  # suppression: one conditional put
FEEDBACK_TIMEOUT_SECONDS = 15
MAX_RECEIVE_COUNT = 5


def _queue(scope: Construct, id: str, name: str, **props: object) -> sqs.Queue:
    return sqs.Queue(
        scope,
        id,
        queue_name=name,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        **props,  # type: ignore[arg-type]
    )


class Mail(Construct):
    def __init__(self, scope: Construct, id: str, *, shared: Shared) -> None:
        super().__init__(scope, id)
        stage = shared.stage
        self.configuration_set_name = configuration_set_name(stage)
        self.configuration_set = ses.ConfigurationSet(
            self,
            "ConfigurationSet",
            configuration_set_name=self.configuration_set_name,
            reputation_metrics=True,
        )
        default_bus = events.EventBus.from_event_bus_name(self, "DefaultBus", "default")
        self.configuration_set.add_event_destination(
            "Feedback",
            configuration_set_event_destination_name=f"lectern-{stage}-feedback",
            destination=ses.EventDestination.event_bus(default_bus),
            events=FEEDBACK_EVENTS,
        )

        self.dead_letters = _queue(
            self,
            "FeedbackDeadLetters",
            f"lectern-{stage}-mail-feedback-dlq",
            retention_period=Duration.days(14),
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.dead_letters,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the mail-feedback queue; a DLQ for it adds "
            "nothing.",
        )
        self.queue = _queue(
            self,
            "FeedbackQueue",
            f"lectern-{stage}-mail-feedback",
            visibility_timeout=Duration.seconds(6 * FEEDBACK_TIMEOUT_SECONDS),
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=MAX_RECEIVE_COUNT, queue=self.dead_letters
            ),
        )
        self.rule = events.Rule(
            self,
            "FeedbackRule",
            rule_name=f"lectern-{stage}-mail-feedback",
            description=f"SES bounces and complaints of configuration set {self.configuration_set_name}",
            event_bus=default_bus,
            event_pattern=events.EventPattern(
                source=["aws.ses"],
                detail_type=FEEDBACK_DETAIL_TYPES,
                detail={"mail": {"tags": {"ses:configuration-set": [self.configuration_set_name]}}},
            ),
            targets=[targets.SqsQueue(self.queue, dead_letter_queue=self.dead_letters)],
        )
        self.function = route_group_function(
            self,
            "Feedback",
            name="mail-feedback",
            handler=FEEDBACK_HANDLER,
            code_dir=stage_module(FEEDBACK_HANDLER.rpartition(".")[0]),
            shared=shared,
            access=FEEDBACK_ACCESS,
            description="Lectern mail feedback: SES permanent bounces and complaints → the suppression list",
        )
        self.function.add_event_source(
            sources.SqsEventSource(self.queue, batch_size=10, report_batch_item_failures=True)
        )

    @property
    def functions(self) -> dict[str, lambda_.Function]:
        return {"mail-feedback": self.function}
