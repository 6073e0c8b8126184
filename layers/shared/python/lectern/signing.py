"""Signed, expiring tokens for links in mail (cancel a registration, download a certificate, …).

`issue(purpose, claims, expires_at)` → base64url(MAC + payload), one URL-safe word; the MAC is HMAC-SHA256
under a key derived from the deployment secret *for that purpose*, so a token minted for one
link never opens another. `read(purpose, token, now)` returns the claims or raises
`InvalidToken` — forged, truncated, for another purpose or expired alike. Stateless: what must
be single-use is made so by the state it changes (a cancelled registration cannot be cancelled
twice).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from lectern import secrets
from lectern.errors import InvalidToken

_MAC_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(purpose: str, payload: bytes) -> bytes:
    return hmac.new(secrets.derived_key(f"signed-link:{purpose}"), payload, hashlib.sha256).digest()[
        :_MAC_BYTES
    ]


def issue(purpose: str, claims: dict[str, Any], expires_at: datetime) -> str:
    payload = json.dumps(
        {**claims, "exp": int(expires_at.timestamp())}, separators=(",", ":"), sort_keys=True
    )
    raw = payload.encode()
    return _b64(_mac(purpose, raw) + raw)


def read(
    purpose: str, token: str, now: datetime, message: str = "The link is invalid or has expired."
) -> dict[str, Any]:
    try:
        data = _unb64(token)
    except (ValueError, TypeError) as exc:
        raise InvalidToken(message) from exc
    given, raw = data[:_MAC_BYTES], data[_MAC_BYTES:]
    if len(given) != _MAC_BYTES or not hmac.compare_digest(given, _mac(purpose, raw)):
        raise InvalidToken(message)
    try:
        claims = json.loads(raw)
    except ValueError as exc:  # pragma: no cover - a valid MAC over invalid JSON
        raise InvalidToken(message) from exc
    if (
        not isinstance(claims, dict)
        or not isinstance(claims.get("exp"), int)
        or claims["exp"] <= now.timestamp()
    ):
        raise InvalidToken(message)
    return claims
