"""Zoom's HTTP API: the one module that talks to it.

`ZoomGateway` speaks OAuth (authorize URL, code exchange, refresh, revoke, `me`) and the REST
API (meetings, webinars, registrants) through an injectable `Transport`; the real transport is
urllib3 (no `requests` at runtime), tests pass a fake one — never the network.

Zoom's answers become typed errors, so callers decide without reading messages:

| Zoom answers          | error                 | caller does                                   |
|-----------------------|-----------------------|-----------------------------------------------|
| 401 (API)             | `ZoomUnauthorized`    | refresh the token once and retry              |
| 400/401 (token call)  | `ZoomGrantRejected`   | the connection needs a reconnect              |
| 404                   | `ZoomGone`            | the meeting/registrant no longer exists       |
| 429                   | `ZoomRateLimited`     | retry after `retry_after` seconds             |
| 5xx, network, timeout | `ZoomUnavailable`     | retry later (the message goes back to SQS)    |
| other 4xx             | `ZoomRejected`        | a permanent refusal: record it, do not retry  |

`LocalZoom` has the same interface and makes no calls at all: without Zoom app credentials
(local mode, tests) meetings and registrants get local ids and harmless join URLs (PRODUCT.md,
"Local mode"). `gateway()` picks one of the two from the deployment's credentials.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import quote, urlencode

from lectern.config import get_settings
from lectern.ids import new_id

logger = logging.getLogger("lectern.zoom")

OAUTH_BASE = "https://zoom.us"
API_BASE = "https://api.zoom.us/v2"
TIMEOUT_SECONDS = 8.0  # well under the workers' Lambda timeout


# ---------------------------------------------------------------- errors


class ZoomError(RuntimeError):
    """Zoom refused or could not be reached."""

    retryable = False

    def __init__(self, message: str, *, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class ZoomUnauthorized(ZoomError):
    """The access token was refused (expired or revoked): refresh once, then retry."""


class ZoomGrantRejected(ZoomError):
    """The token endpoint refused the code or refresh token: the organiser must reconnect."""


class ZoomGone(ZoomError):
    """The meeting, webinar or registrant does not exist (any more)."""


class ZoomRejected(ZoomError):
    """A permanent refusal (bad request, forbidden, plan limits): retrying will not help."""


class ZoomRateLimited(ZoomError):
    retryable = True

    def __init__(self, message: str, *, retry_after: int, status: int = 429, code: str = "") -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class ZoomUnavailable(ZoomError):
    """5xx, a timeout or a network failure: retry later."""

    retryable = True


# ---------------------------------------------------------------- transport


class Transport(Protocol):
    def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> tuple[int, dict[str, str], bytes]: ...


class Urllib3Transport:
    """The real transport: one pooled urllib3 manager per process, no retries or redirects
    (the gateway decides what a failure means)."""

    def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> tuple[int, dict[str, str], bytes]:
        import urllib3

        try:
            r = _pool().request(
                method,
                url,
                headers=dict(headers),
                body=body,
                timeout=urllib3.Timeout(connect=min(3.0, timeout), read=timeout),
                retries=False,
                redirect=False,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise ZoomUnavailable(f"Zoom could not be reached: {type(exc).__name__}") from exc
        return r.status, {k.lower(): v for k, v in r.headers.items()}, r.data


@functools.cache
def _pool() -> Any:
    import urllib3

    return urllib3.PoolManager(num_pools=4, maxsize=4)


def default_transport() -> Transport:
    """The transport `gateway()` uses (tests replace this function to pass a fake)."""
    return Urllib3Transport()


# ---------------------------------------------------------------- values


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds
    scope: str


@dataclass(frozen=True)
class ZoomUser:
    user_id: str
    account_id: str
    email: str


@dataclass(frozen=True)
class Meeting:
    meeting_id: str
    join_url: str
    kind: str  # meeting | webinar
    local: bool = False


@dataclass(frozen=True)
class Registrant:
    registrant_id: str
    join_url: str


def zoom_time(value: datetime) -> str:
    """Zoom's start_time format: UTC, seconds, `Z`."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _path_kind(kind: str) -> str:
    if kind not in ("meeting", "webinar"):
        raise ValueError(f"unknown Zoom kind {kind!r}")
    return "meetings" if kind == "meeting" else "webinars"


def _retry_after(headers: Mapping[str, str]) -> int:
    raw = headers.get("retry-after", "")
    if raw.strip().isdigit():
        return max(1, int(raw))
    if raw:
        try:
            when = parsedate_to_datetime(raw)
            return max(1, int((when - datetime.now(UTC)).total_seconds()))
        except (TypeError, ValueError):
            pass
    return 1


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body) if body else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# ---------------------------------------------------------------- the gateway


class ZoomGateway:
    """Zoom's OAuth and REST API for one OAuth app (`client_id`/`client_secret`)."""

    local = False

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        transport: Transport,
        *,
        oauth_base: str = OAUTH_BASE,
        api_base: str = API_BASE,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.client_id = client_id
        self._secret = client_secret
        self._transport = transport
        self._oauth = oauth_base.rstrip("/")
        self._api = api_base.rstrip("/")
        self._timeout = timeout

    # ------------------------------------------------------------ plumbing

    def _send(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        try:
            status, resp_headers, raw = self._transport.send(method, url, headers, body, self._timeout)
        except ZoomError:
            raise
        except (OSError, TimeoutError) as exc:
            raise ZoomUnavailable(f"Zoom could not be reached: {type(exc).__name__}") from exc
        lowered = {k.lower(): v for k, v in resp_headers.items()}
        return status, lowered, _json(raw)

    @staticmethod
    def _raise_for(status: int, headers: Mapping[str, str], data: dict[str, Any], what: str) -> None:
        if 200 <= status < 300:
            return
        code = str(data.get("code") or data.get("error") or "")
        message = f"{what}: Zoom answered {status} {data.get('message') or data.get('reason') or ''}".strip()
        if status == 401:
            raise ZoomUnauthorized(message, status=status, code=code)
        if status == 404:
            raise ZoomGone(message, status=status, code=code)
        if status == 429:
            raise ZoomRateLimited(message, retry_after=_retry_after(headers), code=code)
        if status >= 500:
            raise ZoomUnavailable(message, status=status, code=code)
        raise ZoomRejected(message, status=status, code=code)

    def _api_call(
        self, method: str, path: str, token: str, payload: dict[str, Any] | None, what: str
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        body = None
        if payload is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(payload, separators=(",", ":")).encode()
        status, resp_headers, data = self._send(method, self._api + path, headers, body)
        self._raise_for(status, resp_headers, data, what)
        return data

    def _token_call(self, path: str, form: dict[str, str], what: str) -> dict[str, Any]:
        basic = base64.b64encode(f"{self.client_id}:{self._secret}".encode()).decode()
        headers = {
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        status, resp_headers, data = self._send("POST", self._oauth + path, headers, urlencode(form).encode())
        if status in (400, 401) and path == "/oauth/token":
            # invalid_grant / invalid_request: the code or refresh token is not (any more) valid.
            raise ZoomGrantRejected(
                f"{what}: Zoom refused the grant ({data.get('reason') or data.get('error') or status})",
                status=status,
                code=str(data.get("error") or ""),
            )
        self._raise_for(status, resp_headers, data, what)
        return data

    @staticmethod
    def _tokens(data: dict[str, Any]) -> TokenSet:
        access, refresh = data.get("access_token"), data.get("refresh_token")
        if not access or not refresh:
            raise ZoomUnavailable("Zoom's token answer has no access or refresh token")
        return TokenSet(
            access_token=str(access),
            refresh_token=str(refresh),
            expires_in=int(data.get("expires_in") or 3600),
            scope=str(data.get("scope") or ""),
        )

    # ------------------------------------------------------------ OAuth

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "state": state,
            },
            quote_via=quote,
        )
        return f"{self._oauth}/oauth/authorize?{query}"

    def exchange_code(self, code: str, redirect_uri: str) -> TokenSet:
        data = self._token_call(
            "/oauth/token",
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
            "code exchange",
        )
        return self._tokens(data)

    def refresh(self, refresh_token: str) -> TokenSet:
        data = self._token_call(
            "/oauth/token", {"grant_type": "refresh_token", "refresh_token": refresh_token}, "token refresh"
        )
        return self._tokens(data)

    def revoke(self, token: str) -> None:
        self._token_call("/oauth/revoke", {"token": token}, "revoke")

    def me(self, access_token: str) -> ZoomUser:
        data = self._api_call("GET", "/users/me", access_token, None, "users/me")
        if not data.get("id"):
            raise ZoomUnavailable("Zoom's users/me answer has no id")
        return ZoomUser(
            user_id=str(data["id"]),
            account_id=str(data.get("account_id") or ""),
            email=str(data.get("email") or ""),
        )

    # ------------------------------------------------------------ meetings and webinars

    def _create(
        self,
        kind: str,
        token: str,
        topic: str,
        start_time: datetime,
        duration_min: int,
        timezone: str,
        agenda: str,
    ) -> Meeting:
        payload = {
            "topic": topic[:200],
            "type": 2 if kind == "meeting" else 5,  # scheduled meeting / webinar
            "start_time": zoom_time(start_time),
            "duration": max(1, int(duration_min)),
            "timezone": timezone,
            "agenda": agenda[:2000],
            "settings": {
                "approval_type": 0,  # registration required, approved automatically
                "registration_type": 1,  # register once, attend every occurrence
                "registrants_email_notification": False,  # Lectern mails the join link
                "registrants_confirmation_email": False,
            },
        }
        data = self._api_call("POST", f"/users/me/{_path_kind(kind)}", token, payload, f"create {kind}")
        if not data.get("id"):
            raise ZoomUnavailable(f"Zoom's create {kind} answer has no id")
        return Meeting(meeting_id=str(data["id"]), join_url=str(data.get("join_url") or ""), kind=kind)

    def create_meeting(
        self, token: str, topic: str, start_time: datetime, duration_min: int, timezone: str, agenda: str = ""
    ) -> Meeting:
        return self._create("meeting", token, topic, start_time, duration_min, timezone, agenda)

    def create_webinar(
        self, token: str, topic: str, start_time: datetime, duration_min: int, timezone: str, agenda: str = ""
    ) -> Meeting:
        return self._create("webinar", token, topic, start_time, duration_min, timezone, agenda)

    def update_meeting(
        self,
        token: str,
        meeting_id: str,
        *,
        topic: str | None = None,
        start_time: datetime | None = None,
        duration_min: int | None = None,
        kind: str = "meeting",
    ) -> None:
        payload: dict[str, Any] = {}
        if topic is not None:
            payload["topic"] = topic[:200]
        if start_time is not None:
            payload["start_time"] = zoom_time(start_time)
        if duration_min is not None:
            payload["duration"] = max(1, int(duration_min))
        if payload:
            self._api_call(
                "PATCH", f"/{_path_kind(kind)}/{quote(meeting_id)}", token, payload, f"update {kind}"
            )

    def delete_meeting(self, token: str, meeting_id: str, *, kind: str = "meeting") -> None:
        self._api_call("DELETE", f"/{_path_kind(kind)}/{quote(meeting_id)}", token, None, f"delete {kind}")

    # ------------------------------------------------------------ registrants

    def add_registrant(
        self, token: str, meeting_id: str, email: str, first_name: str, last_name: str, kind: str = "meeting"
    ) -> Registrant:
        payload = {"email": email, "first_name": first_name[:64] or email, "last_name": last_name[:64]}
        data = self._api_call(
            "POST", f"/{_path_kind(kind)}/{quote(meeting_id)}/registrants", token, payload, "add registrant"
        )
        if not data.get("registrant_id"):
            raise ZoomUnavailable("Zoom's add registrant answer has no registrant_id")
        return Registrant(registrant_id=str(data["registrant_id"]), join_url=str(data.get("join_url") or ""))

    def cancel_registrant(
        self, token: str, meeting_id: str, registrant_id: str, email: str, kind: str = "meeting"
    ) -> None:
        payload = {"action": "cancel", "registrants": [{"id": registrant_id, "email": email}]}
        self._api_call(
            "PUT",
            f"/{_path_kind(kind)}/{quote(meeting_id)}/registrants/status",
            token,
            payload,
            "cancel registrant",
        )


# ---------------------------------------------------------------- local mode


def local_meeting_id(uuid_text: str) -> str:
    """An 11-digit numeric id, like Zoom's, derived from a UUID."""
    digits = int(uuid_text.replace("-", ""), 16) % 10**10
    return str(10**10 + digits)


class LocalZoom:
    """Zoom without Zoom: local ids, no calls. Used when the deployment has no OAuth app."""

    local = True
    client_id = ""

    def __init__(self, ids: Callable[[], str] = new_id, base_url: str | None = None) -> None:
        self._ids = ids
        self._base = (base_url or get_settings().app_base_url).rstrip("/")

    def _create(self, kind: str) -> Meeting:
        meeting_id = local_meeting_id(self._ids())
        return Meeting(
            meeting_id=meeting_id,
            join_url=f"{self._base}/_dev/zoom/meetings/{meeting_id}",
            kind=kind,
            local=True,
        )

    def create_meeting(self, token: str, topic: str, *args: Any, **kwargs: Any) -> Meeting:
        return self._create("meeting")

    def create_webinar(self, token: str, topic: str, *args: Any, **kwargs: Any) -> Meeting:
        return self._create("webinar")

    def update_meeting(self, token: str, meeting_id: str, **kwargs: Any) -> None:
        return None

    def delete_meeting(self, token: str, meeting_id: str, **kwargs: Any) -> None:
        return None

    def add_registrant(
        self, token: str, meeting_id: str, email: str, first_name: str, last_name: str, kind: str = "meeting"
    ) -> Registrant:
        registrant_id = f"local-{self._ids()}"
        return Registrant(
            registrant_id=registrant_id, join_url=f"{self._base}/_dev/zoom/join/{registrant_id}"
        )

    def cancel_registrant(
        self, token: str, meeting_id: str, registrant_id: str, email: str, kind: str = "meeting"
    ) -> None:
        return None


Gateway = ZoomGateway | LocalZoom


def gateway(transport: Transport | None = None, ids: Callable[[], str] = new_id) -> Gateway:
    """Zoom for this deployment: the real API when an OAuth app is configured, else `LocalZoom`."""
    from lectern.zoom.credentials import ZoomNotConfigured, zoom_credentials

    try:
        creds = zoom_credentials()
    except ZoomNotConfigured:
        return LocalZoom(ids)
    if not creds.oauth_configured:
        return LocalZoom(ids)
    assert creds.client_id and creds.client_secret
    return ZoomGateway(creds.client_id, creds.client_secret, transport or default_transport())


def oauth_configured() -> bool:
    return not gateway().local
