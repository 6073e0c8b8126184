"""The Zoom webhook over real HTTP on the local API's port (`POST /webhooks/zoom`), signed with
the documented local secret as the simulator signs."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from datetime import UTC, datetime

import pytest
import requests

from tools import zoom_payloads as zp

pytestmark = pytest.mark.e2e

LOCAL_SECRET = b"local-zoom-webhook-secret"  # local.bootstrap's documented default


def _joined() -> bytes:
    meeting = zp.Meeting(id=str(uuid.uuid4().int % 10**11))
    who = zp.Participant(user_name="José 🎓", email="jose@example.org")
    return zp.encode(zp.participant_joined(meeting, who, datetime.now(UTC)))


def test_a_signed_webhook_is_accepted(api_server: str) -> None:
    raw = _joined()
    r = requests.post(
        f"{api_server}/webhooks/zoom", data=raw, headers=zp.signed_headers(LOCAL_SECRET, raw), timeout=30
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "accepted"}


def test_the_url_validation_challenge_is_answered_when_signed(api_server: str) -> None:
    raw = zp.encode(zp.url_validation("e2e-plain-token"))
    r = requests.post(
        f"{api_server}/webhooks/zoom", data=raw, headers=zp.signed_headers(LOCAL_SECRET, raw), timeout=30
    )
    assert r.status_code == 200
    expected = hmac.new(LOCAL_SECRET, b"e2e-plain-token", hashlib.sha256).hexdigest()
    assert r.json() == {"plainToken": "e2e-plain-token", "encryptedToken": expected}


def test_unsigned_wrongly_signed_and_stale_webhooks_are_401(api_server: str) -> None:
    raw = _joined()
    attempts = [
        {"content-type": "application/json"},
        zp.signed_headers(b"not-the-secret", raw),
        zp.signed_headers(LOCAL_SECRET, raw, timestamp=int(time.time()) - 301),
    ]
    for headers in attempts:
        r = requests.post(f"{api_server}/webhooks/zoom", data=raw, headers=headers, timeout=30)
        assert r.status_code == 401, r.text
        assert r.json()["error"]["code"] == "invalid_signature"
    challenge = zp.encode(zp.url_validation("e2e-plain-token"))
    r = requests.post(f"{api_server}/webhooks/zoom", data=challenge, timeout=30)
    assert r.status_code == 401 and "encryptedToken" not in r.text


def test_only_post_and_only_zoom(api_server: str) -> None:
    r = requests.get(f"{api_server}/webhooks/zoom", timeout=30)
    assert r.status_code == 405 and r.headers["Allow"] == "POST"
    r = requests.post(f"{api_server}/webhooks/stripe", data=b"{}", timeout=30)
    assert r.status_code == 404  # billing (and its webhook) comes later
