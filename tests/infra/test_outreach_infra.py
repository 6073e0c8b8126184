"""Infra tier for issue 6: the reminder sweep's schedule, the SES configuration set and its
bounce/complaint feedback path, and API Gateway throttling (stage, bulk methods, usage plan),
asserted on the synthesised template (docs/decisions/0007)."""

from __future__ import annotations

import json

import pytest

from tests.infra.test_infra_stack import (
    OWN_LOGS,
    SQS_CONSUMER_ACTIONS,
    XRAY,
    _actions,
    _role_actions,
    functions_by_name,
    only,
    ref_id,
    refs_in,
    resources,
)

pytestmark = pytest.mark.infra


def _granted(tpl, name):
    _, fn = functions_by_name(tpl)[name]
    statements = _role_actions(tpl)[ref_id(fn["Properties"]["Role"])]
    return fn, statements, {a for s in statements for a in _actions(s)}


def test_a_rule_runs_the_reminder_sweep_every_five_minutes(synth):
    tpl = synth.json
    fn_id, _ = functions_by_name(tpl)["reminder-sweep"]
    rules = [
        r for r in resources(tpl, "AWS::Events::Rule").values() if "ScheduleExpression" in r["Properties"]
    ]
    (rule,) = [r for r in rules if any(fn_id in refs_in(t["Arn"]) for t in r["Properties"]["Targets"])]
    props = rule["Properties"]
    assert props["ScheduleExpression"] == "rate(5 minutes)" and props["State"] == "ENABLED"
    (target,) = props["Targets"]
    assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] == 300
    permissions = [
        p["Properties"]
        for p in resources(tpl, "AWS::Lambda::Permission").values()
        if fn_id in refs_in(p["Properties"]["FunctionName"])
    ]
    assert any(p["Principal"] == "events.amazonaws.com" for p in permissions)


def test_the_sweep_function_has_a_longer_timeout_and_only_what_it_needs(synth):
    from lectern.reminders.sweep import LEASE

    fn, _, granted = _granted(synth.json, "reminder-sweep")
    props = fn["Properties"]
    assert props["Handler"] == "functions.workers.reminder_sweep.lambda_handler"
    assert props["Timeout"] == 300 < LEASE.total_seconds()  # a live sweep never loses its claims
    assert granted == OWN_LOGS | XRAY | {
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
        "ses:SendRawEmail",
        "secretsmanager:GetSecretValue",
    }
    assert "events:PutEvents" not in granted


def test_mail_goes_through_a_configuration_set_that_reports_bounces_and_complaints(synth):
    tpl = synth.json
    stage = synth.stack.config.stage
    (_, config_set) = only(tpl, "AWS::SES::ConfigurationSet")
    assert config_set["Properties"]["Name"] == f"lectern-{stage}"
    (_, destination) = only(tpl, "AWS::SES::ConfigurationSetEventDestination")
    dest = destination["Properties"]["EventDestination"]
    assert sorted(dest["MatchingEventTypes"]) == ["bounce", "complaint"] and dest["Enabled"] is True
    assert ":event-bus/default" in json.dumps(dest["EventBridgeDestination"]["EventBusArn"])
    # every function is told the set's name, and may send through it
    for _, (_, fn) in functions_by_name(tpl).items():
        assert (
            fn["Properties"]["Environment"]["Variables"]["LECTERN_SES_CONFIGURATION_SET"]
            == f"lectern-{stage}"
        )
    for name in ("events", "reminder-sweep"):
        _, statements, _ = _granted(tpl, name)
        (send,) = [s for s in statements if "ses:SendRawEmail" in _actions(s)]
        assert f"configuration-set/lectern-{stage}" in json.dumps(send["Resource"]), name


def test_feedback_flows_from_the_default_bus_through_a_queue_to_the_feedback_function(synth):
    tpl = synth.json
    stage = synth.stack.config.stage
    fn_id, fn = functions_by_name(tpl)["mail-feedback"]
    assert fn["Properties"]["Handler"] == "functions.workers.mail_feedback.lambda_handler"
    (rule,) = [
        r["Properties"]
        for r in resources(tpl, "AWS::Events::Rule").values()
        if r["Properties"].get("EventPattern", {}).get("source") == ["aws.ses"]
    ]
    assert "EventBusName" not in rule or rule["EventBusName"] == "default"
    pattern = rule["EventPattern"]
    assert sorted(pattern["detail-type"]) == ["Email Bounced", "Email Complaint Received"]
    assert pattern["detail"] == {"mail": {"tags": {"ses:configuration-set": [f"lectern-{stage}"]}}}
    (target,) = rule["Targets"]
    queue_id = ref_id(target["Arn"])
    queue = tpl["Resources"][queue_id]["Properties"]
    dlq_id = ref_id(queue["RedrivePolicy"]["deadLetterTargetArn"])
    assert queue["QueueName"] == f"lectern-{stage}-mail-feedback" and queue["SqsManagedSseEnabled"] is True
    assert ref_id(target["DeadLetterConfig"]["Arn"]) == dlq_id
    (mapping,) = [
        m["Properties"]
        for m in resources(tpl, "AWS::Lambda::EventSourceMapping").values()
        if fn_id in refs_in(m["Properties"]["FunctionName"])
    ]
    assert ref_id(mapping["EventSourceArn"]) == queue_id
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    _, _, granted = _granted(tpl, "mail-feedback")
    assert granted == OWN_LOGS | XRAY | SQS_CONSUMER_ACTIONS | {"dynamodb:PutItem"}


def test_stage_and_bulk_method_throttles_and_a_usage_plan(synth):
    from infra.constructs.api import (
        BULK_THROTTLE_BURST,
        BULK_THROTTLE_RATE,
        THROTTLE_BURST,
        THROTTLE_RATE,
    )

    tpl = synth.json
    (stage_id, stage) = only(tpl, "AWS::ApiGateway::Stage")
    settings = {(s["ResourcePath"], s["HttpMethod"]): s for s in stage["Properties"]["MethodSettings"]}
    everything = settings[("/*", "*")]
    assert (everything["ThrottlingRateLimit"], everything["ThrottlingBurstLimit"]) == (
        THROTTLE_RATE,
        THROTTLE_BURST,
    )
    bulk = {k: v for k, v in settings.items() if k != ("/*", "*")}
    assert ("/~1api~1v1~1events~1{event_id}~1registrations", "POST") in bulk
    assert ("/~1api~1v1~1events~1{event_id}~1certificates~1issue", "POST") in bulk
    assert ("/~1api~1v1~1events~1{event_id}~1registrations~1bulk-attendance", "PATCH") in bulk
    for s in bulk.values():
        assert (s["ThrottlingRateLimit"], s["ThrottlingBurstLimit"]) == (
            BULK_THROTTLE_RATE,
            BULK_THROTTLE_BURST,
        )
        assert s["LoggingLevel"] == "ERROR" and s["DataTraceEnabled"] is False and s["MetricsEnabled"] is True
    (_, plan) = only(tpl, "AWS::ApiGateway::UsagePlan")
    props = plan["Properties"]
    assert props["Throttle"] == {"RateLimit": THROTTLE_RATE, "BurstLimit": THROTTLE_BURST}
    (api_stage,) = props["ApiStages"]
    assert stage_id in refs_in(api_stage["Stage"])


def test_the_new_functions_and_dead_letters_have_alarms(synth):
    tpl = synth.json
    functions = functions_by_name(tpl)
    alarms = [a["Properties"] for a in resources(tpl, "AWS::CloudWatch::Alarm").values()]
    erroring = {ref_id(d["Value"]) for a in alarms if a["MetricName"] == "Errors" for d in a["Dimensions"]}
    for name in ("reminder-sweep", "mail-feedback", "reminders-worker"):
        assert functions[name][0] in erroring, name
    queues = {
        ref_id(d["Value"]) if isinstance(d["Value"], dict) and "Fn::GetAtt" in d["Value"] else None
        for a in alarms
        if a["MetricName"] == "ApproximateNumberOfMessagesVisible"
        for d in a["Dimensions"]
    }
    dlq = [
        k
        for k, v in resources(tpl, "AWS::SQS::Queue").items()
        if v["Properties"].get("QueueName") == f"lectern-{synth.stack.config.stage}-mail-feedback-dlq"
    ]
    assert dlq and dlq[0] in queues


def test_resource_count(synth):
    """Reported, not enforced here (tests/infra/test_infra_stack.py guards the 500 limit)."""
    print(f"\n{len(synth.json['Resources'])} resources")
