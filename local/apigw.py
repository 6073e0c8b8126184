"""Build API Gateway REST (v1 proxy) events and read their responses — exactly the shape the
deployed functions receive. Used by the local runtime, the integration tests and the bench."""

from __future__ import annotations

import base64
import json
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
