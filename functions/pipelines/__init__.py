"""The Step Functions pipelines: each state machine's ASL definition and its Lambda tasks.

The single source for the CDK app (infra/constructs/pipelines.py deploys `template()` with
`DefinitionSubstitutions` for the task ARNs) and for local mode (local/stepfunctions.py creates
the same template, placeholders replaced by its in-process functions, on the embedded emulator).
Plain data: no domain imports, so the CDK app reads it without loading the layer.

Issuing certificates (PRODUCT.md §6) — one execution issues one chunk of a run:

    Validate ──► IssueEach (Map, ≤ MAX_CONCURRENCY at a time) ──► Finalize ──► MoreToIssue?
       │            └ IssueOne (retried) ─ Catch ─► ItemFailed        │            │ yes
       │                                                               │            ▼
       └──────────── any failure ──► RunFailed (the run is marked failed) ──► Failed   Continue
                                                                                (the next chunk:
                                                                                 a new execution)

Sizes (a state's input/output is at most 256 KB; a Standard execution at most 25,000 history
events, ~7 per Map item): a chunk holds at most `lectern.certificates.pipeline.CHUNK` (1,000)
registrations — its ids alone (~39 bytes each) go through the Map and each result is a small
dict (~130 bytes worst case), so every payload stays under ~160 KB and the history under ~9,000
events. A bigger run continues in a new execution (`Continue`, named `<run_id>-<chunk>`), the
run item carrying the exact counts between chunks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
START_EXECUTION = "arn:aws:states:::states:startExecution"
MAX_CONCURRENCY = 10
TASK_TIMEOUT_SECONDS = 60  # > the function timeout: a hung invocation is a States.Timeout
EXECUTION_TIMEOUT_SECONDS = 6 * 3600  # one chunk: 1,000 registrations take minutes, not hours

# Transient faults of the Lambda service itself (throttling, a failed invoke): retried with
# backoff and jitter, as AWS recommends for every Lambda task.
LAMBDA_SERVICE_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
RETRY_LAMBDA_SERVICE = {
    "ErrorEquals": LAMBDA_SERVICE_ERRORS,
    "IntervalSeconds": 2,
    "MaxAttempts": 6,
    "BackoffRate": 2,
    "JitterStrategy": "FULL",
}


@dataclass(frozen=True)
class Task:
    name: str  # short, [a-z0-9-]: names the function (lectern-<stage>-<name>)
    placeholder: str  # `${<placeholder>}` in the template stands for the function's ARN
    handler: str  # "functions.pipelines.<module>.<function>"
    description: str


@dataclass(frozen=True)
class Pipeline:
    name: str  # names the state machine: lectern-<stage>-<name>
    description: str
    setting: str  # the lectern.config.Settings field that carries the state machine's ARN
    tasks: tuple[Task, ...]
    template: Callable[[], dict[str, Any]]  # the ASL, `${placeholder}` for each task's ARN

    def state_machine_name(self, stage: str) -> str:
        return f"lectern-{stage}-{self.name}"

    def definition(self, arns: Mapping[str, str]) -> dict[str, Any]:
        """The template with each `${placeholder}` replaced by `arns[placeholder]` (what
        CloudFormation's DefinitionSubstitutions does at deployment)."""
        missing = {t.placeholder for t in self.tasks} - set(arns)
        if missing:
            raise KeyError(f"no ARN for {sorted(missing)}")
        text = json.dumps(self.template())
        for placeholder, arn in arns.items():
            text = text.replace("${" + placeholder + "}", arn)
        return dict(json.loads(text))


def _invoke(placeholder: str, payload: dict[str, Any], **state: Any) -> dict[str, Any]:
    """A Lambda task: the payload built from the state input, the function's answer as output."""
    return {
        "Type": "Task",
        "Resource": LAMBDA_INVOKE,
        "Parameters": {"FunctionName": "${" + placeholder + "}", "Payload": payload},
        "OutputPath": "$.Payload",
        "TimeoutSeconds": TASK_TIMEOUT_SECONDS,
        **state,
    }


def issue_certificates_template() -> dict[str, Any]:
    run_failed = {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RunFailed"}
    return {
        "Comment": "Issue certificates for one chunk of an issue run (lectern.certificates.pipeline)",
        "StartAt": "Validate",
        "TimeoutSeconds": EXECUTION_TIMEOUT_SECONDS,
        "States": {
            "Validate": _invoke(
                "ValidateFunctionArn",
                {
                    "run_id.$": "$.run_id",
                    "chunk.$": "$.chunk",
                    "registration_ids.$": "$.registration_ids",
                },
                Retry=[RETRY_LAMBDA_SERVICE],
                Catch=[run_failed],
                Next="IssueEach",
            ),
            "IssueEach": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemSelector": {
                    "registration_id.$": "$$.Map.Item.Value",
                    "run_id.$": "$.run_id",
                    "event_id.$": "$.event_id",
                },
                "MaxConcurrency": MAX_CONCURRENCY,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "IssueOne",
                    "States": {
                        "IssueOne": _invoke(
                            "IssueOneFunctionArn",
                            {
                                "registration_id.$": "$.registration_id",
                                "run_id.$": "$.run_id",
                                "event_id.$": "$.event_id",
                            },
                            Retry=[
                                RETRY_LAMBDA_SERVICE,
                                # anything else once more (a throttled table, a slow S3 put):
                                # issuing is idempotent, a retry never makes a second certificate
                                {
                                    "ErrorEquals": ["States.ALL"],
                                    "IntervalSeconds": 1,
                                    "MaxAttempts": 1,
                                    "BackoffRate": 2,
                                },
                            ],
                            Catch=[
                                {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "ItemFailed"}
                            ],
                            End=True,
                        ),
                        # A crash of one registration is that person's failure, not the run's.
                        "ItemFailed": {
                            "Type": "Pass",
                            "Parameters": {
                                "registration_id.$": "$.registration_id",
                                "status": "crashed",
                                "error.$": "$.error.Error",
                            },
                            "End": True,
                        },
                    },
                },
                "Catch": [run_failed],
                "Next": "Finalize",
            },
            "Finalize": _invoke(
                "FinalizeFunctionArn",
                {
                    "run_id.$": "$$.Execution.Input.run_id",
                    "chunk.$": "$$.Execution.Input.chunk",
                    "results.$": "$",
                },
                Retry=[RETRY_LAMBDA_SERVICE],
                Catch=[run_failed],
                Next="MoreToIssue",
            ),
            "MoreToIssue": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.continue", "BooleanEquals": True, "Next": "Continue"}],
                "Default": "Done",
            },
            "Continue": {
                "Type": "Task",
                "Resource": START_EXECUTION,
                "Parameters": {
                    "StateMachineArn.$": "$$.StateMachine.Id",
                    "Name.$": "$.execution_name",
                    "Input": {
                        "run_id.$": "$.run_id",
                        "chunk.$": "$.chunk",
                        "registration_ids.$": "$$.Execution.Input.registration_ids",
                    },
                },
                "Retry": [
                    {
                        "ErrorEquals": ["StepFunctions.SdkClientException", "States.Timeout"],
                        "IntervalSeconds": 2,
                        "MaxAttempts": 3,
                        "BackoffRate": 2,
                    }
                ],
                "Catch": [
                    # started by an earlier attempt of this state: nothing left to do here
                    {"ErrorEquals": ["StepFunctions.ExecutionAlreadyExistsException"], "Next": "Done"},
                    run_failed,
                ],
                "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
            "RunFailed": _invoke(
                "FinalizeFunctionArn",
                {
                    "run_id.$": "$$.Execution.Input.run_id",
                    "chunk.$": "$$.Execution.Input.chunk",
                    "error.$": "$.error",
                },
                Retry=[RETRY_LAMBDA_SERVICE],
                Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Failed"}],
                Next="Failed",
            ),
            "Failed": {
                "Type": "Fail",
                "Error": "IssueRunFailed",
                "Cause": "The issue run failed as a whole; GET …/certificates/issue/<run_id> says why.",
            },
        },
    }


ISSUE_CERTIFICATES = Pipeline(
    name="issue-certificates",
    description="Issue certificates: validate, issue each registration (Map), finalize, continue",
    setting="issue_state_machine_arn",
    tasks=(
        Task(
            "issue-validate",
            "ValidateFunctionArn",
            "functions.pipelines.certificates.validate",
            "Issue run: re-read the event, resolve and screen the registrations, mark the run running",
        ),
        Task(
            "issue-one",
            "IssueOneFunctionArn",
            "functions.pipelines.certificates.issue_one",
            "Issue run: issue one registration's certificate (idempotent), count it on the run",
        ),
        Task(
            "issue-finalize",
            "FinalizeFunctionArn",
            "functions.pipelines.certificates.finalize",
            "Issue run: exact counts, failure report, organiser mail, issue_finished (or the run failed)",
        ),
    ),
    template=issue_certificates_template,
)

PIPELINES: tuple[Pipeline, ...] = (ISSUE_CERTIFICATES,)
