"""Zoom webhooks: verify, then store the raw delivery and put it on the bus (PRODUCT.md §5,
DESIGN.md convention 7).

Order matters, and nothing before the signature check trusts the body:

1. `x-zm-signature` must equal `v0=` + hex HMAC-SHA256(secret, `v0:{timestamp}:{raw body}`)
   over the body bytes *exactly as received* (never a re-serialisation: any byte difference —
   key order, `\\u00e9` for `é`, an emoji — changes the signature), compared in constant time,
   and `x-zm-request-timestamp` (epoch seconds) must be within ±300 s of now;
2. only then is the body parsed;
3. `endpoint.url_validation` is answered (HMAC of the plain token) — only ever for a signed
   request, or anyone could mint the proof that a URL accepts Zoom's secret;
4. any other event is stored raw (one PutItem, keyed by its identity so Zoom's retries collapse
   into one item) and put on the application bus (one PutEvents, source `lectern.zoom`,
   detail-type = Zoom's event name). A failure of either raises: the caller answers 5xx and Zoom
   retries, so nothing acknowledged is ever lost.

Bus detail: `{"identity", "event", "event_ts", "payload"}`. A payload too large for an
EventBridge entry (256 KB) is sent as `"payload": null, "payload_omitted": true`; the consumer
reads it back from the stored raw item (`ZoomWebhookItem.key(identity)`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lectern import aws
from lectern.config import get_settings
from lectern.data.webhooks import RAW_TTL_DAYS, ZoomWebhookItem
from lectern.errors import BadRequest, LecternError, PayloadTooLarge, Unauthorized
from lectern.integrations.bus import PublishFailed
from lectern.zoom.credentials import ZoomCredentials, ZoomNotConfigured, zoom_credentials

SOURCE = "lectern.zoom"
URL_VALIDATION = "endpoint.url_validation"
SIGNATURE_HEADER = "x-zm-signature"
TIMESTAMP_HEADER = "x-zm-request-timestamp"
MAX_BODY_BYTES = 256 * 1024
TIMESTAMP_TOLERANCE_SECONDS = 300
MAX_EVENT_NAME = 128  # EventBridge's DetailType limit
MAX_ENTRY_BYTES = 256 * 1024  # EventBridge's PutEvents entry limit


class InvalidSignature(Unauthorized):
    code = "invalid_signature"
    message = "The request is not signed with this endpoint's Zoom secret token."


class WebhookNotConfigured(LecternError):
    status = 503
    code = "webhook_not_configured"
    message = "Zoom webhooks are not configured on this deployment."


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    event: str = ""  # for the log line: the event name, its identity, its meeting
    identity: str = ""
    meeting_id: str | None = None


# -- signing ---------------------------------------------------------------------------------


def sign(secret: bytes, timestamp: str, raw: bytes) -> str:
    """Zoom's signature of a delivery: `v0=` + hex HMAC-SHA256(secret, `v0:{ts}:{raw}`)."""
    message = b"v0:" + timestamp.encode("ascii") + b":" + raw
    return "v0=" + hmac.new(secret, message, hashlib.sha256).hexdigest()


def encrypt_token(secret: bytes, plain_token: str) -> str:
    """The URL-validation answer: hex HMAC-SHA256(secret, plainToken)."""
    return hmac.new(secret, plain_token.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(secret: bytes, raw: bytes, headers: Mapping[str, str], now: datetime) -> None:
    """Raise InvalidSignature unless `raw` carries a fresh, valid Zoom signature.

    `headers` must have lower-case names (as Lambda function URLs deliver them)."""
    signature = headers.get(SIGNATURE_HEADER)
    timestamp = headers.get(TIMESTAMP_HEADER)
    if not signature or not timestamp:
        raise InvalidSignature(f"The {SIGNATURE_HEADER} and {TIMESTAMP_HEADER} headers are required.")
    timestamp = timestamp.strip()
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise InvalidSignature(f"{TIMESTAMP_HEADER} must be epoch seconds.")
    if abs(int(timestamp) - int(now.timestamp())) > TIMESTAMP_TOLERANCE_SECONDS:
        raise InvalidSignature(
            f"{TIMESTAMP_HEADER} is more than {TIMESTAMP_TOLERANCE_SECONDS} seconds away from now."
        )
    expected = sign(secret, timestamp, raw).encode("ascii")
    if not hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace")):
        raise InvalidSignature()


# -- the delivery ----------------------------------------------------------------------------


def parse(raw: bytes) -> tuple[str, dict[str, Any]]:
    """The body as text (UTF-8, as received) and as a JSON object with an `event` name."""
    try:
        text = raw.decode("utf-8")
        body = json.loads(text, parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("The body is not UTF-8 JSON.", code="malformed_json") from None
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.", code="invalid_event")
    event = body.get("event")
    if not isinstance(event, str) or not event or len(event) > MAX_EVENT_NAME:
        raise BadRequest("The body has no `event` name.", code="invalid_event")
    event_ts = body.get("event_ts", 0)
    if isinstance(event_ts, bool) or not isinstance(event_ts, int) or event_ts < 0:
        raise BadRequest("`event_ts` must be epoch milliseconds.", code="invalid_event")
    return text, body


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def event_identity(body: dict[str, Any]) -> str:
    """The business identity of a Zoom event (Zoom sends no event id): sha256 hex of
    `event|object.uuid|participant_uuid or user_id|join_time or leave_time or event_ts`.
    A retried delivery has the same identity; a rejoin (new join_time) has another."""
    obj = _dict(_dict(body.get("payload")).get("object"))
    participant = _dict(obj.get("participant"))
    who = participant.get("participant_uuid") or participant.get("user_id") or ""
    when = participant.get("join_time") or participant.get("leave_time") or body.get("event_ts")
    key = "|".join(_text(p) for p in (body.get("event"), obj.get("uuid"), who, when))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def meeting_id(body: dict[str, Any]) -> str | None:
    value = _dict(_dict(body.get("payload")).get("object")).get("id")
    return None if value is None or value == "" else str(value)


def store(identity: str, text: str, body: dict[str, Any], now: datetime) -> None:
    """One PutItem: the raw delivery under its identity (a retry overwrites the same item)."""
    mid = meeting_id(body)
    event_ts = int(body.get("event_ts") or 0)
    pk, sk = ZoomWebhookItem.key(identity)
    gsi1pk, gsi1sk = ZoomWebhookItem.log_key(mid, event_ts, identity) if mid else (None, None)
    ZoomWebhookItem(
        pk,
        sk,
        identity=identity,
        event=str(body["event"]),
        event_ts=event_ts,
        meeting_id=mid,
        raw=text,
        received_at=now,
        gsi1pk=gsi1pk,
        gsi1sk=gsi1sk,
        ttl=now + timedelta(days=RAW_TTL_DAYS),
    ).save()


def bus_detail(identity: str, body: dict[str, Any]) -> str:
    detail = {
        "identity": identity,
        "event": body["event"],
        "event_ts": int(body.get("event_ts") or 0),
        "payload": body.get("payload"),
    }
    text = json.dumps(detail, separators=(",", ":"), ensure_ascii=False)
    if len(text.encode("utf-8")) + len(SOURCE) + len(body["event"]) > MAX_ENTRY_BYTES - 1024:
        detail["payload"] = None
        detail["payload_omitted"] = True
        text = json.dumps(detail, separators=(",", ":"), ensure_ascii=False)
    return text


def publish(identity: str, body: dict[str, Any]) -> None:
    """One PutEvents on the application bus; raises if the entry was not accepted."""
    result = aws.client("events").put_events(
        Entries=[
            {
                "Source": SOURCE,
                "DetailType": str(body["event"]),
                "Detail": bus_detail(identity, body),
                "EventBusName": get_settings().event_bus_name,
            }
        ]
    )
    if result.get("FailedEntryCount"):
        codes = [e.get("ErrorCode") for e in result.get("Entries", []) if e.get("ErrorCode")]
        raise PublishFailed(f"the Zoom event was not accepted by the bus: {codes}")


def receive(
    raw: bytes,
    headers: Mapping[str, str],
    *,
    now: datetime,
    credentials: Callable[[], ZoomCredentials] = zoom_credentials,
    publisher: Callable[[str, dict[str, Any]], None] = publish,
) -> Answer:
    """Verify, then answer the challenge or store and publish. Raises LecternError for a
    request to refuse (4xx/503); anything else (storage, bus) propagates: answer 5xx."""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"Zoom webhook bodies are at most {MAX_BODY_BYTES} bytes.")
    try:
        secret = credentials().webhook_secret
    except ZoomNotConfigured:
        raise WebhookNotConfigured() from None
    verify(secret, raw, headers, now)
    text, body = parse(raw)
    if body["event"] == URL_VALIDATION:
        plain = _dict(body.get("payload")).get("plainToken")
        if not isinstance(plain, str) or not plain:
            raise BadRequest("payload.plainToken is required.", code="invalid_event")
        answer = {"plainToken": plain, "encryptedToken": encrypt_token(secret, plain)}
        return Answer(200, answer, event=URL_VALIDATION)
    identity = event_identity(body)
    store(identity, text, body, now)
    publisher(identity, body)
    return Answer(200, {"status": "accepted"}, body["event"], identity, meeting_id(body))
