"""Infra tier: the Zoom webhook function URL, the Zoom secret, and the bus consumers (workers),
asserted on the synthesised template.

The app is synthesised once with a test-only consumer list (LecternStack takes `consumers=` as it
takes `groups=`), so the worker wiring is proved whatever functions/consumers.py holds today:
one consumer with a content-filtering `$or` pattern and a large batch, one plain.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from functions.consumers import Consumer
from tests.infra.test_infra_stack import (
    OWN_LOGS,
    ROUTE_GROUP_ACTIONS,
    XRAY,
    _actions,
    _asset_dir,
    _role_actions,
    functions_by_name,
    only,
    ref_id,
    refs_in,
    resources,
)

pytestmark = pytest.mark.infra

SAMPLE = "tests.e2e.sample_consumer.lambda_handler"
CONSUMERS = (
    Consumer(
        "sample-attendance",
        SAMPLE,
        {
            "$or": [
                {"source": ["lectern.zoom"], "detail-type": ["meeting.participant_joined"]},
                {"source": ["lectern"], "detail-type": ["lectern.session.updated"]},
            ]
        },
        "Test consumer with an $or pattern",
        batch_size=25,
        max_receive_count=5,
    ),
    Consumer("sample-plain", SAMPLE, {"source": ["lectern"], "detail-type": ["lectern.event.published"]}),
)
SQS_CONSUMER_ACTIONS = {
    "sqs:ReceiveMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueUrl",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
}


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    from tests.infra.conftest import synthesise

    return synthesise(tmp_path_factory.mktemp("cdk.out"), consumers=CONSUMERS)


def secret_by_name(tpl: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    found = [
        (k, v)
        for k, v in resources(tpl, "AWS::SecretsManager::Secret").items()
        if v["Properties"]["Name"] == name
    ]
    assert len(found) == 1, name
    return found[0]


def queue_by_name(tpl: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    found = [
        (k, v) for k, v in resources(tpl, "AWS::SQS::Queue").items() if v["Properties"]["QueueName"] == name
    ]
    assert len(found) == 1, name
    return found[0]


# --- the Zoom secret ----------------------------------------------------------------------------


def test_zoom_secret_exists_with_generated_placeholders_only(synth: SimpleNamespace) -> None:
    stage = synth.stack.config.stage
    _, secret = secret_by_name(synth.json, f"lectern/{stage}/zoom")
    props = secret["Properties"]
    assert "SecretString" not in props  # nothing real (or fake) is written in code
    generated = props["GenerateSecretString"]
    assert json.loads(generated["SecretStringTemplate"]) == {"client_id": "", "client_secret": ""}
    assert generated["GenerateStringKey"] == "webhook_secret_token"
    assert generated["PasswordLength"] >= 32
    assert secret["DeletionPolicy"] == "Retain"


def test_every_function_is_told_the_zoom_secrets_name(synth: SimpleNamespace) -> None:
    name = f"lectern/{synth.stack.config.stage}/zoom"
    for fn_name, (_, fn) in functions_by_name(synth.json).items():
        assert fn["Properties"]["Environment"]["Variables"]["LECTERN_ZOOM_SECRET_NAME"] == name, fn_name


# --- the webhook --------------------------------------------------------------------------------


def test_zoom_webhook_is_a_public_function_url(synth: SimpleNamespace) -> None:
    tpl = synth.json
    fn_id, fn = functions_by_name(tpl)["zoom-webhook"]
    assert fn["Properties"]["Handler"] == "functions.webhooks.zoom.lambda_handler"
    url_id, url = only(tpl, "AWS::Lambda::Url")
    assert url["Properties"]["AuthType"] == "NONE"  # Zoom signs its requests; the function verifies
    assert ref_id(url["Properties"]["TargetFunctionArn"]) == fn_id
    permissions = [
        p["Properties"]
        for p in resources(tpl, "AWS::Lambda::Permission").values()
        if fn_id in refs_in(p["Properties"]["FunctionName"])
    ]
    assert {
        "Action": "lambda:InvokeFunctionUrl",
        "FunctionUrlAuthType": "NONE",
        "Principal": "*",
    }.items() <= {
        k: v for p in permissions if p["Action"] == "lambda:InvokeFunctionUrl" for k, v in p.items()
    }.items()
    outputs = tpl["Outputs"]
    assert url_id in refs_in(outputs["ZoomWebhookUrl"]["Value"])


def test_zoom_webhook_role_holds_exactly_putitem_putevents_and_the_zoom_secret(
    synth: SimpleNamespace,
) -> None:
    tpl = synth.json
    _, fn = functions_by_name(tpl)["zoom-webhook"]
    table_id, _ = only(tpl, "AWS::DynamoDB::Table")
    bus_id, _ = only(tpl, "AWS::Events::EventBus")
    zoom_secret_id, _ = secret_by_name(tpl, f"lectern/{synth.stack.config.stage}/zoom")
    statements = _role_actions(tpl)[ref_id(fn["Properties"]["Role"])]
    granted = {a for s in statements for a in _actions(s)}
    assert granted == OWN_LOGS | XRAY | {
        "dynamodb:PutItem",
        "events:PutEvents",
        "secretsmanager:GetSecretValue",
    }
    by_action = {a: s for s in statements for a in _actions(s)}
    assert refs_in(by_action["dynamodb:PutItem"]["Resource"]) == {table_id}
    assert "/index/" not in json.dumps(by_action["dynamodb:PutItem"]["Resource"])
    assert ref_id(by_action["events:PutEvents"]["Resource"]) == bus_id
    assert ref_id(by_action["secretsmanager:GetSecretValue"]["Resource"]) == zoom_secret_id


def asset_files(synth: SimpleNamespace, function: str) -> list[str]:
    _, fn = functions_by_name(synth.json)[function]
    root = _asset_dir(synth, fn)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_zoom_webhook_asset_holds_only_its_module(synth: SimpleNamespace) -> None:
    assert asset_files(synth, "zoom-webhook") == [
        "functions/__init__.py",
        "functions/webhooks/__init__.py",
        "functions/webhooks/zoom.py",
    ]


def test_zoom_webhook_failures_and_5xx_raise_alarms(synth: SimpleNamespace) -> None:
    tpl = synth.json
    fn_id, _ = functions_by_name(tpl)["zoom-webhook"]
    topic_id, _ = only(tpl, "AWS::SNS::Topic")
    alarms = [a["Properties"] for a in resources(tpl, "AWS::CloudWatch::Alarm").values()]
    on_webhook = {
        a["MetricName"]: a
        for a in alarms
        if any(fn_id in refs_in(d["Value"]) for d in a.get("Dimensions", []))
    }
    assert set(on_webhook) == {"Errors", "Url5xxCount"}
    assert (
        on_webhook["Url5xxCount"]["Namespace"] == "AWS/Lambda" and on_webhook["Url5xxCount"]["Threshold"] == 1
    )
    for alarm in on_webhook.values():
        assert topic_id in refs_in(alarm["AlarmActions"])


# --- workers ------------------------------------------------------------------------------------


def test_each_consumer_has_a_rule_with_its_exact_pattern_targeting_its_queue(synth: SimpleNamespace) -> None:
    tpl = synth.json
    stage = synth.stack.config.stage
    bus_id, _ = only(tpl, "AWS::Events::EventBus")
    bus_dlq_id, _ = queue_by_name(tpl, f"lectern-{stage}-events-dlq")
    rules = {
        r["Properties"]["Name"]: r["Properties"]
        for r in resources(tpl, "AWS::Events::Rule").values()
        # the schedule and SES feedback rules are not bus consumers (tests/infra/test_outreach_infra.py)
        if "ScheduleExpression" not in r["Properties"]
        and r["Properties"].get("EventPattern", {}).get("source") != ["aws.ses"]
    }
    assert set(rules) == {f"lectern-{stage}-{c.name}" for c in CONSUMERS}
    for c in CONSUMERS:
        rule = rules[f"lectern-{stage}-{c.name}"]
        assert rule["EventPattern"] == c.pattern  # verbatim: no placeholder merged in
        assert ref_id(rule["EventBusName"]) == bus_id
        queue_id, _ = queue_by_name(tpl, f"lectern-{stage}-{c.name}")
        (target,) = rule["Targets"]
        assert ref_id(target["Arn"]) == queue_id
        assert ref_id(target["DeadLetterConfig"]["Arn"]) == bus_dlq_id


def test_each_queue_redrives_to_its_dlq_and_is_tls_only(synth: SimpleNamespace) -> None:
    tpl = synth.json
    stage = synth.stack.config.stage
    policies = [p["Properties"] for p in resources(tpl, "AWS::SQS::QueuePolicy").values()]
    for c in CONSUMERS:
        queue_id, queue = queue_by_name(tpl, f"lectern-{stage}-{c.name}")
        dlq_id, dlq = queue_by_name(tpl, f"lectern-{stage}-{c.name}-dlq")
        props = queue["Properties"]
        assert props["VisibilityTimeout"] == 6 * 15  # 6x the function timeout
        assert props["RedrivePolicy"]["maxReceiveCount"] == c.max_receive_count
        assert ref_id(props["RedrivePolicy"]["deadLetterTargetArn"]) == dlq_id
        assert props["SqsManagedSseEnabled"] is True and dlq["Properties"]["SqsManagedSseEnabled"] is True
        assert dlq["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
        for qid in (queue_id, dlq_id):
            statements = [
                s
                for p in policies
                if qid in {ref_id(q) for q in p["Queues"]}
                for s in p["PolicyDocument"]["Statement"]
            ]
            assert any(
                s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
                for s in statements
            ), qid
        # the bus may send to the queue, from this consumer's rule only
        sends = [
            s
            for p in policies
            if queue_id in {ref_id(q) for q in p["Queues"]}
            for s in p["PolicyDocument"]["Statement"]
            if s["Effect"] == "Allow"
        ]
        (send,) = sends
        assert send["Principal"] == {"Service": "events.amazonaws.com"}
        assert "sqs:SendMessage" in _actions(send)
        assert "aws:SourceArn" in send["Condition"]["ArnEquals"]


def test_each_worker_is_fed_by_its_queue_reporting_batch_item_failures(synth: SimpleNamespace) -> None:
    tpl = synth.json
    stage = synth.stack.config.stage
    functions = functions_by_name(tpl)
    feedback_id, _ = functions["mail-feedback"]  # SES feedback: tests/infra/test_outreach_infra.py
    mappings = [
        m["Properties"]
        for m in resources(tpl, "AWS::Lambda::EventSourceMapping").values()
        if ref_id(m["Properties"]["FunctionName"]) != feedback_id
    ]
    assert len(mappings) == len(CONSUMERS)
    for c in CONSUMERS:
        fn_id, fn = functions[f"{c.name}-worker"]
        assert fn["Properties"]["Handler"] == c.handler
        assert fn["Properties"]["FunctionName"] == f"lectern-{stage}-{c.name}-worker"
        queue_id, _ = queue_by_name(tpl, f"lectern-{stage}-{c.name}")
        (mapping,) = [m for m in mappings if ref_id(m["FunctionName"]) == fn_id]
        assert ref_id(mapping["EventSourceArn"]) == queue_id
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BatchSize"] == c.batch_size
        if c.batch_size > 10:
            assert mapping["MaximumBatchingWindowInSeconds"] >= 1
        else:
            assert "MaximumBatchingWindowInSeconds" not in mapping


def test_worker_roles_hold_route_group_actions_the_zoom_secret_and_their_own_queue(
    synth: SimpleNamespace,
) -> None:
    tpl = synth.json
    stage = synth.stack.config.stage
    app_secret_id, _ = secret_by_name(tpl, f"lectern/{stage}/app")
    zoom_secret_id, _ = secret_by_name(tpl, f"lectern/{stage}/zoom")
    all_statements = _role_actions(tpl)
    for c in CONSUMERS:
        _, fn = functions_by_name(tpl)[f"{c.name}-worker"]
        statements = all_statements[ref_id(fn["Properties"]["Role"])]
        granted = {a for s in statements for a in _actions(s)}
        assert granted == ROUTE_GROUP_ACTIONS | XRAY | SQS_CONSUMER_ACTIONS, c.name
        queue_id, _ = queue_by_name(tpl, f"lectern-{stage}-{c.name}")
        secrets = set()
        for s in statements:
            if any(a.startswith("sqs:") for a in _actions(s)):
                assert ref_id(s["Resource"]) == queue_id
            if any(a.startswith("secretsmanager:") for a in _actions(s)):
                secrets.add(ref_id(s["Resource"]))
        assert secrets == {app_secret_id, zoom_secret_id}


def test_each_worker_and_its_dead_letters_raise_alarms(synth: SimpleNamespace) -> None:
    tpl = synth.json
    stage = synth.stack.config.stage
    functions = functions_by_name(tpl)
    alarms = [a["Properties"] for a in resources(tpl, "AWS::CloudWatch::Alarm").values()]

    def watched(metric: str) -> set[str]:
        return {
            r
            for a in alarms
            if a["MetricName"] == metric
            for d in a["Dimensions"]
            for r in refs_in(d["Value"])
        }

    for c in CONSUMERS:
        assert functions[f"{c.name}-worker"][0] in watched("Errors")
        dlq_id, _ = queue_by_name(tpl, f"lectern-{stage}-{c.name}-dlq")
        assert dlq_id in watched("ApproximateNumberOfMessagesVisible")


def test_worker_assets_hold_only_their_module(synth: SimpleNamespace) -> None:
    assert asset_files(synth, "sample-plain-worker") == [
        "tests/__init__.py",
        "tests/e2e/__init__.py",
        "tests/e2e/sample_consumer.py",
    ]


def test_cdk_nag_is_clean_with_webhooks_and_workers(synth: SimpleNamespace) -> None:
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    violations = [v["ruleName"] for plugin in report["pluginReports"] for v in plugin.get("violations", [])]
    assert violations == []


# --- inputs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "consumers",
    [
        (Consumer("Bad_Name", SAMPLE, {"source": ["lectern"]}),),
        (Consumer("twice", SAMPLE, {"source": ["lectern"]}), Consumer("twice", SAMPLE, {"source": ["x"]})),
    ],
)
def test_consumer_names_must_be_unique_and_simple(consumers: tuple[Consumer, ...], tmp_path: Path) -> None:
    from infra.app import build_app

    with pytest.raises(ValueError, match="consumer name"):
        build_app(outdir=str(tmp_path), consumers=consumers)


def test_a_consumer_without_its_module_is_refused(tmp_path: Path) -> None:
    from infra.staging import stage_module

    with pytest.raises(FileNotFoundError):
        stage_module("functions.workers.does_not_exist", build_dir=tmp_path)
