"""A fake Zoom behind the gateway's Transport: records every request and answers like Zoom
(OAuth token/revoke, users/me, meetings, webinars, registrants). Tests script failures with
`fail(...)` and hooks with `before(...)`; nothing ever reaches the network.

`install(monkeypatch, fake)` makes `lectern.integrations.zoom.gateway()` use it, with the Zoom
app credentials set in the environment (so the real `ZoomGateway`, not `LocalZoom`, is used).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from lectern.clock import FixedClock
from lectern.deps import default_deps
from lectern.integrations.bus import MemoryPublisher

CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-client-secret"


@dataclass
class Sent:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs((self.body or b"").decode()).items()}

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def bearer(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        return auth[len("Bearer ") :] if auth.startswith("Bearer ") else None


@dataclass
class _Script:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int


@dataclass
class FakeZoom:
    user: dict[str, str] = field(
        default_factory=lambda: {
            "id": "zoom-user-1",
            "account_id": "zoom-account-1",
            "email": "host@example.org",
        }
    )
    expires_in: int = 3600
    requests: list[Sent] = field(default_factory=list)
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    meetings: dict[str, dict[str, Any]] = field(default_factory=dict)
    registrants: dict[tuple[str, str], str] = field(default_factory=dict)  # (meeting, email) → id
    _scripts: list[_Script] = field(default_factory=list)
    _hooks: list[tuple[str, re.Pattern[str], Callable[[Sent], None]]] = field(default_factory=list)
    _n: Any = field(default_factory=lambda: itertools.count(1))

    # ------------------------------------------------------------ scripting

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` requests matching `method` and the path regex answer `status`."""
        self._scripts.append(
            _Script(
                method.upper(),
                re.compile(path),
                status,
                body or {"code": status, "message": "scripted"},
                headers or {},
                times,
            )
        )

    def before(self, method: str, path: str, hook: Callable[[Sent], None]) -> None:
        """Run `hook` (once) before answering the first matching request."""
        self._hooks.append((method.upper(), re.compile(path), hook))

    def calls(self, method: str | None = None, path: str | None = None) -> list[Sent]:
        return [
            r
            for r in self.requests
            if (method is None or r.method == method.upper()) and (path is None or re.search(path, r.path))
        ]

    def issue_tokens(self) -> dict[str, Any]:
        n = next(self._n)
        access, refresh = f"access-{n}", f"refresh-{n}"
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        return {
            "access_token": access,
            "token_type": "bearer",
            "refresh_token": refresh,
            "expires_in": self.expires_in,
            "scope": "meeting:write user:read",
        }

    # ------------------------------------------------------------ Transport

    def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> tuple[int, dict[str, str], bytes]:
        sent = Sent(method.upper(), url, dict(headers), body)
        self.requests.append(sent)
        for i, (m, pattern, hook) in enumerate(self._hooks):
            if m == sent.method and pattern.search(sent.path):
                del self._hooks[i]
                hook(sent)
                break
        for script in self._scripts:
            if script.times > 0 and script.method == sent.method and script.pattern.search(sent.path):
                script.times -= 1
                return script.status, script.headers, json.dumps(script.body).encode()
        status, answer = self._answer(sent)
        return status, {"Content-Type": "application/json"}, json.dumps(answer).encode() if answer else b""

    def _answer(self, r: Sent) -> tuple[int, dict[str, Any] | None]:
        if r.host == "zoom.us":
            return self._oauth(r)
        if r.bearer not in self.access_tokens:
            return 401, {"code": 124, "message": "Invalid access token."}
        path = r.path.removeprefix("/v2")
        if r.method == "GET" and path == "/users/me":
            return 200, dict(self.user)
        m = re.fullmatch(r"/users/me/(meetings|webinars)", path)
        if r.method == "POST" and m:
            meeting_id = str(85_000_000_000 + next(self._n))
            self.meetings[meeting_id] = {**(r.json or {}), "kind": m.group(1)}
            return 201, {
                "id": int(meeting_id),
                "join_url": f"https://zoom.example/j/{meeting_id}",
                "uuid": "u",
            }
        m = re.fullmatch(r"/(meetings|webinars)/(\d+)(/registrants(/status)?)?", path)
        if not m:
            return 404, {"code": 404, "message": "Not found"}
        meeting_id = m.group(2)
        if meeting_id not in self.meetings:
            return 404, {"code": 3001, "message": "Meeting does not exist."}
        if m.group(4):
            return (204, None) if r.method == "PUT" else (405, {"code": 405})
        if m.group(3):
            if r.method != "POST":
                return 405, {"code": 405}
            email = (r.json or {}).get("email", "")
            registrant_id = self.registrants.setdefault((meeting_id, email), f"reg-{next(self._n)}")
            return 201, {
                "id": int(meeting_id),
                "registrant_id": registrant_id,
                "join_url": f"https://zoom.example/w/{meeting_id}?tk={registrant_id}",
            }
        if r.method == "PATCH":
            self.meetings[meeting_id].update(r.json or {})
            return 204, None
        if r.method == "DELETE":
            del self.meetings[meeting_id]
            return 204, None
        return 405, {"code": 405}

    def _oauth(self, r: Sent) -> tuple[int, dict[str, Any] | None]:
        import base64

        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if r.headers.get("Authorization") != expected:
            return 401, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
        form = r.form
        if r.path == "/oauth/revoke":
            self.access_tokens.discard(form.get("token", ""))
            return 200, {"status": "success"}
        if r.path != "/oauth/token":
            return 404, {"error": "not_found"}
        grant = form.get("grant_type")
        if grant == "authorization_code":
            if not form.get("code") or form.get("code") == "bad-code":
                return 400, {"reason": "Invalid authorization code", "error": "invalid_grant"}
            return 200, self.issue_tokens()
        if grant == "refresh_token":
            token = form.get("refresh_token", "")
            if token not in self.refresh_tokens:
                return 400, {"reason": "Invalid Token!", "error": "invalid_grant"}
            self.refresh_tokens.discard(token)  # Zoom rotates refresh tokens
            return 200, self.issue_tokens()
        return 400, {"error": "unsupported_grant_type"}


@pytest.fixture
def clock() -> FixedClock:
    """The use cases' clock, standing at now (so tokens the authorizer checks stay valid)."""
    c = FixedClock(datetime.now(UTC).replace(microsecond=0))
    default_deps().clock = c
    return c


@pytest.fixture
def bus() -> MemoryPublisher:
    publisher = MemoryPublisher()
    default_deps().bus = publisher
    return publisher


def install(monkeypatch: Any, fake: FakeZoom) -> FakeZoom:
    """Zoom app credentials in the environment and `fake` as the gateway's transport."""
    from lectern.integrations import zoom

    monkeypatch.setenv("LECTERN_ZOOM_WEBHOOK_SECRET", "test-zoom-webhook-secret")
    monkeypatch.setenv("LECTERN_ZOOM_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("LECTERN_ZOOM_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setattr(zoom, "default_transport", lambda: fake)
    return fake


def sqs_event(*entries: tuple[str, str, dict[str, Any]]) -> dict[str, Any]:
    """An SQS batch as the event source mapping delivers it: each body is an EventBridge event
    (`(source, detail-type, detail)`)."""
    records = []
    for i, (source, detail_type, detail) in enumerate(entries):
        body = {
            "version": "0",
            "id": f"evt-{i}",
            "detail-type": detail_type,
            "source": source,
            "account": "123456789012",
            "time": "2026-01-15T09:00:00Z",
            "region": "eu-west-1",
            "resources": [],
            "detail": detail,
        }
        records.append(
            {
                "messageId": f"msg-{i}",
                "receiptHandle": f"rh-{i}",
                "body": json.dumps(body),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:lectern-test",
                "awsRegion": "eu-west-1",
            }
        )
    return {"Records": records}


def domain(detail_type: str, **data: Any) -> tuple[str, str, dict[str, Any]]:
    """A Lectern domain event as the bus carries it (source `lectern`)."""
    return (
        "lectern",
        detail_type,
        {
            "id": "e1",
            "occurred_at": "2026-01-15T09:00:00+00:00",
            "correlation_id": "",
            "version": 1,
            "data": data,
        },
    )
