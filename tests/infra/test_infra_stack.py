"""Infra tier: the synthesised CloudFormation template, asserted on real properties.

The app is synthesised once for the module (cdk-nag runs as part of that synthesis). The
expectations come from the sources of truth, not from infra/: the table from the pynamodb
model (`table_schema()`), the routes from docs/openapi.json, the groups from functions/groups.py.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

pytestmark = pytest.mark.infra

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = ROOT / "docs" / "openapi.json"

XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
OWN_LOGS = {"logs:CreateLogStream", "logs:PutLogEvents"}
ROUTE_GROUP_ACTIONS = OWN_LOGS | {
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
    "ses:SendRawEmail",  # lectern.integrations.mail sends multipart mail with SendRawEmail
    "events:PutEvents",
    "secretsmanager:GetSecretValue",
}
SQS_CONSUMER_ACTIONS = {  # what an SQS event source mapping adds to a worker's role (its own queue)
    "sqs:ReceiveMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueUrl",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
}
ZOOM_WEBHOOK = "zoom-webhook"
REMINDER_SWEEP = "reminder-sweep"  # infra/constructs/schedules.py
MAIL_FEEDBACK = "mail-feedback"  # infra/constructs/mail.py
# Exactly what each function may do besides X-Ray (groups not listed: ROUTE_GROUP_ACTIONS;
# workers, named `<consumer>-worker`: ROUTE_GROUP_ACTIONS + SQS_CONSUMER_ACTIONS).
EXPECTED_ACTIONS = {
    "meta": OWN_LOGS,
    "authorizer": OWN_LOGS | {"dynamodb:GetItem", "secretsmanager:GetSecretValue"},
    ZOOM_WEBHOOK: OWN_LOGS | {"dynamodb:PutItem", "events:PutEvents", "secretsmanager:GetSecretValue"},
    # the scheduled reminder sweep: route-group table/mail/secret access, no bus
    REMINDER_SWEEP: ROUTE_GROUP_ACTIONS - {"events:PutEvents"},
    # SES bounces/complaints from its queue → one conditional PutItem (suppression)
    MAIL_FEEDBACK: OWN_LOGS | SQS_CONSUMER_ACTIONS | {"dynamodb:PutItem"},
}
# Which secrets each function may read (not listed: the app secret only).
EXPECTED_SECRETS = {
    "meta": set(),
    ZOOM_WEBHOOK: {"zoom"},
    "integrations": {"app", "zoom"},
    MAIL_FEEDBACK: set(),
}
# cfn-lint warnings accepted, each with why:
# W3005: CDK emits DependsOn on a function's role although Role is already a GetAtt of that role;
#        redundant ordering, no effect on the deployment.
ACCEPTED_CFN_LINT_WARNINGS = {"W3005"}


# --- helpers -----------------------------------------------------------------------------------


def resources(tpl: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in tpl["Resources"].items() if v["Type"] == type_}


def only(tpl: dict[str, Any], type_: str) -> tuple[str, dict[str, Any]]:
    found = resources(tpl, type_)
    assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
    return next(iter(found.items()))


def ref_id(value: Any) -> str:
    """The logical id a Ref/GetAtt points at."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    raise AssertionError(f"not a Ref/GetAtt: {value!r}")


def refs_in(value: Any) -> set[str]:
    text = json.dumps(value)
    return set(re.findall(r'"Ref": "([^"]+)"', text)) | set(re.findall(r'"Fn::GetAtt": \["([^"]+)"', text))


def worker_names() -> set[str]:
    from functions.consumers import CONSUMERS

    return {f"{c.name}-worker" for c in CONSUMERS}


def pipeline_task_names() -> set[str]:
    from functions.pipelines import PIPELINES

    return {t.name for p in PIPELINES for t in p.tasks}


def starters() -> set[str]:
    """Functions that start a pipeline: + states:StartExecution (tests/infra/test_pipelines_infra.py)."""
    from infra.stack import PIPELINE_STARTERS

    return {name for names in PIPELINE_STARTERS.values() for name in names}


def expected_actions(name: str) -> set[str]:
    from tests.infra.test_pipelines_infra import task_actions

    if name in pipeline_task_names():
        return task_actions(name)
    extra = {"states:StartExecution"} if name in starters() else set()
    if name in worker_names():
        return ROUTE_GROUP_ACTIONS | SQS_CONSUMER_ACTIONS | extra
    return EXPECTED_ACTIONS.get(name, ROUTE_GROUP_ACTIONS) | extra


def expected_secrets(name: str) -> set[str]:
    from tests.infra.test_pipelines_infra import task_secrets

    if name in pipeline_task_names():
        return task_secrets(name)
    if name in worker_names():
        return {"app", "zoom"}
    return EXPECTED_SECRETS.get(name, {"app"})


def secrets_by_kind(tpl: dict[str, Any], stage: str) -> dict[str, str]:
    """ "app" / "zoom" → the secret's logical id (by its name, lectern/<stage>/<kind>)."""
    found = {
        v["Properties"]["Name"].rpartition("/")[2]: k
        for k, v in resources(tpl, "AWS::SecretsManager::Secret").items()
    }
    assert set(found) == {"app", "zoom"}
    assert all(
        v["Properties"]["Name"].startswith(f"lectern/{stage}/")
        for v in resources(tpl, "AWS::SecretsManager::Secret").values()
    )
    return found


def functions_by_name(tpl: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    out = {}
    for logical_id, res in resources(tpl, "AWS::Lambda::Function").items():
        name = res["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
        out[name] = (logical_id, res)
    return out


def resource_paths(tpl: dict[str, Any]) -> dict[str, str]:
    """AWS::ApiGateway::Resource logical id → full path, from PathPart/ParentId."""
    res = resources(tpl, "AWS::ApiGateway::Resource")

    def path(logical_id: str) -> str:
        props = res[logical_id]["Properties"]
        parent = ref_id(props["ParentId"])
        prefix = path(parent) if parent in res else ""
        return f"{prefix}/{props['PathPart']}"

    return {logical_id: path(logical_id) for logical_id in res}


def normalise(path: str) -> str:
    """Resource path with anonymous parameters, as API Gateway holds it: each segment through
    infra.routes.resource_part (so `{token}.ics` is the resource `{token}`)."""
    from infra.routes import resource_part

    parts = [resource_part(s) for s in path.strip("/").split("/") if s]
    return re.sub(r"\{[^}]*\}", "{}", "/" + "/".join(parts))


def expected_routes() -> dict[tuple[str, str], tuple[str, bool]]:
    """(normalised /api/v1 path, METHOD) → (group, protected), straight from the contract."""
    doc = json.loads(OPENAPI.read_text())
    out = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in {"get", "put", "post", "delete", "patch", "head"}:
                protected = bool(op.get("security")) and all(op["security"])
                out[(normalise("/api/v1" + path), method.upper())] = (op["x-lectern-function"], protected)
    for path in ("/openapi.json", "/docs", "/docs/{asset}"):
        out[(normalise("/api/v1" + path), "GET")] = ("meta", False)
    return out


def method_function(method: dict[str, Any], functions: dict[str, tuple[str, dict[str, Any]]]) -> str:
    uri_refs = refs_in(method["Properties"]["Integration"]["Uri"])
    names = [name for name, (logical_id, _) in functions.items() if logical_id in uri_refs]
    assert len(names) == 1, uri_refs
    return names[0]


# --- data --------------------------------------------------------------------------------------


def test_table_is_the_model_table(synth: SimpleNamespace) -> None:
    """The contract: the table CDK creates is the table the pynamodb model expects."""
    from lectern.data.base import table_schema

    schema = table_schema()
    _, table = only(synth.json, "AWS::DynamoDB::Table")
    props = table["Properties"]

    assert props["KeySchema"] == schema["key_schema"]
    by_name = lambda items: sorted(items, key=lambda a: a["AttributeName"])  # noqa: E731
    assert by_name(props["AttributeDefinitions"]) == by_name(schema["attribute_definitions"])
    assert sorted(
        [
            {"IndexName": g["IndexName"], "KeySchema": g["KeySchema"], "Projection": g["Projection"]}
            for g in props["GlobalSecondaryIndexes"]
        ],
        key=lambda g: g["IndexName"],
    ) == sorted(
        [
            {"IndexName": g["index_name"], "KeySchema": g["key_schema"], "Projection": g["projection"]}
            for g in schema["global_secondary_indexes"]
        ],
        key=lambda g: g["IndexName"],
    )
    assert props["TimeToLiveSpecification"] == {"AttributeName": schema["ttl_attribute"], "Enabled": True}


def test_table_is_durable_and_encrypted(synth: SimpleNamespace) -> None:
    _, table = only(synth.json, "AWS::DynamoDB::Table")
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["DeletionProtectionEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain"


def _files_bucket(tpl: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    buckets = {
        k: v
        for k, v in resources(tpl, "AWS::S3::Bucket").items()
        if "LoggingConfiguration" in v["Properties"]
    }
    assert len(buckets) == 1
    return next(iter(buckets.items()))


def test_buckets_are_private_and_tls_only(synth: SimpleNamespace) -> None:
    tpl = synth.json
    policies = resources(tpl, "AWS::S3::BucketPolicy")
    for logical_id, bucket in resources(tpl, "AWS::S3::Bucket").items():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
            "ServerSideEncryptionByDefault"
        ]["SSEAlgorithm"] in {"AES256", "aws:kms"}
        statements = [
            s
            for p in policies.values()
            if ref_id(p["Properties"]["Bucket"]) == logical_id
            for s in p["Properties"]["PolicyDocument"]["Statement"]
        ]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements
        ), f"{logical_id} accepts plain HTTP"
        assert not any(s["Effect"] == "Allow" and s.get("Principal") == "*" for s in statements)


def test_files_bucket_versioning_cors_and_lifecycle(synth: SimpleNamespace) -> None:
    _, bucket = _files_bucket(synth.json)
    props = bucket["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    (rule,) = props["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedOrigins"] == list(synth.stack.config.cors_origins)
    assert "*" not in rule["AllowedOrigins"]
    assert "POST" in rule["AllowedMethods"] and "PUT" not in rule["AllowedMethods"]
    expiring = {r.get("Prefix"): r for r in props["LifecycleConfiguration"]["Rules"]}
    assert expiring["exports/"]["ExpirationInDays"] == 7
    assert expiring["tmp/"]["ExpirationInDays"] == 1
    assert bucket["DeletionPolicy"] == "Retain"


# --- functions ---------------------------------------------------------------------------------


def test_one_function_per_route_group(synth: SimpleNamespace) -> None:
    from functions.consumers import CONSUMERS
    from functions.groups import AUTHORIZER_MODULE, GROUPS
    from infra.runtime import PYTHON_VERSION

    functions = functions_by_name(synth.json)
    from functions.pipelines import PIPELINES

    assert set(functions) == (
        {g.name for g in GROUPS}
        | {"authorizer", ZOOM_WEBHOOK, REMINDER_SWEEP, MAIL_FEEDBACK}
        | worker_names()
        | pipeline_task_names()
    )
    handlers = (
        {g.name: g.handler for g in GROUPS}
        | {"authorizer": f"{AUTHORIZER_MODULE}.lambda_handler"}
        | {ZOOM_WEBHOOK: "functions.webhooks.zoom.lambda_handler"}
        | {f"{c.name}-worker": c.handler for c in CONSUMERS}
        | {t.name: t.handler for p in PIPELINES for t in p.tasks}
        | {REMINDER_SWEEP: "functions.workers.reminder_sweep.lambda_handler"}
        | {MAIL_FEEDBACK: "functions.workers.mail_feedback.lambda_handler"}
    )
    (layer_id, _) = only(synth.json, "AWS::Lambda::LayerVersion")
    for name, (_, fn) in functions.items():
        props = fn["Properties"]
        assert props["Handler"] == handlers[name]
        assert props["Runtime"] == f"python{PYTHON_VERSION}"
        assert props["Architectures"] == ["arm64"]
        assert props["TracingConfig"] == {"Mode": "Active"}
        if name == "contacts":  # a 10,000-row CSV import in one request: one vCPU, under 29 s
            assert (props["MemorySize"], props["Timeout"]) == (1769, 28)
        elif name == REMINDER_SWEEP:  # scheduled, not behind API Gateway (tests/infra/test_outreach_infra.py)
            assert (props["MemorySize"], props["Timeout"]) == (512, 300)
        else:
            assert props["MemorySize"] == 512
            assert props["Timeout"] == 15 < 29  # API Gateway gives up at 29 s
        assert [ref_id(x) for x in props["Layers"]] == [layer_id]
        env = props["Environment"]["Variables"]
        assert env["POWERTOOLS_SERVICE_NAME"] == name
        assert env["POWERTOOLS_LOG_LEVEL"] == "INFO"
        assert env["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"


def test_every_function_gets_every_setting(synth: SimpleNamespace) -> None:
    from lectern.config import Settings

    required = {
        "LECTERN_TABLE_NAME",
        "LECTERN_FILES_BUCKET",
        "LECTERN_EVENT_BUS_NAME",
        "LECTERN_APP_SECRET_NAME",
        "LECTERN_ZOOM_SECRET_NAME",
        "LECTERN_STAGE",
        "LECTERN_CORS_ORIGINS",
        "LECTERN_MAIL_FROM",
        "LECTERN_APP_BASE_URL",
        "LECTERN_REGION",
        "LECTERN_ISSUE_STATE_MACHINE_ARN",
        "LECTERN_SES_CONFIGURATION_SET",
    }
    names = (
        [f.name for f in dataclasses.fields(Settings)]
        if dataclasses.is_dataclass(Settings)
        else list(Settings.model_fields)  # a pydantic-settings model
    )
    fields = {f"LECTERN_{name.upper()}" for name in names}
    table_id, _ = only(synth.json, "AWS::DynamoDB::Table")
    kinds = secrets_by_kind(synth.json, synth.stack.config.stage)
    secret = synth.json["Resources"][kinds["app"]]
    zoom_secret = synth.json["Resources"][kinds["zoom"]]
    for name, (_, fn) in functions_by_name(synth.json).items():
        env = fn["Properties"]["Environment"]["Variables"]
        lectern = {k for k in env if k.startswith("LECTERN_")}
        assert lectern == required, name
        assert lectern <= fields, f"{name}: {lectern - fields} are not settings"
        assert ref_id(env["LECTERN_TABLE_NAME"]) == table_id
        assert env["LECTERN_APP_SECRET_NAME"] == secret["Properties"]["Name"]
        assert env["LECTERN_ZOOM_SECRET_NAME"] == zoom_secret["Properties"]["Name"]
        assert json.loads(env["LECTERN_CORS_ORIGINS"]) == list(synth.stack.config.cors_origins)
        assert env["LECTERN_STAGE"] == synth.stack.config.stage


def _asset_dir(synth: SimpleNamespace, fn: dict[str, Any]) -> Path:
    key = fn["Properties"]["Code"]["S3Key"]
    return synth.outdir / f"asset.{key.split('.')[0]}"


def test_function_assets_hold_only_their_own_group(synth: SimpleNamespace) -> None:
    from functions.groups import GROUPS

    folders = {g.name: g.module.split(".")[1] for g in GROUPS} | {"authorizer": "authorizer"}
    for name, (_, fn) in functions_by_name(synth.json).items():
        if name not in folders:
            continue  # webhooks and workers ship their one module (tests/infra/test_webhooks_infra.py)
        pkg = _asset_dir(synth, fn) / "functions"
        assert (pkg / "__init__.py").is_file() and (pkg / "groups.py").is_file()
        assert (pkg / folders[name] / "handler.py").is_file()
        subpackages = {p.name for p in pkg.iterdir() if p.is_dir()}
        assert subpackages == {folders[name]}, f"{name} ships {subpackages}"
        assert not list(pkg.rglob("__pycache__"))
    (_, meta) = functions_by_name(synth.json)["meta"]
    packaged = _asset_dir(synth, meta) / "functions" / "meta" / "openapi.json"
    assert packaged.read_text() == OPENAPI.read_text()


def test_log_groups_have_retention(synth: SimpleNamespace) -> None:
    groups = resources(synth.json, "AWS::Logs::LogGroup")
    assert groups and all(g["Properties"]["RetentionInDays"] == 30 for g in groups.values())
    for name, (_, fn) in functions_by_name(synth.json).items():
        assert ref_id(fn["Properties"]["LoggingConfig"]["LogGroup"]) in groups, name


def _role_actions(tpl: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Role logical id → every statement of the policies attached to it."""
    out: dict[str, list[dict[str, Any]]] = {}
    for policy in resources(tpl, "AWS::IAM::Policy").values():
        for role in policy["Properties"]["Roles"]:
            out.setdefault(ref_id(role), []).extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return out


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_function_roles_hold_exactly_the_expected_actions(synth: SimpleNamespace) -> None:
    tpl = synth.json
    statements = _role_actions(tpl)
    table_id, _ = only(tpl, "AWS::DynamoDB::Table")
    secret_ids = secrets_by_kind(tpl, synth.stack.config.stage)
    for name, (_, fn) in functions_by_name(tpl).items():
        role_id = ref_id(fn["Properties"]["Role"])
        assert "ManagedPolicyArns" not in tpl["Resources"][role_id]["Properties"], (
            f"{name} has managed policies"
        )
        granted = {a for s in statements[role_id] for a in _actions(s)}
        assert granted == expected_actions(name) | XRAY, name
        readable = set()
        for s in statements[role_id]:
            assert s["Effect"] == "Allow"
            assert not any("*" in a for a in _actions(s)), f"{name}: wildcard action {s['Action']}"
            if s["Resource"] == "*":
                assert set(_actions(s)) <= XRAY, f"{name}: {s['Action']} on every resource"
            if any(a.startswith("dynamodb:") for a in _actions(s)):
                assert refs_in(s["Resource"]) == {table_id}
                assert "/index/*" not in json.dumps(s["Resource"])
            if any(a.startswith("secretsmanager:") for a in _actions(s)):
                readable |= {kind for kind, sid in secret_ids.items() if ref_id(s["Resource"]) == sid}
            if any(a.startswith("ses:") for a in _actions(s)):
                assert s["Condition"] == {
                    "StringEquals": {"ses:FromAddress": synth.stack.config.sender_address}
                }
            if name not in pipeline_task_names():  # file access: tests/infra/test_pipelines_infra.py
                assert not any(a.startswith("s3:") for a in _actions(s)), f"{name} needs no file access yet"
        assert readable == expected_secrets(name), name


def test_no_policy_anywhere_grants_wildcard_actions(synth: SimpleNamespace) -> None:
    for logical_id, policy in resources(synth.json, "AWS::IAM::Policy").items():
        for s in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert not any(a == "*" or a.endswith(":*") for a in _actions(s)), logical_id
    for role in resources(synth.json, "AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]


# --- API ---------------------------------------------------------------------------------------


def test_every_contract_operation_is_routed_to_its_group(synth: SimpleNamespace) -> None:
    tpl = synth.json
    paths = resource_paths(tpl)
    functions = functions_by_name(tpl)
    (authorizer_id, _) = only(tpl, "AWS::ApiGateway::Authorizer")
    expected = expected_routes()

    actual: dict[tuple[str, str], tuple[str, bool]] = {}
    for method in resources(tpl, "AWS::ApiGateway::Method").values():
        props = method["Properties"]
        key = (normalise(paths[ref_id(props["ResourceId"])]), props["HttpMethod"])
        integration = props["Integration"]
        assert integration["Type"] == "AWS_PROXY" and integration["IntegrationHttpMethod"] == "POST"
        protected = props["AuthorizationType"] == "CUSTOM"
        if protected:
            assert ref_id(props["AuthorizerId"]) == authorizer_id
        else:
            assert props["AuthorizationType"] == "NONE" and "AuthorizerId" not in props
        actual[key] = (method_function(method, functions), protected)

    preflights = {k: v for k, v in actual.items() if k[1] == "ANY"}
    routes = {k: v for k, v in actual.items() if k[1] != "ANY"}
    assert routes == expected
    # one preflight per resource that has routes, public, on a function serving that resource
    assert {p for p, _ in preflights} == {p for p, _ in expected}
    for (path, _), (group, protected) in preflights.items():
        assert not protected
        assert group in {g for (p, _), (g, _) in expected.items() if p == path}
    # everything lives under /api/v1
    assert all(p.startswith("/api/v1/") for p, _ in actual)


def test_authorizer_reads_the_authorization_header_and_caches(synth: SimpleNamespace) -> None:
    (_, authorizer) = only(synth.json, "AWS::ApiGateway::Authorizer")
    props = authorizer["Properties"]
    assert props["Type"] == "REQUEST"
    assert props["IdentitySource"] == "method.request.header.Authorization"
    assert props["AuthorizerResultTtlInSeconds"] == 60
    (authorizer_fn_id, _) = functions_by_name(synth.json)["authorizer"]
    assert authorizer_fn_id in refs_in(props["AuthorizerUri"])


def test_stage_throttles_traces_and_logs(synth: SimpleNamespace) -> None:
    (_, stage) = only(synth.json, "AWS::ApiGateway::Stage")
    props = stage["Properties"]
    assert props["StageName"] == synth.stack.config.stage
    assert props["TracingEnabled"] is True
    # the whole stage; bulk methods add their own entries (tests/infra/test_outreach_infra.py)
    (settings,) = [s for s in props["MethodSettings"] if s["ResourcePath"] == "/*"]
    assert settings["HttpMethod"] == "*"
    assert settings["ThrottlingRateLimit"] == 100 and settings["ThrottlingBurstLimit"] == 200
    assert settings["LoggingLevel"] == "ERROR"
    assert settings["DataTraceEnabled"] is False  # would log passwords and tokens
    log_groups = resources(synth.json, "AWS::Logs::LogGroup")
    destination = {
        r for r in refs_in(props["AccessLogSetting"]["DestinationArn"]) if not r.startswith("AWS::")
    }
    assert len(destination) == 1 and destination <= set(log_groups)
    fmt = json.loads(props["AccessLogSetting"]["Format"])
    assert fmt["requestId"] == "$context.requestId" and fmt["status"] == "$context.status"
    assert "$context.path" not in props["AccessLogSetting"]["Format"]  # concrete paths can hold secrets


def test_gateway_errors_use_the_error_envelope(synth: SimpleNamespace) -> None:
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in resources(synth.json, "AWS::ApiGateway::GatewayResponse").values()
    }
    assert {"UNAUTHORIZED", "MISSING_AUTHENTICATION_TOKEN", "THROTTLED", "DEFAULT_4XX", "DEFAULT_5XX"} <= set(
        responses
    )
    assert responses["UNAUTHORIZED"]["StatusCode"] == "401"
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    assert responses["THROTTLED"]["ResponseParameters"]["gatewayresponse.header.Retry-After"] == "'1'"
    for kind, props in responses.items():
        body = props["ResponseTemplates"]["application/json"]
        body = body.replace("$context.error.messageString", '"message"').replace("$context.requestId", "rid")
        envelope = json.loads(body)
        assert set(envelope["error"]) == {"code", "message", "details"}, kind
        assert re.fullmatch(r"[a-z_]+", envelope["error"]["code"])


# --- events, secrets, monitoring ---------------------------------------------------------------


def test_event_bus_archive_and_dead_letter_queue(synth: SimpleNamespace) -> None:
    stage = synth.stack.config.stage
    (bus_id, bus) = only(synth.json, "AWS::Events::EventBus")
    assert bus["Properties"]["Name"] == f"lectern-{stage}"
    (_, archive) = only(synth.json, "AWS::Events::Archive")
    assert (
        bus_id in refs_in(archive["Properties"]["SourceArn"]) and archive["Properties"]["RetentionDays"] == 30
    )
    ((dlq_id, queue),) = [
        (k, q)
        for k, q in resources(synth.json, "AWS::SQS::Queue").items()
        if q["Properties"]["QueueName"] == f"lectern-{stage}-events-dlq"
    ]
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    (policy,) = [
        p
        for p in resources(synth.json, "AWS::SQS::QueuePolicy").values()
        if dlq_id in {ref_id(q) for q in p["Properties"]["Queues"]}
    ]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    )


def test_app_secret_is_generated(synth: SimpleNamespace) -> None:
    app_id = secrets_by_kind(synth.json, synth.stack.config.stage)["app"]
    props = synth.json["Resources"][app_id]["Properties"]
    assert props["Name"] == f"lectern/{synth.stack.config.stage}/app"
    assert props["GenerateSecretString"]["PasswordLength"] == 64
    assert "SecretString" not in props


def test_alarms_cover_api_functions_and_dead_letters(synth: SimpleNamespace) -> None:
    tpl = synth.json
    (topic_id, topic) = only(tpl, "AWS::SNS::Topic")
    assert "KmsMasterKeyId" in topic["Properties"]
    alarms = list(resources(tpl, "AWS::CloudWatch::Alarm").values())
    for alarm in alarms:
        assert topic_id in refs_in(alarm["Properties"]["AlarmActions"])
    by_metric = {(a["Properties"]["Namespace"], a["Properties"]["MetricName"]) for a in alarms}
    assert ("AWS/ApiGateway", "5XXError") in by_metric
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible") in by_metric
    functions = functions_by_name(tpl)
    errors = {
        ref_id(d["Value"])
        for a in alarms
        if a["Properties"]["MetricName"] == "Errors"
        for d in a["Properties"]["Dimensions"]
    }
    # every function but the authorizer (it raises to answer 401: its Errors count bad tokens)
    assert errors == {logical_id for name, (logical_id, _) in functions.items() if name != "authorizer"}


# --- validation: cdk-nag and cfn-lint ----------------------------------------------------------


def test_cdk_nag_has_no_unacknowledged_findings(synth: SimpleNamespace) -> None:
    from aws_cdk.assertions import Annotations, Match

    report = json.loads((synth.outdir / "validation-report.json").read_text())
    violations = [
        (v["ruleName"], v["severity"], [c.get("constructPath") for c in v.get("violatingConstructs", [])])
        for plugin in report["pluginReports"]
        for v in plugin.get("violations", [])
    ]
    assert violations == []
    annotations = Annotations.from_stack(synth.stack)
    assert annotations.find_error("*", Match.string_like_regexp("AwsSolutions-.*")) == []
    assert annotations.find_warning("*", Match.string_like_regexp("AwsSolutions-.*")) == []


def test_every_acknowledgement_has_a_reason(synth: SimpleNamespace) -> None:
    acknowledged = [
        rule
        for res in synth.json["Resources"].values()
        for rule in res.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]
    assert acknowledged, "acknowledgements are written to the template for audit"
    for rule in acknowledged:
        assert rule["id"].startswith("AwsSolutions-")
        assert len(rule["reason"]) >= 40, rule


def test_template_passes_cfn_lint(synth: SimpleNamespace) -> None:
    from cfnlint.api import ManualArgs, lint

    problems = []
    for path, template in synth.templates.items():  # the parent and each nested stack, as deployed
        matches = lint(json.dumps(template), config=ManualArgs(regions=["eu-west-1", "us-east-1"]))
        problems += [
            f"{path}: {m.rule.id} {m.message} ({'/'.join(map(str, m.path))})"
            for m in matches
            if not (m.rule.id.startswith("W") and m.rule.id in ACCEPTED_CFN_LINT_WARNINGS)
            and not m.rule.id.startswith("I")
        ]
    assert problems == []


def test_every_template_stays_under_cloudformations_resource_limit(synth: SimpleNamespace) -> None:
    """CloudFormation refuses a template with more than 500 resources. The API (a method per
    operation, a resource per path part) lives in its own nested stack (docs/decisions/0009)."""
    counts = {path: len(t["Resources"]) for path, t in synth.templates.items()}
    assert len(counts) >= 2, "the API is expected in a nested stack"
    assert all(n <= 500 for n in counts.values()), counts
