"""Infra tier: the Step Functions pipelines (functions/pipelines) on the synthesised template —
the deployed definition is the one template local mode executes, its states, the state
machine's role, the task functions' roles, who may start it, logging, tracing and alarms."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from functions.pipelines import ISSUE_CERTIFICATES, LAMBDA_SERVICE_ERRORS, MAX_CONCURRENCY, PIPELINES
from tests.infra.test_infra_stack import (
    OWN_LOGS,
    ROUTE_GROUP_ACTIONS,
    XRAY,
    _actions,
    _files_bucket,
    _role_actions,
    functions_by_name,
    ref_id,
    refs_in,
    resources,
)

pytestmark = pytest.mark.infra

TABLE = {a for a in ROUTE_GROUP_ACTIONS if a.startswith("dynamodb:")}  # every item action
# Exactly what each task's function may do besides X-Ray (the stack test checks every role).
TASK_ACTIONS = {
    "issue-validate": OWN_LOGS
    | {"dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"},
    "issue-one": OWN_LOGS
    | TABLE
    | {"ses:SendRawEmail", "events:PutEvents", "secretsmanager:GetSecretValue"}
    | {"s3:PutObject", "s3:DeleteObject", "s3:GetObject"},
    "issue-finalize": OWN_LOGS
    | {"dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:UpdateItem"}
    | {"ses:SendRawEmail", "events:PutEvents"},
}
TASK_SECRETS = {"issue-validate": set(), "issue-one": {"app"}, "issue-finalize": set()}
STATE_MACHINE_SERVICE_ACTIONS = (
    {
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeLogGroups",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
    }
    | XRAY
    | {"xray:GetSamplingRules", "xray:GetSamplingTargets"}
)


def task_actions(name: str) -> set[str]:
    return TASK_ACTIONS[name]


def task_secrets(name: str) -> set[str]:
    return TASK_SECRETS[name]


def _machine(tpl: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    found = resources(tpl, "AWS::StepFunctions::StateMachine")
    assert len(found) == len(PIPELINES) == 1
    return next(iter(found.items()))


def _name_arn(stage: str) -> dict[str, Any]:
    """The ARN every function is told and the machine may start: built from the name alone."""
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":states:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                f":stateMachine:lectern-{stage}-issue-certificates",
            ],
        ]
    }


# -- the definition -----------------------------------------------------------------------------


def test_the_deployed_definition_is_the_template_local_mode_runs(synth: SimpleNamespace) -> None:
    from local.stepfunctions import function_arn

    _, machine = _machine(synth.json)
    props = machine["Properties"]
    assert json.loads(props["DefinitionString"]) == ISSUE_CERTIFICATES.template()
    # each placeholder stands for its task's function, as local mode substitutes its own
    functions = functions_by_name(synth.json)
    subs = props["DefinitionSubstitutions"]
    assert set(subs) == {t.placeholder for t in ISSUE_CERTIFICATES.tasks}
    for task in ISSUE_CERTIFICATES.tasks:
        assert ref_id(subs[task.placeholder]) == functions[task.name][0]
    local = ISSUE_CERTIFICATES.definition(
        {
            t.placeholder: function_arn("eu-west-1", f"lectern-local-{t.name}")
            for t in ISSUE_CERTIFICATES.tasks
        }
    )
    template_text = props["DefinitionString"]
    for task in ISSUE_CERTIFICATES.tasks:
        template_text = template_text.replace(
            "${" + task.placeholder + "}", function_arn("eu-west-1", f"lectern-local-{task.name}")
        )
    assert json.loads(template_text) == local
    assert props["StateMachineName"] == f"lectern-{synth.stack.config.stage}-issue-certificates"
    assert props["StateMachineType"] == "STANDARD"


def test_the_states_validate_map_with_retry_and_per_item_catch_finalize_continue(
    synth: SimpleNamespace,
) -> None:
    _, machine = _machine(synth.json)
    asl = json.loads(machine["Properties"]["DefinitionString"])
    states = asl["States"]
    assert asl["StartAt"] == "Validate" and asl["TimeoutSeconds"] > 0
    assert set(states) == {
        "Validate",
        "IssueEach",
        "Finalize",
        "MoreToIssue",
        "Continue",
        "Done",
        "RunFailed",
        "Failed",
    }
    assert [states[s]["Next"] for s in ("Validate", "IssueEach", "Finalize")] == [
        "IssueEach",
        "Finalize",
        "MoreToIssue",
    ]
    for name in ("Validate", "Finalize", "RunFailed"):
        assert states[name]["Resource"] == "arn:aws:states:::lambda:invoke"
        assert states[name]["Retry"][0]["ErrorEquals"] == LAMBDA_SERVICE_ERRORS
    for name in ("Validate", "IssueEach", "Finalize"):
        assert states[name]["Catch"] == [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RunFailed"}
        ]
    assert states["RunFailed"]["Next"] == "Failed" and states["Failed"]["Type"] == "Fail"

    each = states["IssueEach"]
    assert each["Type"] == "Map" and each["MaxConcurrency"] == MAX_CONCURRENCY == 10
    assert each["ItemsPath"] == "$.items"
    assert each["ItemSelector"]["registration_id.$"] == "$$.Map.Item.Value"  # ids only through the Map
    processor = each["ItemProcessor"]
    assert processor["ProcessorConfig"] == {"Mode": "INLINE"} and processor["StartAt"] == "IssueOne"
    one = processor["States"]["IssueOne"]
    assert one["Parameters"]["FunctionName"] == "${IssueOneFunctionArn}"
    assert [r["ErrorEquals"] for r in one["Retry"]] == [LAMBDA_SERVICE_ERRORS, ["States.ALL"]]
    assert one["Retry"][0]["JitterStrategy"] == "FULL" and one["Retry"][0]["MaxAttempts"] >= 3
    assert one["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "ItemFailed"}]
    failed_item = processor["States"]["ItemFailed"]
    assert failed_item["Type"] == "Pass" and failed_item["Parameters"]["status"] == "crashed"

    assert states["MoreToIssue"]["Choices"] == [
        {"Variable": "$.continue", "BooleanEquals": True, "Next": "Continue"}
    ]
    cont = states["Continue"]
    assert cont["Resource"] == "arn:aws:states:::states:startExecution"
    assert cont["Parameters"]["StateMachineArn.$"] == "$$.StateMachine.Id"  # itself, nothing else
    assert cont["Catch"][0] == {
        "ErrorEquals": ["StepFunctions.ExecutionAlreadyExistsException"],
        "Next": "Done",
    }


def test_logging_all_events_to_its_log_group_and_tracing(synth: SimpleNamespace) -> None:
    _, machine = _machine(synth.json)
    props = machine["Properties"]
    logging = props["LoggingConfiguration"]
    assert logging["Level"] == "ALL"
    group_id = ref_id(logging["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"])
    group = synth.json["Resources"][group_id]["Properties"]
    assert (
        group["LogGroupName"]
        == f"/aws/vendedlogs/states/lectern-{synth.stack.config.stage}-issue-certificates"
    )
    assert group["RetentionInDays"] == 30
    assert props["TracingConfiguration"] == {"Enabled": True}


# -- permissions --------------------------------------------------------------------------------


def test_the_state_machine_invokes_exactly_its_tasks_and_starts_only_itself(synth: SimpleNamespace) -> None:
    tpl = synth.json
    _, machine = _machine(tpl)
    role_id = ref_id(machine["Properties"]["RoleArn"])
    role = tpl["Resources"][role_id]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "states.amazonaws.com"
    }
    assert "ManagedPolicyArns" not in role
    statements = _role_actions(tpl)[role_id]
    functions = functions_by_name(tpl)
    by_action: dict[str, list[Any]] = {}
    for s in statements:
        assert s["Effect"] == "Allow"
        for a in _actions(s):
            by_action.setdefault(a, []).append(s["Resource"])
    assert (
        set(by_action) == {"lambda:InvokeFunction", "states:StartExecution"} | STATE_MACHINE_SERVICE_ACTIONS
    )
    [invoked] = by_action["lambda:InvokeFunction"]
    assert {ref_id(r) for r in invoked} == {functions[t.name][0] for t in ISSUE_CERTIFICATES.tasks}
    assert by_action["states:StartExecution"] == [_name_arn(synth.stack.config.stage)]
    for action in STATE_MACHINE_SERVICE_ACTIONS:  # no resource-level permissions exist for these
        assert by_action[action] == ["*"]


def test_task_functions_hold_exactly_their_access(synth: SimpleNamespace) -> None:
    tpl = synth.json
    statements = _role_actions(tpl)
    functions = functions_by_name(tpl)
    bucket_id, _ = _files_bucket(tpl)
    for task in ISSUE_CERTIFICATES.tasks:
        _, fn = functions[task.name]
        assert fn["Properties"]["Handler"] == task.handler
        role_id = ref_id(fn["Properties"]["Role"])
        granted = {a for s in statements[role_id] for a in _actions(s)}
        assert granted == TASK_ACTIONS[task.name] | XRAY, task.name
        for s in statements[role_id]:
            if any(a.startswith("s3:") for a in _actions(s)):
                # PutObject/DeleteObject on certificates/*, GetObject on templates/*: nothing wider
                prefix = "certificates/*" if "s3:PutObject" in _actions(s) else "templates/*"
                assert set(_actions(s)) in ({"s3:PutObject", "s3:DeleteObject"}, {"s3:GetObject"})
                resource = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
                assert [r["Fn::Join"][1][-1] for r in resource] == [f"/{prefix}"], (task.name, resource)
                assert refs_in(resource) == {bucket_id}


def test_only_the_route_group_and_the_consumer_may_start_an_issue_run(synth: SimpleNamespace) -> None:
    tpl = synth.json
    machine_id, _ = _machine(tpl)
    statements = _role_actions(tpl)
    starters = set()
    for name, (_, fn) in functions_by_name(tpl).items():
        for s in statements[ref_id(fn["Properties"]["Role"])]:
            if "states:StartExecution" in _actions(s):
                assert _actions(s) == ["states:StartExecution"]
                assert ref_id(s["Resource"]) == machine_id
                starters.add(name)
    assert starters == {"certificates", "certificates-worker"}


def test_every_function_is_told_the_state_machine_arn_by_its_name(synth: SimpleNamespace) -> None:
    expected = _name_arn(synth.stack.config.stage)
    for name, (_, fn) in functions_by_name(synth.json).items():
        assert fn["Properties"]["Environment"]["Variables"]["LECTERN_ISSUE_STATE_MACHINE_ARN"] == expected, (
            name
        )


def test_the_automatic_run_consumer_listens_to_event_completed(synth: SimpleNamespace) -> None:
    rules = [
        r["Properties"]
        for r in resources(synth.json, "AWS::Events::Rule").values()
        if r["Properties"].get("Name", "").endswith("-certificates")
    ]
    assert [r["EventPattern"] for r in rules] == [
        {"source": ["lectern"], "detail-type": ["lectern.event.completed"]}
    ]


def test_alarms_on_failed_and_timed_out_executions(synth: SimpleNamespace) -> None:
    tpl = synth.json
    machine_id, _ = _machine(tpl)
    alarms = [a["Properties"] for a in resources(tpl, "AWS::CloudWatch::Alarm").values()]
    states = {a["MetricName"]: a for a in alarms if a.get("Namespace") == "AWS/States"}
    assert set(states) == {"ExecutionsFailed", "ExecutionsTimedOut"}
    for alarm in states.values():
        assert [ref_id(d["Value"]) for d in alarm["Dimensions"]] == [machine_id]
        assert alarm["Threshold"] == 1 and alarm["Statistic"] == "Sum"
        assert alarm["AlarmActions"]
    # the task functions' errors alarm like every function's
    errors = {ref_id(d["Value"]) for a in alarms if a.get("MetricName") == "Errors" for d in a["Dimensions"]}
    functions = functions_by_name(tpl)
    assert {functions[t.name][0] for t in ISSUE_CERTIFICATES.tasks} <= errors
