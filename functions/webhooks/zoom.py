"""POST /webhooks/zoom — Zoom's webhook, a Lambda function URL (payload format 2.0).

Verify the signature over the raw body first, then answer the URL-validation challenge or
store the raw event and put it on the bus (`lectern.zoom.webhook`), and answer fast (Zoom
wants 200 within 3 s and retries otherwise). Every refusal is the error envelope; nothing of
the body is logged (it holds names and email addresses).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from aws_lambda_powertools import Logger
from lectern.clock import Clock, SystemClock
from lectern.errors import BadRequest, LecternError
from lectern.zoom import webhook

logger = Logger(service="zoom-webhook")
_CLOCK = SystemClock()


def _response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def _error(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None, **kw: Any
) -> dict[str, Any]:
    return _response(status, {"error": {"code": code, "message": message, "details": details or []}}, **kw)


def _raw_body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("The body is not valid base64.", code="malformed_body") from None
    return body.encode("utf-8")


def handle(event: dict[str, Any], *, clock: Clock = _CLOCK) -> dict[str, Any]:
    """The function URL event → its response. `clock` is injected for the timestamp window."""
    http = (event.get("requestContext") or {}).get("http") or {}
    method = str(http.get("method") or "").upper()
    if method != "POST":
        return _error(
            405,
            "method_not_allowed",
            f"{method or 'This method'} is not allowed here; use POST.",
            headers={"Allow": "POST"},
        )
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    try:
        answer = webhook.receive(_raw_body(event), headers, now=clock.now())
    except LecternError as err:
        logger.warning("zoom webhook refused", extra={"status": err.status, "code": err.code})
        return _error(err.status, err.code, err.message, err.details)
    except Exception:
        # Storage or bus failed: 500, so Zoom delivers again (the retry overwrites the same item).
        logger.exception("zoom webhook not accepted")
        cid = str((event.get("requestContext") or {}).get("requestId") or "")
        return _error(
            500,
            "internal_error",
            "The event could not be recorded; deliver it again.",
            [{"correlation_id": cid}],
        )
    logger.info(
        "zoom webhook accepted",
        extra={"event": answer.event, "identity": answer.identity, "meeting_id": answer.meeting_id},
    )
    return _response(answer.status, answer.body)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return handle(event)
