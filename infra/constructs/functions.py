"""Functions: one helper builds every Lambda (route groups, authorizer, webhooks, workers) alike.

Runtime, arm64, memory, timeout, JSON logs (powertools), active tracing, a log group with
retention, the shared layer, the `LECTERN_*` settings, and a role of its own that holds exactly
the actions its `Access` grants (no managed policies).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra import runtime
from infra.nag import acknowledge

RUNTIME = {"3.11": lambda_.Runtime.PYTHON_3_11, "3.12": lambda_.Runtime.PYTHON_3_12}[runtime.PYTHON_VERSION]
ARCHITECTURE = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}[
    runtime.ARCHITECTURE
]

# Item actions of the single table. Transactions need no actions of their own: a
# TransactWriteItems is authorised as the Put/Update/Delete/ConditionCheckItem it contains.
TABLE_ACTIONS: tuple[str, ...] = (
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
)
INDEX_ACTIONS: tuple[str, ...] = ("dynamodb:Query",)


@dataclass(frozen=True)
class Access:
    """What one function may do, beyond writing its own logs and traces."""

    table_actions: tuple[str, ...] = ()
    index_actions: tuple[str, ...] = ()
    mail: bool = False  # ses:SendRawEmail (lectern.integrations.mail) as the configured sender
    bus: bool = False  # events:PutEvents on the application bus
    secret: bool = False  # secretsmanager:GetSecretValue on the app secret
    zoom_secret: bool = False  # secretsmanager:GetSecretValue on the Zoom secret (lectern.zoom.credentials)
    file_actions: tuple[str, ...] = ()  # on `file_prefixes` of the files bucket
    file_prefixes: tuple[str, ...] = ()


ROUTE_GROUP_ACCESS = Access(
    table_actions=TABLE_ACTIONS, index_actions=INDEX_ACTIONS, mail=True, bus=True, secret=True
)
# Groups that differ from ROUTE_GROUP_ACCESS. A group that serves files adds e.g.
# Access(..., file_actions=("s3:GetObject", "s3:PutObject"), file_prefixes=("events/",)).
GROUP_ACCESS: Mapping[str, Access] = {
    "meta": Access(),  # health, OpenAPI document, docs: reads only its own package
    # the organiser's Zoom connection: OAuth with the Zoom app's client id and secret
    "integrations": replace(ROUTE_GROUP_ACCESS, zoom_secret=True),
}
# Verifies the token (app secret) and that the session still exists (one GetItem).
AUTHORIZER_ACCESS = Access(table_actions=("dynamodb:GetItem",), secret=True)


def access_for(group: str) -> Access:
    return GROUP_ACCESS.get(group, ROUTE_GROUP_ACCESS)


@dataclass(frozen=True)
class Shared:
    """What every function is wired to."""

    stage: str
    layer: lambda_.ILayerVersion
    table: dynamodb.ITable
    index_names: tuple[str, ...]
    files: s3.IBucket
    bus: events.IEventBus
    app_secret: secretsmanager.ISecret
    zoom_secret: secretsmanager.ISecret
    mail_from: str
    sender_address: str
    sender_domain: str
    environment: Mapping[str, str]


def configuration_set_name(stage: str) -> str:
    """The SES configuration set every message goes through (infra/constructs/mail.py)."""
    return f"lectern-{stage}"


def lectern_environment(
    *,
    stage: str,
    table: dynamodb.ITable,
    files: s3.IBucket,
    bus: events.IEventBus,
    app_secret_name: str,
    zoom_secret_name: str,
    cors_origins: tuple[str, ...],
    mail_from: str,
    app_base_url: str,
    region: str,
) -> dict[str, str]:
    """Every `LECTERN_*` setting of lectern.config.Settings, for every function."""
    return {
        "LECTERN_STAGE": stage,
        "LECTERN_REGION": region,
        "LECTERN_TABLE_NAME": table.table_name,
        "LECTERN_FILES_BUCKET": files.bucket_name,
        "LECTERN_EVENT_BUS_NAME": bus.event_bus_name,
        "LECTERN_APP_SECRET_NAME": app_secret_name,
        "LECTERN_ZOOM_SECRET_NAME": zoom_secret_name,
        "LECTERN_CORS_ORIGINS": json.dumps(list(cors_origins)),
        "LECTERN_MAIL_FROM": mail_from,
        "LECTERN_APP_BASE_URL": app_base_url,
        "LECTERN_SES_CONFIGURATION_SET": configuration_set_name(stage),
    }


def route_group_function(
    scope: Construct,
    id: str,
    *,
    name: str,
    handler: str,
    code_dir: Path,
    shared: Shared,
    access: Access,
    description: str,
) -> lambda_.Function:
    """The one way a Lectern function is built (route groups, the authorizer, webhooks, workers)."""
    function_name = f"lectern-{shared.stage}-{name}"
    holder = Construct(scope, id)
    log_group = logs.LogGroup(
        holder,
        "Logs",
        log_group_name=f"/aws/lambda/{function_name}",
        retention=_retention(runtime.LOG_RETENTION_DAYS),
        removal_policy=RemovalPolicy.RETAIN,
    )
    role = iam.Role(
        holder,
        "Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"{function_name}: exactly what the {name} function calls",
    )
    fn = lambda_.Function(
        holder,
        "Function",
        function_name=function_name,
        description=description,
        runtime=RUNTIME,
        architecture=ARCHITECTURE,
        handler=handler,
        code=lambda_.Code.from_asset(str(code_dir)),
        layers=[shared.layer],
        memory_size=runtime.MEMORY_MB_BY_FUNCTION.get(name, runtime.MEMORY_MB),
        timeout=Duration.seconds(runtime.TIMEOUT_SECONDS_BY_FUNCTION.get(name, runtime.TIMEOUT_SECONDS)),
        tracing=lambda_.Tracing.ACTIVE,
        log_group=log_group,
        role=role,
        environment={
            **shared.environment,
            "POWERTOOLS_SERVICE_NAME": name,
            "POWERTOOLS_LOG_LEVEL": "INFO",
            "POWERTOOLS_METRICS_NAMESPACE": "Lectern",
            # responses carry tokens and personal data: never copy them into X-Ray
            "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
        },
    )
    acknowledge(
        fn,
        "AwsSolutions-L1",
        f"python{runtime.PYTHON_VERSION} is chosen deliberately (docs/decisions/0003-infra.md): the code is "
        "kept 3.11-compatible and the layer's wheels and bytecode are built for exactly this version.",
    )
    grant(fn, role, log_group, shared, access)
    return fn


def grant(
    fn: lambda_.Function, role: iam.Role, log_group: logs.ILogGroup, shared: Shared, access: Access
) -> None:
    stack = Stack.of(fn)
    role.add_to_policy(
        iam.PolicyStatement(
            sid="OwnLogs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn],
        )
    )
    # Active tracing: CDK adds xray:PutTraceSegments/PutTelemetryRecords, which take no resource.
    acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::*]",
        "X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions (AWS requires '*').",
    )
    if access.table_actions:
        role.add_to_policy(
            iam.PolicyStatement(
                sid="Table", actions=list(access.table_actions), resources=[shared.table.table_arn]
            )
        )
    if access.index_actions:
        role.add_to_policy(
            iam.PolicyStatement(
                sid="TableIndexes",
                actions=list(access.index_actions),
                resources=[f"{shared.table.table_arn}/index/{name}" for name in shared.index_names],
            )
        )
    if access.mail:
        role.add_to_policy(
            iam.PolicyStatement(
                sid="SendMail",
                actions=["ses:SendRawEmail"],
                resources=[
                    stack.format_arn(service="ses", resource="identity", resource_name=shared.sender_domain),
                    stack.format_arn(service="ses", resource="identity", resource_name=shared.sender_address),
                    # sending through a configuration set is authorised on the set too
                    stack.format_arn(
                        service="ses",
                        resource="configuration-set",
                        resource_name=configuration_set_name(shared.stage),
                    ),
                ],
                conditions={"StringEquals": {"ses:FromAddress": shared.sender_address}},
            )
        )
    if access.bus:
        role.add_to_policy(
            iam.PolicyStatement(
                sid="PutEvents", actions=["events:PutEvents"], resources=[shared.bus.event_bus_arn]
            )
        )
    for sid, wanted, secret in (
        ("AppSecret", access.secret, shared.app_secret),
        ("ZoomSecret", access.zoom_secret, shared.zoom_secret),
    ):
        if wanted:
            role.add_to_policy(
                iam.PolicyStatement(
                    sid=sid, actions=["secretsmanager:GetSecretValue"], resources=[secret.secret_arn]
                )
            )
    if access.file_actions:
        if not access.file_prefixes:
            raise ValueError("file access needs the key prefixes it is limited to")
        role.add_to_policy(
            iam.PolicyStatement(
                sid="Files",
                actions=list(access.file_actions),
                resources=[shared.files.arn_for_objects(f"{p}*") for p in access.file_prefixes],
            )
        )
        for prefix in access.file_prefixes:
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::<{_logical_hint(shared.files)}.Arn>/{prefix}*]",
                "Presigned URLs are issued for object keys created at request time under this prefix.",
            )


def _logical_hint(bucket: s3.IBucket) -> str:
    return Stack.of(bucket).get_logical_id(bucket.node.default_child)  # type: ignore[arg-type]


def _retention(days: int) -> logs.RetentionDays:
    known = {
        7: logs.RetentionDays.ONE_WEEK,
        14: logs.RetentionDays.TWO_WEEKS,
        30: logs.RetentionDays.ONE_MONTH,
        90: logs.RetentionDays.THREE_MONTHS,
        180: logs.RetentionDays.SIX_MONTHS,
        365: logs.RetentionDays.ONE_YEAR,
    }
    if days not in known:
        raise ValueError(f"no log retention mapped for {days} days")
    return known[days]
