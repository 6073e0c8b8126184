"""Call the route-group handlers in-process the way API Gateway would: route by the route
table, run the real authorizer for secured operations (401 envelope on deny, like the
gateway response), then the group's `lambda_handler` with a REST proxy event."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from lectern.auth.authorizer import authorize
from lectern.clock import SystemClock
from lectern.errors import LecternError

from functions.groups import by_name
from local.apigw import response_body, response_headers, rest_event
from tools.routes import match


@dataclass
class FakeContext:
    function_name: str = "lectern-test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:lectern-test"
    aws_request_id: str = "test-request"

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw) if self.raw else None

    @property
    def error_code(self) -> str | None:
        body = self.json
        return body.get("error", {}).get("code") if isinstance(body, dict) else None


def _envelope(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps({"error": {"code": code, "message": message, "details": []}}).encode()
    return Reply(status, {"Content-Type": "application/json", **(headers or {})}, body)


@dataclass
class Api:
    ip: str = "203.0.113.7"
    default_headers: dict[str, str] = field(default_factory=dict)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        raw: str | bytes | None = None,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | str | None = None,
        ip: str | None = None,
    ) -> Reply:
        path = path if path.startswith("/api/v1") else "/api/v1" + path
        hdrs = {**self.default_headers, **(headers or {})}
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        route, allowed = match(method, path)
        if route is None and method.upper() != "OPTIONS":
            if allowed:
                return _envelope(
                    405, "method_not_allowed", "Method not allowed", {"Allow": ", ".join(allowed)}
                )
            return _envelope(404, "route_not_found", "No route matches this path.")
        authorizer = None
        if route is not None and route.secured:
            try:
                authorizer = authorize(hdrs, SystemClock()).context()
            except LecternError:
                return _envelope(401, "unauthorized", "Authentication is required.")
        group = route.group if route else "meta"
        event = rest_event(
            method,
            path,
            body=body,
            raw_body=raw,
            headers=hdrs,
            query=query,
            authorizer=authorizer,
            source_ip=ip or self.ip,
        )
        handler = importlib.import_module(by_name(group).module).lambda_handler
        resp = handler(event, FakeContext())
        return Reply(resp["statusCode"], response_headers(resp), response_body(resp))

    def get(self, path: str, **kw: Any) -> Reply:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.call("DELETE", path, **kw)


@pytest.fixture
def api(aws_env: None) -> Iterator[Api]:
    yield Api()
