"""Build API Gateway REST (v1 proxy) events and Lambda function URL (2.0) events, and read
their responses — exactly the shapes the deployed functions receive. Used by the local
runtime, the integration tests and the bench."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl


def rest_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    raw_body: str | bytes | None = None,
    headers: dict[str, str] | None = None,
    query: str | dict[str, str] | None = None,
    authorizer: dict[str, str] | None = None,
    source_ip: str = "127.0.0.1",
    resource: str | None = None,
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    hdrs = {"Content-Type": "application/json", "User-Agent": "lectern-tests"}
    hdrs.update(headers or {})
    if raw_body is not None:
        text: str | None
        is_b64 = False
        if isinstance(raw_body, bytes):
            try:
                text = raw_body.decode()
            except UnicodeDecodeError:
                text, is_b64 = base64.b64encode(raw_body).decode(), True
        else:
            text = raw_body
    elif body is not None:
        text, is_b64 = json.dumps(body), False
    else:
        text, is_b64 = None, False
    if isinstance(query, str):
        pairs = parse_qsl(query, keep_blank_values=True)
    else:
        pairs = list((query or {}).items())
    qs: dict[str, str] = {}
    mqs: dict[str, list[str]] = {}
    for k, v in pairs:
        qs[k] = v
        mqs.setdefault(k, []).append(v)
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method.upper(),
        "headers": hdrs,
        "multiValueHeaders": {k: [v] for k, v in hdrs.items()},
        "queryStringParameters": qs or None,
        "multiValueQueryStringParameters": mqs or None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource or path,
            "httpMethod": method.upper(),
            "path": f"/local{path}",
            "stage": "local",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": source_ip, "userAgent": hdrs.get("User-Agent", "")},
            "authorizer": dict(authorizer) if authorizer else None,
        },
        "body": text,
        "isBase64Encoded": is_b64,
    }


def response_headers(response: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, values in (response.get("multiValueHeaders") or {}).items():
        out[k] = ", ".join(str(v) for v in values)
    for k, v in (response.get("headers") or {}).items():
        out[k] = str(v)
    return out


def response_body(response: dict[str, Any]) -> bytes:
    body = response.get("body") or ""
    if response.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body.encode()


def function_url_event(
    method: str,
    path: str = "/",
    *,
    raw_body: bytes | None = None,
    headers: dict[str, str] | None = None,
    query: str = "",
    source_ip: str = "127.0.0.1",
    request_id: str | None = None,
    domain: str = "local.lambda-url.localhost",
    base64_body: bool | None = None,
) -> dict[str, Any]:
    """A Lambda function URL event (payload format 2.0): header names lower-cased (repeats
    joined with commas), the body as text unless it is binary, then base64 — or as
    `base64_body` forces. What the webhook functions receive."""
    hdrs: dict[str, str] = {}
    for name, value in (headers or {}).items():
        key = name.lower()
        hdrs[key] = f"{hdrs[key]},{value}" if key in hdrs else value
    body: str | None = None
    is_b64 = False
    if raw_body is not None:
        if base64_body is None:
            try:
                body = raw_body.decode("utf-8")
            except UnicodeDecodeError:
                is_b64 = True
        else:
            is_b64 = base64_body
        if is_b64:
            body = base64.b64encode(raw_body).decode("ascii")
        elif body is None:
            body = raw_body.decode("utf-8")
    now = time.time()
    rid = request_id or str(uuid.uuid4())
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": hdrs,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": domain.split(".")[0],
            "domainName": domain,
            "domainPrefix": domain.split(".")[0],
            "http": {
                "method": method.upper(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": hdrs.get("user-agent", ""),
            },
            "requestId": rid,
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": is_b64,
    }
    if query:
        event["queryStringParameters"] = {k: v for k, v in parse_qsl(query, keep_blank_values=True)}
    if body is not None:
        event["body"] = body
    return event
