"""What the e2e tests do over HTTP again and again: a signed-in account (signup → mail →
verify → login through the local API) and a published event."""

from __future__ import annotations

import re
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest
import requests

PASSWORD = "correct horse battery staple 42"
_TOKEN = re.compile(r"[?&]token=([^&\s\"'<>]+)")
_local = threading.local()


def session() -> requests.Session:
    """One keep-alive session per thread (for the concurrent tests)."""
    if not hasattr(_local, "s"):
        _local.s = requests.Session()
    return _local.s


def signed_in(api_server: str, email: str | None = None) -> str:
    """A fresh verified account's access token."""
    v1 = f"{api_server}/api/v1"
    email = email or f"organiser-{uuid.uuid4().hex[:10]}@example.org"
    r = requests.post(
        f"{v1}/auth/signup/", json={"email": email, "password": PASSWORD, "full_name": "Org"}, timeout=30
    )
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 10
    while True:
        items = requests.get(f"{api_server}/_dev/emails", params={"to": email}, timeout=10).json()["items"]
        if items:
            break
        assert time.monotonic() < deadline, "no verification mail"
        time.sleep(0.1)
    token = unquote(_TOKEN.search(items[0]["text"]).group(1))
    assert requests.post(f"{v1}/auth/verify-email/", json={"token": token}, timeout=30).status_code == 200
    r = requests.post(f"{v1}/auth/login/", json={"email": email, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def published_event(v1: str, auth: dict[str, str], **fields: Any) -> str:
    """A published event a week ahead, with `fields` on top; its uuid."""
    starts = datetime.now(UTC) + timedelta(days=7)
    body = {
        "title": "An e2e event",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
        **fields,
    }
    r = requests.post(f"{v1}/events/", json=body, headers=auth, timeout=30)
    if r.status_code == 404 and r.json()["error"]["code"] == "route_not_found":
        pytest.skip("the events routes are not there yet")
    assert r.status_code == 201, r.text
    event_id = str(r.json()["uuid"])
    r = requests.post(f"{v1}/events/{event_id}/publish/", json={}, headers=auth, timeout=30)
    assert r.status_code == 200, r.text
    return event_id


LOCAL_ZOOM_SECRET = b"local-zoom-webhook-secret"  # local.bootstrap's documented default


def wait_for(what: str, probe: Any, timeout: float = 60.0) -> Any:
    """Poll `probe()` until it returns something truthy (the local API's bus consumers and
    pipelines run asynchronously, as in AWS)."""
    deadline = time.monotonic() + timeout
    while True:
        got = probe()
        if got:
            return got
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def post_zoom_webhook(api_server: str, body: dict[str, Any]) -> None:
    """A Zoom webhook as Zoom sends it: the exact bytes, signed with the local secret."""
    from tools import zoom_payloads as zp

    raw = zp.encode(body)
    r = requests.post(
        f"{api_server}/webhooks/zoom", data=raw, headers=zp.signed_headers(LOCAL_ZOOM_SECRET, raw), timeout=30
    )
    assert r.status_code == 200, r.text
