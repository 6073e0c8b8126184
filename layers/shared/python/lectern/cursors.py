"""Opaque, tamper-proof pagination cursors.

A cursor is the DynamoDB LastEvaluatedKey, bound to the listing it came from (`scope`: the
route and the caller), serialised and signed with HMAC-SHA256 under a key derived from the
deployment secret. A forged, truncated or foreign cursor is `400 invalid_cursor`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from lectern import secrets
from lectern.errors import InvalidCursor

_SIG_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(payload: bytes, scope: str) -> bytes:
    key = secrets.derived_key("cursor")
    return hmac.new(key, scope.encode() + b"\x00" + payload, hashlib.sha256).digest()[:_SIG_BYTES]


def encode(last_evaluated_key: dict[str, Any] | None, scope: str) -> str | None:
    if not last_evaluated_key:
        return None
    payload = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return _b64(_sign(payload, scope) + payload)


def decode(cursor: str | None, scope: str) -> dict[str, Any] | None:
    if cursor is None or cursor == "":
        return None
    try:
        raw = _unb64(cursor)
    except (ValueError, TypeError) as exc:
        raise InvalidCursor() from exc
    sig, payload = raw[:_SIG_BYTES], raw[_SIG_BYTES:]
    if len(sig) != _SIG_BYTES or not hmac.compare_digest(sig, _sign(payload, scope)):
        raise InvalidCursor()
    try:
        value = json.loads(payload)
    except ValueError as exc:  # pragma: no cover - a valid signature over invalid JSON
        raise InvalidCursor() from exc
    if not isinstance(value, dict):
        raise InvalidCursor()
    return value
