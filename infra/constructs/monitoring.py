"""Monitoring: alarms on API 5xx, function errors, webhook 5xx, dead letters and failed or timed-out
state machine executions, published to one SNS topic."""

from __future__ import annotations

import re
from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

API_5XX_THRESHOLD = 5  # in 5 minutes
FUNCTION_ERRORS_THRESHOLD = 1  # in 5 minutes
# A webhook answering 5xx did not record a delivery (the provider retries, then gives up).
WEBHOOK_5XX_THRESHOLD = 1  # in 5 minutes


def alarm_id(name: str) -> str:
    """`zoom-webhook` → `ZoomWebhook` (construct ids of the alarms)."""
    return "".join(part.title() for part in re.split(r"[^A-Za-z0-9]+", name))


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        stage: str,
        api: apigw.RestApi,
        functions: Mapping[str, lambda_.IFunction],
        dead_letter_queues: Mapping[str, sqs.IQueue],
        alarm_email: str | None,
        function_urls: Mapping[str, lambda_.IFunction] | None = None,
        state_machines: Mapping[str, sfn.IStateMachine] | None = None,
    ) -> None:
        super().__init__(scope, id)
        # CloudWatch can publish to an encrypted topic only with a customer managed key whose
        # policy lets it use the key (the AWS managed aws/sns key does not).
        self.key = kms.Key(
            self,
            "AlarmTopicKey",
            description=f"lectern-{stage}: encrypts the alarm topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
            )
        )
        self.topic = sns.Topic(
            self,
            "Alarms",
            topic_name=f"lectern-{stage}-alarms",
            display_name=f"Lectern {stage} alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))

        self.alarms: list[cloudwatch.Alarm] = []
        self._alarm(
            "Api5xx",
            api.metric_server_error(period=Duration.minutes(5), statistic="Sum"),
            threshold=API_5XX_THRESHOLD,
            description=f"lectern-{stage}: the API answered {API_5XX_THRESHOLD}+ 5xx in 5 minutes",
        )
        for name, fn in functions.items():
            self._alarm(
                f"{alarm_id(name)}Errors",
                fn.metric_errors(period=Duration.minutes(5), statistic="Sum"),
                threshold=FUNCTION_ERRORS_THRESHOLD,
                description=f"lectern-{stage}: the {name} function failed (unhandled error or timeout)",
            )
        for name, queue in dead_letter_queues.items():
            self._alarm(
                f"{alarm_id(name)}DeadLetters",
                queue.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(5), statistic="Maximum"
                ),
                threshold=1,
                description=f"lectern-{stage}: messages are waiting in the {name} dead-letter queue",
            )
        for name, fn in (function_urls or {}).items():
            self._alarm(
                f"{alarm_id(name)}Url5xx",
                cloudwatch.Metric(
                    namespace="AWS/Lambda",
                    metric_name="Url5xxCount",
                    dimensions_map={"FunctionName": fn.function_name},
                    period=Duration.minutes(5),
                    statistic="Sum",
                ),
                threshold=WEBHOOK_5XX_THRESHOLD,
                description=f"lectern-{stage}: the {name} URL answered 5xx (deliveries not recorded)",
            )

        # An execution fails when a pipeline fails as a whole (one person's failure does not
        # fail it: that is in the run's report), or times out.
        for name, machine in (state_machines or {}).items():
            self._alarm(
                f"{alarm_id(name)}ExecutionsFailed",
                machine.metric_failed(period=Duration.minutes(5), statistic="Sum"),
                threshold=1,
                description=f"lectern-{stage}: an execution of the {name} state machine failed",
            )
            self._alarm(
                f"{alarm_id(name)}ExecutionsTimedOut",
                machine.metric_timed_out(period=Duration.minutes(5), statistic="Sum"),
                threshold=1,
                description=f"lectern-{stage}: an execution of the {name} state machine timed out",
            )

    def _alarm(self, id: str, metric: cloudwatch.IMetric, *, threshold: float, description: str) -> None:
        alarm = cloudwatch.Alarm(
            self,
            id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        alarm.add_ok_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)
