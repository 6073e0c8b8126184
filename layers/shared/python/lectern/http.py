"""The HTTP adapter every route group is built with: `build_app()`.

One place maps every failure to the error envelope
`{"error": {"code", "message", "details"}}`:

* `LecternError` subclasses → their status and code;
* request validation → 422 `validation_failed` naming each field (400 `malformed_json` for a
  body that is not JSON);
* unknown route → 404 `route_not_found`; known path, wrong method → 405 `method_not_allowed`;
* oversize body → 413 `payload_too_large` (checked before anything parses it);
* anything else → 500 `internal_error` with the correlation id, never a stack trace.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestValidationError,
    ResponseValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, Field

from lectern.config import get_settings
from lectern.data.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageRequest
from lectern.errors import LecternError, PayloadTooLarge, Unauthorized, UnsupportedMediaType
from lectern.request import RequestMeta

logger = logging.getLogger("lectern.http")

API_PREFIX = "/api/v1"
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]

T = TypeVar("T")


class ErrorBody(BaseModel):
    code: str = Field(description="Stable snake_case error code")
    message: str = Field(description="Human-readable sentence")
    details: list[dict[str, Any]] = Field(default_factory=list)


class ErrorEnvelope(BaseModel):
    error: ErrorBody


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Opaque cursor for the next page; null at the end"
    )


class Message(BaseModel):
    detail: str


def errors(*codes: str) -> dict[str, Any]:
    """Errors a route may answer beyond the common ones, for its OpenAPI operation:
    `@router.post(..., openapi_extensions=errors("409"))`."""
    return {"x-lectern-errors": list(codes)}


LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size (default 50, max 200)")]
CursorQuery = Annotated[str | None, Query(max_length=2048, description="Opaque cursor from a previous page")]


CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def csv_response(description: str) -> dict[int, Any]:
    """The OpenAPI responses of a CSV download route."""
    return {200: {"description": description, "content": {"text/csv": {"schema": {"type": "string"}}}}}


def csv_download(body: str, filename: str) -> Response[str]:
    """A CSV file to save (never cached: it holds personal data)."""
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
    return Response(200, CSV_CONTENT_TYPE, body, headers=headers)


def page_request(limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> PageRequest:
    return PageRequest(limit=limit, cursor=cursor)


@dataclass(frozen=True)
class Principal:
    """The caller, as established by the Lambda authorizer (never by the handler itself)."""

    user_id: str
    session_id: str


def error_response(
    status: int,
    code: str,
    message: str,
    details: Sequence[dict[str, Any]] = (),
    headers: dict[str, str] | None = None,
) -> Response:
    body = {"error": {"code": code, "message": message, "details": list(details)}}
    return Response(status, "application/json", json.dumps(body), headers=headers or {})


def _field_name(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    if parts and parts[0] in ("query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


class LecternResolver(APIGatewayRestResolver):
    """The powertools REST resolver, plus what must run before any parsing (body size, CORS
    preflight) and CORS on every answer. CORS origins come from settings at request time, so
    building the app reads no environment."""

    def resolve(self, event: Any, context: Any) -> dict[str, Any]:
        cors = _cors_headers(event)
        if str(event.get("httpMethod", "")).upper() == "OPTIONS":
            return _preflight(event, cors)
        body = event.get("body")
        if body:
            try:
                size = len(base64.b64decode(body)) if event.get("isBase64Encoded") else len(body.encode())
            except (ValueError, TypeError):
                size = len(body)
            limit = get_settings().max_body_bytes
            if size > limit:
                err: LecternError = PayloadTooLarge(f"The request body is larger than {limit} bytes.")
                return _raw_error(err.status, err.code, err.message, cors)
            if not _is_json(event):
                err = UnsupportedMediaType()
                return _raw_error(err.status, err.code, err.message, cors)
            if event.get("isBase64Encoded"):
                # JSON is UTF-8 text: decode here so that bytes which are not UTF-8 are a 400,
                # not an error deep inside the parser.
                try:
                    text = base64.b64decode(body).decode("utf-8")
                except (ValueError, UnicodeDecodeError):
                    return _raw_error(
                        400, "malformed_json", "The request body is not valid UTF-8 JSON.", cors
                    )
                event = {**event, "body": text, "isBase64Encoded": False}
        response = super().resolve(event, context)
        if cors:
            response.setdefault("headers", {}).update(cors)
            response.get("multiValueHeaders", {}).pop("Access-Control-Allow-Origin", None)
        return response

    def allowed_methods(self, path: str) -> list[str]:
        methods = set()
        for route in [*self._static_routes, *self._dynamic_routes]:
            if route.rule.match(path):
                methods.add(route.method.upper())
        return sorted(methods)


def _raw(r: Any) -> dict[str, Any]:
    return r.current_event.raw_event


def principal(r: Any) -> Principal:
    """The authenticated caller (`r` is the app or a Router); 401 if the authorizer did not
    establish one — a misrouted request fails closed."""
    ctx = (_raw(r).get("requestContext") or {}).get("authorizer") or {}
    user_id, session_id = ctx.get("user_id"), ctx.get("session_id")
    if not user_id or not session_id:
        raise Unauthorized()
    return Principal(user_id=str(user_id), session_id=str(session_id))


def correlation_id(r: Any) -> str:
    return str((_raw(r).get("requestContext") or {}).get("requestId") or "local")


def client_ip(r: Any) -> str:
    identity = (_raw(r).get("requestContext") or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "unknown")


def user_agent(r: Any) -> str:
    return str(r.current_event.get_header_value("user-agent", default_value="") or "")[:256]


def request_meta(r: Any) -> RequestMeta:
    return RequestMeta(ip=client_ip(r), device=user_agent(r), correlation_id=correlation_id(r))


def _is_json(event: dict[str, Any]) -> bool:
    """A body is JSON unless it says otherwise (a missing Content-Type is read as JSON)."""
    headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
    ctype = str(headers.get("content-type") or "application/json").split(";")[0].strip().lower()
    return ctype == "application/json" or (ctype.startswith("application/") and ctype.endswith("+json"))


def _cors_headers(event: dict[str, Any]) -> dict[str, str]:
    """CORS for an allowed origin only; credentials are never offered to any other origin."""
    headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
    origin = headers.get("origin")
    if origin and origin in get_settings().allowed_origins():
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Expose-Headers": "Retry-After",
            "Vary": "Origin",
        }
    return {}


def _preflight(event: dict[str, Any], cors: dict[str, str]) -> dict[str, Any]:
    headers = dict(cors)
    if cors:
        headers.update(
            {
                "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
                "Access-Control-Allow-Headers": "Authorization, Content-Type, Idempotency-Key",
                "Access-Control-Max-Age": "600",
            }
        )
    return {"statusCode": 204, "headers": headers, "body": "", "isBase64Encoded": False}


def _raw_error(status: int, code: str, message: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **headers},
        "body": json.dumps({"error": {"code": code, "message": message, "details": []}}),
        "isBase64Encoded": False,
    }


def build_app(*routers: Router, strip_prefix: str = API_PREFIX) -> LecternResolver:
    """The resolver of one route group, with the error mapping and CORS every group shares."""
    app = LecternResolver(
        enable_validation=True,
        strip_prefixes=[strip_prefix],
        response_validation_error_http_code=500,
    )
    for router in routers:
        app.include_router(router)

    @app.exception_handler(LecternError)
    def _domain(err: LecternError) -> Response:
        return error_response(err.status, err.code, err.message, err.details, err.headers)

    @app.exception_handler(RequestValidationError)
    def _invalid(err: RequestValidationError) -> Response:
        errors = list(err.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(400, "malformed_json", "The request body is not valid JSON.")
        details = [
            {
                "field": _field_name(e.get("loc", ())),
                "code": e.get("type", "invalid"),
                "message": e.get("msg", ""),
            }
            for e in errors
        ]
        fields = ", ".join(sorted({d["field"] for d in details}))
        return error_response(422, "validation_failed", f"Some fields are invalid: {fields}.", details)

    @app.exception_handler(ResponseValidationError)
    def _bad_response(err: ResponseValidationError) -> Response:
        logger.error("response failed its own schema", extra={"errors": str(err.errors())[:2000]})
        return _internal(app)

    @app.not_found
    def _not_found(_: NotFoundError) -> Response:
        path = app.current_event.path
        for prefix in app._strip_prefixes or []:
            if isinstance(prefix, str) and path.startswith(prefix):
                path = path[len(prefix) :] or "/"
        allowed = app.allowed_methods(path)
        if allowed:
            return error_response(
                405,
                "method_not_allowed",
                f"{app.current_event.http_method} is not allowed here; use {', '.join(allowed)}.",
                headers={"Allow": ", ".join(allowed)},
            )
        return error_response(404, "route_not_found", "No route matches this path.")

    @app.exception_handler(Exception)
    def _unexpected(err: Exception) -> Response:
        logger.exception("unhandled error", extra={"correlation_id": correlation_id(app)})
        return _internal(app)

    return app


def _internal(app: LecternResolver) -> Response:
    cid = correlation_id(app)
    return error_response(
        500,
        "internal_error",
        "Something went wrong on our side. Quote the correlation id if you contact support.",
        [{"correlation_id": cid}],
    )
