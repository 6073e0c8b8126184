"""LecternStack: the whole backend of one deployment (stage)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, NestedStack, Stack, Tags
from constructs import Construct

from functions.consumers import CONSUMERS, Consumer
from functions.groups import AUTHORIZER_MODULE, GROUPS, RouteGroup
from functions.pipelines import PIPELINES, Pipeline
from infra.config import DeploymentConfig
from infra.constructs.api import Api
from infra.constructs.data import Data
from infra.constructs.events import Events
from infra.constructs.functions import (
    AUTHORIZER_ACCESS,
    Shared,
    access_for,
    lectern_environment,
    route_group_function,
)
from infra.constructs.layer import SharedLayer
from infra.constructs.mail import Mail
from infra.constructs.monitoring import Monitoring
from infra.constructs.pipelines import Pipelines, settings_environment
from infra.constructs.schedules import Schedules
from infra.constructs.secrets import Secrets
from infra.constructs.webhooks import Webhooks
from infra.constructs.workers import Workers
from infra.routes import OPENAPI_FILE, Route, load_document, routes_from_document
from infra.staging import stage_function

# The functions that start each pipeline's executions (states:StartExecution on it, nothing else).
PIPELINE_STARTERS: dict[str, tuple[str, ...]] = {
    "issue-certificates": ("certificates", "certificates-worker"),  # the bulk route, event.completed
}


class ApiStack(NestedStack):
    """The REST API — its resources, methods, authorizer, gateway responses and stage — in a
    nested stack: about 340 of its resources grow with every route, and one CloudFormation
    template holds at most 500 (docs/decisions/0009). The functions it invokes stay in the
    parent; CDK passes their ARNs in as parameters."""

    def __init__(self, scope: Construct, id: str, **api: Any) -> None:
        super().__init__(scope, id, description="Lectern REST API: resources, methods, authorizer, stage")
        self.api = Api(self, "Api", **api)


def _folder(module: str) -> str:
    """`functions.auth.handler` → `auth`."""
    parts = module.split(".")
    if len(parts) != 3 or parts[0] != "functions" or parts[2] != "handler":
        raise ValueError(f"{module}: expected functions.<folder>.handler")
    return parts[1]


class LecternStack(Stack):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: DeploymentConfig,
        groups: Sequence[RouteGroup] = GROUPS,
        consumers: Sequence[Consumer] = CONSUMERS,
        pipelines: Sequence[Pipeline] = PIPELINES,
        openapi: Mapping[str, Any] | None = None,
        openapi_file: Path = OPENAPI_FILE,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, description=f"Lectern backend ({config.stage})", **kwargs)
        Tags.of(self).add("project", "lectern")
        Tags.of(self).add("stage", config.stage)
        self.config = config
        doc = openapi if openapi is not None else load_document(openapi_file)
        self.routes: list[Route] = routes_from_document(doc, [g.name for g in groups])

        self.data = Data(self, "Data", stage=config.stage, cors_origins=config.cors_origins)
        self.secrets = Secrets(self, "Secrets", stage=config.stage)
        self.events = Events(self, "Events", stage=config.stage)
        self.layer = SharedLayer(self, "SharedLayer", layer_dir=config.layer_dir, stage=config.stage)

        shared = Shared(
            stage=config.stage,
            layer=self.layer.layer,
            table=self.data.table,
            index_names=tuple(self.data.index_names),
            files=self.data.files,
            bus=self.events.bus,
            app_secret=self.secrets.app_secret,
            zoom_secret=self.secrets.zoom_secret,
            mail_from=config.mail_from,
            sender_address=config.sender_address,
            sender_domain=config.sender_domain,
            environment={
                **lectern_environment(
                    stage=config.stage,
                    table=self.data.table,
                    files=self.data.files,
                    bus=self.events.bus,
                    app_secret_name=self.secrets.secret_name,
                    zoom_secret_name=self.secrets.zoom_secret_name,
                    cors_origins=config.cors_origins,
                    mail_from=config.mail_from,
                    app_base_url=config.app_base_url,
                    region=self.region,
                ),
                # the state machines' ARNs, known from their names (no dependency on them)
                **settings_environment(self, config.stage, tuple(pipelines)),
            },
        )

        functions = Construct(self, "Functions")
        self.functions = {}
        for group in groups:
            folder = _folder(group.module)
            extra = {"functions/meta/openapi.json": openapi_file} if folder == "meta" else None
            self.functions[group.name] = route_group_function(
                functions,
                group.name.title(),
                name=group.name,
                handler=group.handler,
                code_dir=stage_function(folder, extra_files=extra),
                shared=shared,
                access=access_for(group.name),
                description=f"Lectern {group.name}: {group.description}",
            )
        self.authorizer_function = route_group_function(
            functions,
            "Authorizer",
            name="authorizer",
            handler=f"{AUTHORIZER_MODULE}.lambda_handler",
            code_dir=stage_function(_folder(AUTHORIZER_MODULE)),
            shared=shared,
            access=AUTHORIZER_ACCESS,
            description="Lectern REQUEST authorizer: verifies the bearer access token and its session",
        )

        self.webhooks = Webhooks(self, "Webhooks", shared=shared)
        self.workers = Workers(self, "Workers", consumers=consumers, shared=shared, bus_dlq=self.events.dlq)
        self.pipelines = Pipelines(self, "Pipelines", pipelines=tuple(pipelines), shared=shared)
        self.schedules = Schedules(self, "Schedules", shared=shared)  # the reminder sweep
        self.mail = Mail(self, "Mail", shared=shared)  # SES configuration set + bounce/complaint feedback
        # Who starts each pipeline: the route group and the bus consumer (when deployed).
        starters = {**self.functions, **self.workers.functions}
        for pipeline_name, names in PIPELINE_STARTERS.items():
            machine = self.pipelines.state_machines.get(pipeline_name)
            for name in names:
                if machine is not None and name in starters:
                    machine.grant_start_execution(starters[name])

        self.api_stack = ApiStack(
            self,
            "ApiStack",
            stage=config.stage,
            routes=self.routes,
            functions=self.functions,
            authorizer_function=self.authorizer_function,
            cors_origins=config.cors_origins,
        )
        self.api = self.api_stack.api
        # The authorizer raises for every rejected token (that is how it answers 401), so its
        # Errors metric counts bad tokens, not faults: authorizer faults show as API 5xx instead.
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            stage=config.stage,
            api=self.api.api,
            functions={
                **self.functions,
                **self.webhooks.functions,
                **self.workers.functions,
                **self.pipelines.functions,
                **self.schedules.functions,
                **self.mail.functions,
            },
            dead_letter_queues={
                "events": self.events.dlq,
                **self.workers.dead_letter_queues,
                "mail-feedback": self.mail.dead_letters,
            },
            alarm_email=config.alarm_email,
            function_urls=self.webhooks.functions,
            state_machines=self.pipelines.state_machines,
        )

        CfnOutput(self, "ApiUrl", value=self.api.api.url_for_path("/api/v1"))
        CfnOutput(self, "TableName", value=self.data.table.table_name)
        CfnOutput(self, "FilesBucket", value=self.data.files.bucket_name)
        CfnOutput(self, "EventBusName", value=self.events.bus.event_bus_name)
        CfnOutput(self, "ZoomWebhookUrl", value=self.webhooks.zoom_url.url)
        CfnOutput(self, "ZoomSecretName", value=self.secrets.zoom_secret_name)
        CfnOutput(self, "AlarmTopic", value=self.monitoring.topic.topic_arn)
