"""An organiser's Zoom connection: the OAuth authorization-code flow (PRODUCT.md §5).

* `start` signs a state (HMAC with `derived_key("zoom-oauth-state")`: owner, nonce, expiry in
  10 minutes) and stores its nonce (TTL), so a state works once.
* `complete` (the browser comes back from Zoom) verifies the state — forged, expired or reused
  is `400 invalid_state` and nothing is stored — consumes the nonce, exchanges the code, reads
  `users/me` and stores the connection and its Zoom-user pointer in one transaction.
* Tokens are stored encrypted: AES-256-GCM with `derived_key("zoom-tokens")`, the owner id as
  associated data (a token copied into another owner's item does not decrypt).
* `access_token` returns a token valid for at least 5 more minutes, refreshing it when needed —
  one refresh at a time: a lease taken with a conditional UpdateItem, the new pair stored on
  condition that we still hold it; a caller that lost the lease waits (bounded) and re-reads.
  A refresh token Zoom rejects marks the connection `needs_reconnect`.
* `disconnect` revokes at Zoom (best effort) and deletes; `deauthorize` handles Zoom's
  `app_deauthorized` notification through the pointer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from pynamodb.exceptions import DeleteError, TransactWriteError, UpdateError

from lectern import audit
from lectern.config import get_settings
from lectern.data import tx
from lectern.data.zoom_connection import ZoomConnectionItem, ZoomOAuthStateItem, ZoomUserPointerItem
from lectern.deps import Deps
from lectern.errors import BadRequest, Conflict, NotFound
from lectern.ids import new_id, new_secret_token
from lectern.integrations.bus import DomainEvent
from lectern.integrations.zoom import (
    Gateway,
    Meeting,
    Registrant,
    TokenSet,
    ZoomError,
    ZoomGateway,
    ZoomGrantRejected,
    ZoomUnauthorized,
    ZoomUnavailable,
    ZoomUser,
)
from lectern.request import RequestMeta
from lectern.secrets import derived_key

logger = logging.getLogger("lectern.zoom")

STATE_TTL = timedelta(minutes=10)
MIN_VALIDITY = timedelta(minutes=5)
LEASE = timedelta(seconds=30)
WAIT_ATTEMPTS = 10
WAIT_SECONDS = 0.3
CALLBACK_PATH = "/api/v1/integrations/zoom/callback/"
# Errors Zoom may send back to the callback that we pass on to the app by name.
_ZOOM_ERRORS = {"access_denied", "invalid_request", "unauthorized_client", "server_error"}

T = TypeVar("T")


class InvalidState(BadRequest):
    code = "invalid_state"
    message = "The Zoom authorization state is invalid, expired or already used; connect again."


class NotConnected(RuntimeError):
    """The organiser has no Zoom connection."""


class NeedsReconnect(RuntimeError):
    """Zoom refused the connection's refresh token: the organiser must connect again."""


class TokenUnreadable(RuntimeError):
    """A stored token does not decrypt (wrong owner, tampered, or another key)."""


def _not_configured() -> Conflict:
    return Conflict(
        "Zoom is not configured for this deployment: online events get local meeting ids instead.",
        code="zoom_not_configured",
    )


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def redirect_uri() -> str:
    """Where Zoom sends the browser back: this API's callback (same origin as the app)."""
    base = urlsplit(get_settings().app_base_url)
    return f"{base.scheme}://{base.netloc}{CALLBACK_PATH}"


def app_return_url(**params: str) -> str:
    return f"{get_settings().app_base_url.rstrip('/')}/integrations/zoom?{urlencode(params)}"


# ---------------------------------------------------------------- token encryption


def _aead() -> Any:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # only where tokens are used

    return AESGCM(derived_key("zoom-tokens"))


def encrypt_token(owner_id: str, token: str) -> str:
    nonce = os.urandom(12)
    sealed = _aead().encrypt(nonce, token.encode(), owner_id.encode())
    return "v1." + _b64(nonce + sealed)


def decrypt_token(owner_id: str, blob: str) -> str:
    from cryptography.exceptions import InvalidTag

    version, _, body = blob.partition(".")
    if version != "v1" or not body:
        raise TokenUnreadable("unknown token format")
    try:
        raw = _unb64(body)
        return _aead().decrypt(raw[:12], raw[12:], owner_id.encode()).decode()
    except (InvalidTag, ValueError) as exc:
        raise TokenUnreadable("the stored Zoom token does not decrypt") from exc


# ---------------------------------------------------------------- state


def _state_mac(payload: bytes) -> bytes:
    return hmac.new(derived_key("zoom-oauth-state"), payload, hashlib.sha256).digest()


def sign_state(owner_id: str, nonce: str, expires_at: datetime) -> str:
    payload = json.dumps({"o": owner_id, "n": nonce, "e": int(expires_at.timestamp())}, separators=(",", ":"))
    raw = payload.encode()
    return f"{_b64(raw)}.{_b64(_state_mac(raw))}"


def read_state(state: str, now: datetime) -> tuple[str, str]:
    """(owner_id, nonce) of a state we signed and that has not expired; else InvalidState."""
    head, _, mac = state.partition(".")
    try:
        raw, given = _unb64(head), _unb64(mac)
    except ValueError as exc:
        raise InvalidState() from exc
    if not hmac.compare_digest(given, _state_mac(raw)):
        raise InvalidState()
    try:
        data = json.loads(raw)
        owner_id, nonce, expires = str(data["o"]), str(data["n"]), int(data["e"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidState() from exc
    if expires <= int(now.timestamp()):
        raise InvalidState("The Zoom authorization took too long; connect again.")
    return owner_id, nonce


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class ConnectionStatus:
    status: str  # connected | needs_reconnect | not_connected
    mode: str  # zoom | local
    zoom_user_id: str | None = None
    zoom_account_id: str | None = None
    connected_at: datetime | None = None
    expires_at: datetime | None = None

    @property
    def connected(self) -> bool:
        return self.status == "connected"


def _get(owner_id: str) -> ZoomConnectionItem | None:
    try:
        return ZoomConnectionItem.get(*ZoomConnectionItem.key(owner_id), consistent_read=True)
    except ZoomConnectionItem.DoesNotExist:
        return None


def status(owner_id: str, gateway: Gateway) -> ConnectionStatus:
    """The organiser's connection as the app shows it: one GetItem."""
    mode = "local" if gateway.local else "zoom"
    item = _get(owner_id)
    if item is None:
        return ConnectionStatus(status="not_connected", mode=mode)
    return ConnectionStatus(
        status=item.status,
        mode=mode,
        zoom_user_id=item.zoom_user_id,
        zoom_account_id=item.zoom_account_id or None,
        connected_at=item.connected_at,
        expires_at=item.expires_at,
    )


# ---------------------------------------------------------------- connect


def start(*, owner_id: str, gateway: Gateway, deps: Deps) -> tuple[str, datetime]:
    """The authorize URL with a fresh signed state, and when the state expires (one PutItem)."""
    if not isinstance(gateway, ZoomGateway):
        raise _not_configured()
    now = deps.clock.now()
    expires_at = now + STATE_TTL
    nonce = new_secret_token(16)
    item = ZoomOAuthStateItem(*ZoomOAuthStateItem.key(nonce), owner_id=owner_id, expires_at=expires_at)
    item.ttl = expires_at
    item.save()
    return gateway.authorize_url(redirect_uri(), sign_state(owner_id, nonce, expires_at)), expires_at


def _consume(owner_id: str, nonce: str) -> None:
    """Delete the state's nonce; a state used before (or never issued) is InvalidState."""
    item = ZoomOAuthStateItem(*ZoomOAuthStateItem.key(nonce), owner_id=owner_id)
    try:
        item.delete(condition=ZoomOAuthStateItem.owner_id == owner_id)
    except DeleteError as exc:
        if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
            raise InvalidState() from exc
        raise


def complete(
    *,
    code: str | None,
    state: str | None,
    error: str | None,
    gateway: Gateway,
    deps: Deps,
    meta: RequestMeta,
) -> str:
    """Finish the flow; returns where to send the browser. Problems with the state raise
    InvalidState (nothing stored); problems on Zoom's side redirect with `error=`."""
    if error:
        return app_return_url(error=error if error in _ZOOM_ERRORS else "zoom_error")
    if not state:
        raise InvalidState()
    now = deps.clock.now()
    owner_id, nonce = read_state(state, now)
    if not code:
        raise InvalidState("Zoom sent no authorization code; connect again.")
    if not isinstance(gateway, ZoomGateway):
        raise _not_configured()
    _consume(owner_id, nonce)
    try:
        tokens = gateway.exchange_code(code, redirect_uri())
        user = gateway.me(tokens.access_token)
    except ZoomGrantRejected:
        logger.warning("zoom refused the authorization code", extra={"owner_id": owner_id})
        return app_return_url(error="invalid_grant")
    except ZoomError as exc:
        logger.warning("zoom code exchange failed", extra={"owner_id": owner_id, "error": str(exc)})
        return app_return_url(error="zoom_unavailable")
    try:
        _store(
            owner_id, tokens, user, now, audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
        )
    except Conflict:
        return app_return_url(error="zoom_user_in_use")
    deps.bus.publish(
        [
            DomainEvent(
                "lectern.zoom.connected",
                {"owner_id": owner_id, "zoom_user_id": user.user_id},
                occurred_at=now,
                correlation_id=meta.correlation_id,
            )
        ]
    )
    return app_return_url(connected="1")


def _pointer_free_or_mine(owner_id: str) -> Any:
    return ZoomUserPointerItem.pk.does_not_exist() | (ZoomUserPointerItem.owner_id == owner_id)


def _store(owner_id: str, tokens: TokenSet, user: ZoomUser, now: datetime, log: audit.Auditor) -> None:
    """GetItem (the previous connection) + TransactWriteItems (connection, pointer, the old
    pointer when the Zoom user changed, audit). A Zoom user connected to another organiser is
    a Conflict."""
    previous = _get(owner_id)
    item = ZoomConnectionItem(
        *ZoomConnectionItem.key(owner_id),
        owner_id=owner_id,
        zoom_user_id=user.user_id,
        zoom_account_id=user.account_id,
        zoom_email=user.email,
        access_token_enc=encrypt_token(owner_id, tokens.access_token),
        refresh_token_enc=encrypt_token(owner_id, tokens.refresh_token),
        expires_at=now + timedelta(seconds=tokens.expires_in),
        scope=tokens.scope,
        status="connected",
        token_version=int(previous.token_version or 0) + 1 if previous else 0,
        refresh_lease_until=0,
        connected_at=now,
        updated_at=now,
    )
    pointer = ZoomUserPointerItem(
        *ZoomUserPointerItem.key(user.user_id), owner_id=owner_id, zoom_account_id=user.account_id
    )
    conflict = Conflict("This Zoom user is connected to another Lectern account.", code="zoom_user_in_use")
    with tx.write(on_condition_failed=conflict) as t:
        t.save(item)
        t.save(pointer, condition=_pointer_free_or_mine(owner_id))
        if previous is not None and previous.zoom_user_id != user.user_id:
            t.delete(
                ZoomUserPointerItem(*ZoomUserPointerItem.key(previous.zoom_user_id)),
                condition=_pointer_free_or_mine(owner_id),
            )
        t.save(log.entry("lectern.zoom.connected", "zoom_connection", owner_id, zoom_user_id=user.user_id))


# ---------------------------------------------------------------- disconnect / deauthorize


def _removal(t: Any, owner_id: str, zoom_user_id: str, condition: Any) -> None:
    t.delete(ZoomConnectionItem(*ZoomConnectionItem.key(owner_id)), condition=condition)
    t.delete(
        ZoomUserPointerItem(*ZoomUserPointerItem.key(zoom_user_id)), condition=_pointer_free_or_mine(owner_id)
    )


def disconnect(*, owner_id: str, gateway: Gateway, deps: Deps, meta: RequestMeta) -> None:
    """Revoke at Zoom (best effort: a failure is logged, the connection is removed anyway), then
    delete the connection and its pointer with an audit entry: GetItem + TransactWriteItems."""
    item = _get(owner_id)
    if item is None:
        raise NotFound("No Zoom account is connected.")
    if isinstance(gateway, ZoomGateway):
        try:
            gateway.revoke(decrypt_token(owner_id, item.access_token_enc))
        except (ZoomError, TokenUnreadable) as exc:
            logger.warning("zoom revoke failed; removing the connection anyway", extra={"error": str(exc)})
    now = deps.clock.now()
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
    with tx.write(on_condition_failed=NotFound("No Zoom account is connected.")) as t:
        _removal(t, owner_id, item.zoom_user_id, ZoomConnectionItem.pk.exists())
        t.save(
            log.entry(
                "lectern.zoom.disconnected", "zoom_connection", owner_id, zoom_user_id=item.zoom_user_id
            )
        )


def deauthorize(*, zoom_user_id: str, deauthorized_at: datetime, deps: Deps) -> str | None:
    """Zoom says the user removed the app: delete the connection found through the pointer.
    Idempotent (a second delivery finds no pointer); a connection made again after the
    deauthorization is kept. GetItem (pointer) + TransactWriteItems. Returns the owner id when
    something was removed."""
    try:
        pointer = ZoomUserPointerItem.get(*ZoomUserPointerItem.key(zoom_user_id), consistent_read=True)
    except ZoomUserPointerItem.DoesNotExist:
        return None
    owner_id = pointer.owner_id
    now = deps.clock.now()
    log = audit.Auditor(actor_id=None, at=now, ids=deps.ids)
    condition = (ZoomConnectionItem.zoom_user_id == zoom_user_id) & (
        ZoomConnectionItem.connected_at <= deauthorized_at
    )
    try:
        with tx.write() as t:
            _removal(t, owner_id, zoom_user_id, condition)
            t.save(
                log.entry(
                    "lectern.zoom.deauthorized",
                    "zoom_connection",
                    owner_id,
                    zoom_user_id=zoom_user_id,
                    deauthorized_at=deauthorized_at.isoformat(),
                )
            )
    except TransactWriteError as exc:
        if tx.cancelled_by_condition(exc):
            return None  # reconnected since, or already gone
        raise
    return owner_id


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True)
class AccessToken:
    token: str
    version: int  # the connection's token_version it belongs to


def access_token(
    owner_id: str,
    gateway: ZoomGateway,
    now: datetime,
    *,
    refused_version: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    ids: Callable[[], str] = new_id,
) -> AccessToken:
    """A token valid for at least MIN_VALIDITY (or newer than `refused_version`, a token Zoom
    answered 401 to). One GetItem when the stored token is good; a refresh adds an UpdateItem
    (lease), Zoom's token call and an UpdateItem (the new pair)."""
    started = time.monotonic()
    for _ in range(WAIT_ATTEMPTS):
        current = now + timedelta(seconds=time.monotonic() - started)
        item = _get(owner_id)
        if item is None:
            raise NotConnected(owner_id)
        if item.status != "connected":
            raise NeedsReconnect(owner_id)
        version = int(item.token_version or 0)
        refused = refused_version is not None and version <= refused_version
        if not refused and item.expires_at - current >= MIN_VALIDITY:
            return AccessToken(decrypt_token(owner_id, item.access_token_enc), version)
        if int(item.refresh_lease_until or 0) < _ms(current):
            holder = ids()
            if _take_lease(item, holder, version, current):
                return _refresh(item, holder, version, gateway, now)
        sleep(WAIT_SECONDS)  # another caller is refreshing: read its result
    raise ZoomUnavailable("another refresh of this Zoom connection did not finish in time")


def valid_access_token(owner_id: str, gateway: ZoomGateway, now: datetime, **kwargs: Any) -> str:
    return access_token(owner_id, gateway, now, **kwargs).token


def _conditional(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException"


def _take_lease(item: ZoomConnectionItem, holder: str, version: int, now: datetime) -> bool:
    try:
        item.update(
            actions=[
                ZoomConnectionItem.refresh_lease_until.set(_ms(now + LEASE)),
                ZoomConnectionItem.refresh_lease_holder.set(holder),
            ],
            condition=(ZoomConnectionItem.refresh_lease_until < _ms(now))
            & (ZoomConnectionItem.token_version == version)
            & (ZoomConnectionItem.status == "connected"),
        )
    except UpdateError as exc:
        if _conditional(exc):
            return False
        raise
    return True


def _release(item: ZoomConnectionItem, holder: str, *extra: Any) -> None:
    try:
        item.update(
            actions=[
                ZoomConnectionItem.refresh_lease_until.set(0),
                ZoomConnectionItem.refresh_lease_holder.remove(),
                *extra,
            ],
            condition=ZoomConnectionItem.refresh_lease_holder == holder,
        )
    except UpdateError as exc:
        if not _conditional(exc):
            raise


def _refresh(
    item: ZoomConnectionItem, holder: str, version: int, gateway: ZoomGateway, now: datetime
) -> AccessToken:
    owner_id = item.owner_id
    try:
        tokens = gateway.refresh(decrypt_token(owner_id, item.refresh_token_enc))
    except (ZoomGrantRejected, TokenUnreadable) as exc:
        logger.warning(
            "zoom refused the refresh token; the organiser must reconnect", extra={"owner_id": owner_id}
        )
        _release(
            item,
            holder,
            ZoomConnectionItem.status.set("needs_reconnect"),
            ZoomConnectionItem.updated_at.set(now),
        )
        audit.Auditor(actor_id=None, at=now, ids=new_id).record(
            "lectern.zoom.needs_reconnect", "zoom_connection", owner_id, reason=type(exc).__name__
        )
        raise NeedsReconnect(owner_id) from exc
    except ZoomError:
        _release(item, holder)
        raise
    try:
        item.update(
            actions=[
                ZoomConnectionItem.access_token_enc.set(encrypt_token(owner_id, tokens.access_token)),
                ZoomConnectionItem.refresh_token_enc.set(encrypt_token(owner_id, tokens.refresh_token)),
                ZoomConnectionItem.expires_at.set(now + timedelta(seconds=tokens.expires_in)),
                ZoomConnectionItem.scope.set(tokens.scope),
                ZoomConnectionItem.token_version.set(version + 1),
                ZoomConnectionItem.refresh_lease_until.set(0),
                ZoomConnectionItem.refresh_lease_holder.remove(),
                ZoomConnectionItem.refreshed_at.set(now),
                ZoomConnectionItem.updated_at.set(now),
            ],
            condition=ZoomConnectionItem.refresh_lease_holder == holder,
        )
    except UpdateError as exc:
        if _conditional(exc):  # the lease ran out (or the connection was removed) meanwhile
            raise ZoomUnavailable("lost the refresh lease of this Zoom connection") from exc
        raise
    return AccessToken(tokens.access_token, version + 1)


class OrganiserZoom:
    """An organiser's Zoom for one piece of work: the token is read once, and a call Zoom
    answers 401 is retried once with a refreshed token. With LocalZoom there is no token."""

    def __init__(self, owner_id: str, gateway: Gateway, now: datetime) -> None:
        self.owner_id = owner_id
        self.gateway = gateway
        self.now = now
        self._token: AccessToken | None = None

    @property
    def local(self) -> bool:
        return bool(self.gateway.local)

    def ensure(self) -> None:
        """Raise NotConnected / NeedsReconnect now rather than at the first call."""
        if isinstance(self.gateway, ZoomGateway) and self._token is None:
            self._token = access_token(self.owner_id, self.gateway, self.now)

    def _call(self, fn: Callable[[str], T]) -> T:
        if not isinstance(self.gateway, ZoomGateway):
            return fn("local")
        self.ensure()
        assert self._token is not None
        try:
            return fn(self._token.token)
        except ZoomUnauthorized:
            self._token = access_token(
                self.owner_id, self.gateway, self.now, refused_version=self._token.version
            )
            return fn(self._token.token)

    def create_meeting(
        self, topic: str, start_time: datetime, duration_min: int, timezone: str, agenda: str = ""
    ) -> Meeting:
        g = self.gateway
        return self._call(lambda t: g.create_meeting(t, topic, start_time, duration_min, timezone, agenda))

    def update_meeting(
        self, meeting_id: str, *, topic: str, start_time: datetime, duration_min: int, kind: str = "meeting"
    ) -> None:
        g = self.gateway
        self._call(
            lambda t: g.update_meeting(
                t, meeting_id, topic=topic, start_time=start_time, duration_min=duration_min, kind=kind
            )
        )

    def delete_meeting(self, meeting_id: str, *, kind: str = "meeting") -> None:
        g = self.gateway
        self._call(lambda t: g.delete_meeting(t, meeting_id, kind=kind))

    def add_registrant(
        self, meeting_id: str, email: str, first_name: str, last_name: str, *, kind: str = "meeting"
    ) -> Registrant:
        g = self.gateway
        return self._call(lambda t: g.add_registrant(t, meeting_id, email, first_name, last_name, kind=kind))

    def cancel_registrant(
        self, meeting_id: str, registrant_id: str, email: str, *, kind: str = "meeting"
    ) -> None:
        g = self.gateway
        self._call(lambda t: g.cancel_registrant(t, meeting_id, registrant_id, email, kind=kind))
