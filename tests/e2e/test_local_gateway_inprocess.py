"""The local gateway's API Gateway behaviour, in-process against stand-in functions (no
emulator, no socket): routing, the authorizer contract, the proxy event and response shapes."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from werkzeug.test import Client

from local.routes import Route, RouteTable, from_infra
from local.runtime import Function
from local.server import Gateway

pytestmark = pytest.mark.e2e

ORIGIN = "http://localhost:5173"


@pytest.fixture(autouse=True)
def _local_settings(monkeypatch: pytest.MonkeyPatch) -> Any:
    from lectern.config import reset_settings

    monkeypatch.setenv("LECTERN_LOCAL_MODE", "true")
    monkeypatch.delenv("LECTERN_CORS_ORIGINS", raising=False)  # the local default origins
    reset_settings()
    yield
    reset_settings()


class Recorder:
    def __init__(self, response: Any = None, exc: Exception | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []
        self.response = response
        self.exc = exc

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.events.append(event)
        self.contexts.append(context)
        if self.exc:
            raise self.exc
        if self.response is not None:
            return self.response
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"ok": True}),
        }


def authorizer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    token = event["headers"].get("Authorization", "")
    if token == "Bearer boom":
        raise RuntimeError("authorizer bug")
    if token not in ("Bearer good", "Bearer wrong-stage"):
        raise Exception("Unauthorized")  # the API Gateway contract
    arn = event["methodArn"]
    stage_arn = "/".join(arn.split("/", 2)[:2]) + "/*"
    if token == "Bearer wrong-stage":
        stage_arn = stage_arn.replace("/local/", "/prod/")
    return {
        "principalId": "u1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": stage_arn}],
        },
        "context": {"user_id": "u1", "session_id": "s1", "admin": False, "level": 3},
    }


ROUTES = [
    Route("GET", "/api/v1/health", "meta", False),
    Route("GET", "/api/v1/users/me", "users", True),
    Route("PATCH", "/api/v1/users/me", "users", True),
    Route("GET", "/api/v1/events/{event_id}", "events", False),
    Route("GET", "/api/v1/events/mine", "users", True),
    Route("GET", "/api/v1/files/{key+}", "events", False),
    Route("POST", "/webhooks/zoom", "webhooks", False),
]


@pytest.fixture
def fns() -> dict[str, Recorder]:
    return {name: Recorder() for name in ("meta", "users", "events", "webhooks")}


@pytest.fixture
def client(fns: dict[str, Recorder]) -> Client:
    functions = {name: Function(f"lectern-local-{name}", rec) for name, rec in fns.items()}
    gw = Gateway(
        RouteTable(ROUTES), functions, Function("lectern-local-authorizer", authorizer), None, "eu-west-1"
    )
    return Client(gw)


def test_routes_match_with_or_without_trailing_slash_and_static_segments_win(
    client: Client, fns: dict[str, Recorder]
) -> None:
    assert client.get("/api/v1/health").status_code == 200
    assert client.get("/api/v1/health/").status_code == 200
    assert client.get("/api/v1/events/e%2F1/").status_code == 200
    ev = fns["events"].events[-1]
    assert ev["pathParameters"] == {"event_id": "e/1"}
    assert ev["resource"] == "/api/v1/events/{event_id}"
    r = client.get("/api/v1/events/mine", headers={"Authorization": "Bearer good"})
    assert r.status_code == 200
    assert fns["users"].events[-1]["resource"] == "/api/v1/events/mine"
    assert client.get("/api/v1/files/a/b/c.pdf").status_code == 200
    assert fns["events"].events[-1]["pathParameters"] == {"key": "a/b/c.pdf"}
    assert client.post("/webhooks/zoom", data=b"{}").status_code == 200
    assert client.get("/api/v1/health/extra").status_code == 404


def test_the_proxy_event_carries_the_request(client: Client, fns: dict[str, Recorder]) -> None:
    r = client.get("/api/v1/events/e1?a=1&a=2&b=x%20y", headers={"X-Thing": "v", "User-Agent": "ua/1"})
    assert r.status_code == 200
    ev = fns["events"].events[-1]
    assert ev["httpMethod"] == "GET"
    assert ev["path"] == "/api/v1/events/e1"
    assert ev["queryStringParameters"] == {"a": "2", "b": "x y"}
    assert ev["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x y"]}
    assert ev["headers"]["X-Thing"] == "v"
    assert ev["multiValueHeaders"]["X-Thing"] == ["v"]
    assert ev["body"] is None
    assert ev["requestContext"]["authorizer"] is None
    assert ev["requestContext"]["identity"]["userAgent"] == "ua/1"
    assert ev["requestContext"]["requestId"] == r.headers["x-amzn-RequestId"]
    ctx = fns["events"].contexts[-1]
    assert ctx.function_name == "lectern-local-events"
    assert (
        ctx.memory_limit_in_mb
        and ctx.aws_request_id
        and ctx.invoked_function_arn.endswith(":lectern-local-events")
    )
    assert 0 < ctx.get_remaining_time_in_millis() <= 29_000

    client.post("/webhooks/zoom", data='{"é": 1}'.encode(), content_type="application/json")
    ev = fns["webhooks"].events[-1]
    assert json.loads(ev["body"]) == {"é": 1} and ev["isBase64Encoded"] is False
    client.post("/webhooks/zoom", data=b"\xff\x00", content_type="application/octet-stream")
    ev = fns["webhooks"].events[-1]
    assert ev["isBase64Encoded"] is True and base64.b64decode(ev["body"]) == b"\xff\x00"


def test_secured_routes_run_the_authorizer_and_pass_its_context(
    client: Client, fns: dict[str, Recorder]
) -> None:
    r = client.get("/api/v1/users/me/", headers={"Authorization": "Bearer good"})
    assert r.status_code == 200
    ctx = fns["users"].events[-1]["requestContext"]["authorizer"]
    assert ctx == {"user_id": "u1", "session_id": "s1", "admin": "false", "level": "3", "principalId": "u1"}


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "unauthorized"),
        ({"Authorization": "Bearer bad"}, 401, "unauthorized"),
        ({"Authorization": "Bearer wrong-stage"}, 403, "forbidden"),
        ({"Authorization": "Bearer boom"}, 500, "internal_error"),
    ],
)
def test_denied_requests_never_reach_the_function(
    client: Client, fns: dict[str, Recorder], headers: dict[str, str], status: int, code: str
) -> None:
    r = client.get("/api/v1/users/me/", headers={"Origin": ORIGIN, **headers})
    assert r.status_code == status
    assert r.json["error"]["code"] == code
    assert r.json["error"]["details"] == [{"correlation_id": r.headers["x-amzn-RequestId"]}]
    assert r.headers.get("Access-Control-Allow-Origin") == ORIGIN  # readable by the front-end
    assert fns["users"].events == []


def test_preflight_skips_the_authorizer_and_goes_to_the_group(
    client: Client, fns: dict[str, Recorder]
) -> None:
    r = client.options("/api/v1/users/me/", headers={"Origin": ORIGIN})
    assert r.status_code == 200
    assert fns["users"].events[-1]["httpMethod"] == "OPTIONS"
    assert client.options("/api/v1/nowhere/").status_code == 404


def test_wrong_method_lists_the_allowed_ones(client: Client) -> None:
    r = client.delete("/api/v1/users/me/", headers={"Origin": "https://evil.example"})
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET, PATCH"
    assert r.json["error"]["code"] == "method_not_allowed"
    assert "Access-Control-Allow-Origin" not in r.headers


def test_proxy_response_headers_and_binary_bodies(client: Client, fns: dict[str, Recorder]) -> None:
    fns["events"].response = {
        "statusCode": 201,
        "headers": {"Content-Type": "image/png", "X-One": "1"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "X-One": ["from-multi"]},
        "body": base64.b64encode(b"\x89PNG\x00").decode(),
        "isBase64Encoded": True,
    }
    r = client.get("/api/v1/events/e1")
    assert r.status_code == 201
    assert r.data == b"\x89PNG\x00"
    assert r.headers["Content-Type"] == "image/png"
    assert r.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    assert r.headers.getlist("X-One") == ["from-multi"]


def test_a_crashing_or_malformed_function_is_a_502_envelope(client: Client, fns: dict[str, Recorder]) -> None:
    fns["events"].exc = RuntimeError("bug")
    r = client.get("/api/v1/events/e1")
    assert r.status_code == 502
    assert r.json["error"]["code"] == "internal_error"
    assert r.json["error"]["details"][0]["correlation_id"]
    fns["events"].exc = None
    fns["events"].response = {"body": "no status"}
    r = client.get("/api/v1/events/e1")
    assert r.status_code == 502
    assert r.json["error"]["details"] == [{"correlation_id": r.headers["x-amzn-RequestId"]}]


def test_bodies_over_10_mb_are_refused_before_routing(client: Client, fns: dict[str, Recorder]) -> None:
    r = client.post("/webhooks/zoom", data=b"x" * (10 * 1024 * 1024 + 1))
    assert r.status_code == 413
    assert r.json["error"]["code"] == "payload_too_large"
    assert fns["webhooks"].events == []
    assert client.post("/webhooks/zoom", data=b"x" * (10 * 1024 * 1024)).status_code == 200


def test_dev_routes_list_the_table(client: Client) -> None:
    r = client.get("/_dev/routes")
    assert r.status_code == 200
    assert {"method": "GET", "path": "/api/v1/users/me", "function": "users", "secured": True} in r.json[
        "items"
    ]
    assert client.get("/_dev/nothing").status_code == 404


def test_the_local_table_is_the_cdk_apps_and_routes_like_the_test_harness() -> None:
    """Built from the CDK app's own route derivation (infra.routes), and agreeing with the
    in-process harness's table (tools.routes) on every operation: same function, same
    authorizer decision, same allowed methods."""
    import re as _re

    import tools.openapi
    import tools.routes as shared
    from functions.groups import GROUPS

    table = RouteTable(from_infra(tools.openapi.build(), [g.name for g in GROUPS]))
    assert len(table) == len(shared.route_table())
    for r in shared.route_table():
        path = "/api/v1" + _re.sub(r"\{[^/]+\}", "x1", r.template) + "/"
        want, allowed = shared.match(r.method, path)
        got = table.match(path)
        assert got is not None, path
        assert want is not None
        assert got.routes[r.method].group == want.group, path
        assert got.routes[r.method].secured == want.secured, path
        assert got.allowed == allowed, path


def test_duplicate_routes_are_refused() -> None:
    with pytest.raises(ValueError, match="two functions"):
        RouteTable([Route("GET", "/a", "one", False), Route("GET", "/a", "two", False)])


def test_route_groups_without_a_module_are_skipped_unless_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    import functions.groups as groups_mod
    from local import routes

    ghost = groups_mod.RouteGroup(
        "ghost", "functions.ghost_group_that_does_not_exist.handler", "not written yet"
    )
    monkeypatch.setattr(groups_mod, "GROUPS", (groups_mod.by_name("meta"), ghost))
    loaded = routes.load()
    assert loaded.missing == ["ghost"]
    assert loaded.table.groups() == {"meta"}
    assert groups_mod.GROUPS[-1] is ghost  # restored after the build
    with pytest.raises(SystemExit):
        routes.load(strict=True)


def test_a_route_group_that_fails_to_import_fails_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    import functions.groups as groups_mod
    from local import routes

    broken = groups_mod.RouteGroup("broken", "tests.e2e.sample_broken_group", "raises on import")
    monkeypatch.setattr(groups_mod, "GROUPS", (groups_mod.by_name("meta"), broken))
    with pytest.raises(ModuleNotFoundError, match="this_module_does_not_exist"):
        routes.load()


def test_routes_sit_on_their_api_gateway_resource() -> None:
    doc = {
        "paths": {
            "/calendar/{token}.ics": {"get": {"x-lectern-function": "events"}},
            "/events/{event_id}/": {"get": {"x-lectern-function": "events"}},
            "/events/{uuid}/sessions/": {
                "get": {"x-lectern-function": "events", "security": [{"bearerAuth": []}]},
            },
            "/events/{event_id}/optional/": {
                "get": {"x-lectern-function": "events", "security": [{}, {"bearerAuth": []}]},
            },
        }
    }
    table = RouteTable(from_infra(doc, ["events", "meta"]))
    m = table.match("/api/v1/calendar/abc.ics")
    assert m is not None and m.template == "/api/v1/calendar/{token}" and m.params == {"token": "abc.ics"}
    m = table.match("/api/v1/events/e1/sessions/")
    assert m is not None and m.template == "/api/v1/events/{event_id}/sessions"
    assert m.params == {"event_id": "e1"} and m.routes["GET"].secured
    m = table.match("/api/v1/events/e1/optional")
    assert m is not None and not m.routes["GET"].secured  # optional token: no authorizer
    assert table.match("/api/v1/docs/swagger-ui.css") is not None  # the meta extras
