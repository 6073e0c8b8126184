"""Pipelines: the Step Functions state machines of functions/pipelines, each deployed from its
one ASL template (`DefinitionBody.from_string`, the task ARNs through DefinitionSubstitutions —
the very template local mode executes, local/stepfunctions.py), with its Lambda tasks.

Per pipeline: one function per task (the shared helper: runtime, logs, tracing, a role of its
own with exactly its `Access`), a Standard state machine with a role that may invoke exactly
those functions and start executions of itself only (a run continues chunk by chunk), logging
of ALL events to its own log group, X-Ray tracing.

The state machine has a fixed name, so its ARN is known before it exists (`arn()`): every
function's `LECTERN_<SETTING>` is that ARN without a dependency cycle (the task functions are
part of the definition), and the machine's permission to start itself needs no self-reference.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from functions.pipelines import Pipeline
from infra import runtime
from infra.constructs.functions import (
    TABLE_ACTIONS,
    Access,
    Shared,
    _logical_hint,
    _retention,
    route_group_function,
)
from infra.constructs.workers import construct_id
from infra.nag import acknowledge
from infra.staging import stage_module

_READ_AND_UPDATE = ("dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem")

# What each task of each pipeline may do (its function's role holds exactly this).
TASK_ACCESS: Mapping[str, Access] = {
    # the run, the event, the registrations (GSI1) and their certificate pointers
    "issue-validate": Access(table_actions=_READ_AND_UPDATE, index_actions=("dynamodb:Query",)),
    # issuing.issue_one: the issuing transaction, the PDF under certificates/ (deleted again when
    # a concurrent issue won), the template's images, the signature key, the holder's mail and
    # lectern.certificate.issued; + the run's live counter
    "issue-one": Access(
        table_actions=TABLE_ACTIONS,
        index_actions=("dynamodb:Query",),
        mail=True,
        bus=True,
        secret=True,
        file_actions=("s3:PutObject", "s3:DeleteObject"),
        file_prefixes=("certificates/",),
    ),
    # the run, the failed registrations' emails, the organiser's profile and summary mail,
    # lectern.certificates.issue_finished
    "issue-finalize": Access(
        table_actions=("dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:UpdateItem"),
        mail=True,
        bus=True,
    ),
}
# Read-only access to template images (logo, background, signature) for the renderer.
TASK_FILE_READS: Mapping[str, tuple[str, ...]] = {"issue-one": ("templates/",)}
LOG_RETENTION_DAYS = runtime.LOG_RETENTION_DAYS


def state_machine_arn(scope: Construct, name: str) -> str:
    return Stack.of(scope).format_arn(
        service="states",
        resource="stateMachine",
        resource_name=name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def settings_environment(scope: Construct, stage: str, pipelines: tuple[Pipeline, ...]) -> dict[str, str]:
    """`LECTERN_<SETTING>` → each pipeline's state machine ARN (known from its name)."""
    return {
        f"LECTERN_{p.setting.upper()}": state_machine_arn(scope, p.state_machine_name(stage))
        for p in pipelines
    }


class StateMachinePipeline(Construct):
    def __init__(self, scope: Construct, id: str, *, pipeline: Pipeline, shared: Shared) -> None:
        super().__init__(scope, id)
        self.pipeline = pipeline
        name = pipeline.state_machine_name(shared.stage)
        self.functions: dict[str, lambda_.Function] = {}
        for task in pipeline.tasks:
            module = task.handler.rpartition(".")[0]
            fn = route_group_function(
                self,
                construct_id(task.name),
                name=task.name,
                handler=task.handler,
                code_dir=stage_module(module),
                shared=shared,
                access=TASK_ACCESS[task.name],
                description=f"Lectern {pipeline.name}: {task.description}"[:256],
            )
            reads = TASK_FILE_READS.get(task.name, ())
            if reads:
                fn.add_to_role_policy(
                    iam.PolicyStatement(
                        sid="FileReads",
                        actions=["s3:GetObject"],
                        resources=[shared.files.arn_for_objects(f"{p}*") for p in reads],
                    )
                )
                for prefix in reads:
                    acknowledge(
                        fn.role,  # type: ignore[arg-type]
                        f"AwsSolutions-IAM5[Resource::<{_logical_hint(shared.files)}.Arn>/{prefix}*]",
                        "The renderer reads the images an organiser uploaded for a template: keys created "
                        "at upload time under this prefix, read-only.",
                    )
            self.functions[task.name] = fn

        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/vendedlogs/states/{name}",
            retention=_retention(LOG_RETENTION_DAYS),
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description=f"{name}: invoke its own task functions and continue in a new execution of itself",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="InvokeTasks",
                actions=["lambda:InvokeFunction"],
                resources=[fn.function_arn for fn in self.functions.values()],
            )
        )
        self.arn = state_machine_arn(self, name)
        self.role.add_to_policy(
            iam.PolicyStatement(sid="ContinueItself", actions=["states:StartExecution"], resources=[self.arn])
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_string(json.dumps(pipeline.template())),
            definition_substitutions={
                task.placeholder: self.functions[task.name].function_arn for task in pipeline.tasks
            },
            role=self.role,  # type: ignore[arg-type]
            # execution data are ids, statuses and error names: no names or emails pass through
            logs=sfn.LogOptions(
                destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True
            ),
            tracing_enabled=True,
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "CloudWatch Logs delivery (logs:CreateLogDelivery, ...) and X-Ray (xray:PutTraceSegments, ...) "
            "take no resource-level permissions: AWS requires '*' for a state machine's logging and tracing.",
        )


class Pipelines(Construct):
    def __init__(self, scope: Construct, id: str, *, pipelines: tuple[Pipeline, ...], shared: Shared) -> None:
        super().__init__(scope, id)
        self.pipelines = {
            p.name: StateMachinePipeline(self, construct_id(p.name), pipeline=p, shared=shared)
            for p in pipelines
        }

    @property
    def functions(self) -> dict[str, lambda_.Function]:
        return {name: fn for p in self.pipelines.values() for name, fn in p.functions.items()}

    @property
    def state_machines(self) -> dict[str, sfn.StateMachine]:
        return {name: p.state_machine for name, p in self.pipelines.items()}
