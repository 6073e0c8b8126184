"""The organiser's Zoom connection: OAuth connect / callback (signed single-use state), encrypted
token storage, refresh before expiry with one refresh at a time, disconnect, and Zoom's
deauthorization notification. Zoom is the fake transport (tests/support/zoom_fake.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from lectern.data.audit import AuditItem
from lectern.data.zoom_connection import ZoomConnectionItem, ZoomOAuthStateItem, ZoomUserPointerItem
from lectern.deps import default_deps
from lectern.integrations import zoom
from lectern.zoom import connection
from lectern.zoom.connection import NeedsReconnect, TokenUnreadable

from functions.workers import zoom_deauthorization
from tests.support import zoom_fake
from tests.support.api import FakeContext
from tests.support.builders import verified_account
from tests.support.events import user_id_of
from tests.support.zoom_fake import FakeZoom, install, sqs_event

clock, bus = zoom_fake.clock, zoom_fake.bus  # shared fixtures
APP = "https://app.lectern.test"


@pytest.fixture
def fake(monkeypatch, aws_env):
    return install(monkeypatch, FakeZoom())


@pytest.fixture
def me(api, clock, bus):
    return verified_account(api)


def _stored(owner_id: str) -> ZoomConnectionItem | None:
    try:
        return ZoomConnectionItem.get(*ZoomConnectionItem.key(owner_id), consistent_read=True)
    except ZoomConnectionItem.DoesNotExist:
        return None


def _pointer(zoom_user_id: str) -> ZoomUserPointerItem | None:
    try:
        return ZoomUserPointerItem.get(*ZoomUserPointerItem.key(zoom_user_id), consistent_read=True)
    except ZoomUserPointerItem.DoesNotExist:
        return None


def _audit(owner_id: str) -> list[str]:
    return sorted(i.action for i in AuditItem.query(f"AUDIT#zoom_connection#{owner_id}"))


def _connect(api, acct) -> str:
    """POST connect; returns the state from the authorize URL."""
    r = api.post("/integrations/zoom/connect/", token=acct.token)
    assert r.status == 200, r.json
    q = parse_qs(urlsplit(r.json["authorize_url"]).query)
    return q["state"][0]


def _callback(api, **query):
    return api.get("/integrations/zoom/callback/", query=query)


def _connected(api, acct) -> str:
    state = _connect(api, acct)
    r = _callback(api, code="good-code", state=state)
    assert r.status == 302, r.json
    return user_id_of(acct.token)


def _location(r) -> tuple[str, dict[str, str]]:
    parts = urlsplit(r.headers["Location"])
    return f"{parts.scheme}://{parts.netloc}{parts.path}", {k: v[0] for k, v in parse_qs(parts.query).items()}


# ---------------------------------------------------------------- status and connect


def test_given_no_connection_when_reading_then_not_connected_in_zoom_mode(api, fake, me):
    r = api.get("/integrations/zoom/", token=me.token)
    assert r.status == 200
    assert r.json == {
        "connected": False,
        "status": "not_connected",
        "mode": "zoom",
        "zoom_user_id": None,
        "zoom_account_id": None,
        "connected_at": None,
        "expires_at": None,
    }


def test_given_no_zoom_app_when_connecting_then_409_and_mode_local(api, me, monkeypatch):
    monkeypatch.delenv("LECTERN_ZOOM_CLIENT_ID", raising=False)
    assert api.get("/integrations/zoom/", token=me.token).json["mode"] == "local"
    r = api.post("/integrations/zoom/connect/", token=me.token)
    assert r.status == 409 and r.error_code == "zoom_not_configured"
    assert "local" in r.json["error"]["message"]


def test_when_connecting_then_authorize_url_with_a_signed_state_stored_once(api, fake, me, clock):
    r = api.post("/integrations/zoom/connect/", token=me.token)
    assert r.status == 200
    url = urlsplit(r.json["authorize_url"])
    assert (url.scheme, url.netloc, url.path) == ("https", "zoom.us", "/oauth/authorize")
    q = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert q["response_type"] == "code" and q["client_id"] == "fake-client-id"
    assert q["redirect_uri"] == f"{APP}/api/v1/integrations/zoom/callback/"
    owner_id, nonce = connection.read_state(q["state"], clock.now())
    assert owner_id == user_id_of(me.token)
    state_item = ZoomOAuthStateItem.get(*ZoomOAuthStateItem.key(nonce), consistent_read=True)
    assert state_item.owner_id == owner_id and state_item.ttl is not None
    assert datetime.fromisoformat(r.json["state_expires_at"]) == clock.now() + timedelta(minutes=10)
    assert fake.requests == []  # nothing is sent to Zoom until the browser comes back


# ---------------------------------------------------------------- callback


def test_given_a_good_state_when_zoom_calls_back_then_connection_stored_encrypted_and_redirected(
    api, fake, me, clock, bus
):
    state = _connect(api, me)
    r = _callback(api, code="good-code", state=state)
    assert r.status == 302
    assert _location(r) == (f"{APP}/integrations/zoom", {"connected": "1"})
    owner_id = user_id_of(me.token)
    item = _stored(owner_id)
    assert item is not None and item.status == "connected"
    assert (item.zoom_user_id, item.zoom_account_id) == ("zoom-user-1", "zoom-account-1")
    assert item.expires_at == clock.now() + timedelta(seconds=3600)
    # The tokens are not in the item in clear, and decrypt only for their owner.
    raw = str(ZoomConnectionItem._get_connection().get_item(*ZoomConnectionItem.key(owner_id)))
    assert "access-1" not in raw and "refresh-1" not in raw
    assert connection.decrypt_token(owner_id, item.access_token_enc) == "access-1"
    assert connection.decrypt_token(owner_id, item.refresh_token_enc) == "refresh-1"
    assert _pointer("zoom-user-1").owner_id == owner_id
    assert _audit(owner_id) == ["lectern.zoom.connected"]
    assert [e.detail_type for e in bus.events][-1] == "lectern.zoom.connected"
    # Zoom saw the code exchange and users/me with the new token.
    token_call, me_call = fake.requests
    assert token_call.form["code"] == "good-code"
    assert token_call.form["redirect_uri"] == f"{APP}/api/v1/integrations/zoom/callback/"
    assert me_call.bearer == "access-1"

    got = api.get("/integrations/zoom/", token=me.token).json
    assert got["connected"] is True and got["status"] == "connected" and got["zoom_user_id"] == "zoom-user-1"


def test_a_token_copied_into_another_owners_item_does_not_decrypt(api, fake, me):
    owner_id = _connected(api, me)
    item = _stored(owner_id)
    with pytest.raises(TokenUnreadable):
        connection.decrypt_token("someone-else", item.access_token_enc)
    tampered = item.access_token_enc[:-2] + ("AA" if not item.access_token_enc.endswith("AA") else "BB")
    with pytest.raises(TokenUnreadable):
        connection.decrypt_token(owner_id, tampered)


def _nothing_stored(owner_id: str) -> bool:
    return _stored(owner_id) is None and _pointer("zoom-user-1") is None and _audit(owner_id) == []


@pytest.mark.parametrize(
    "state",
    [
        "forged",
        "eyJvIjoieCJ9.AAAA",
        connection.sign_state.__name__,  # plain text without a signature
    ],
)
def test_a_forged_state_is_400_and_stores_nothing(api, fake, me, state):
    _connect(api, me)
    r = _callback(api, code="good-code", state=state)
    assert r.status == 400 and r.error_code == "invalid_state"
    assert _nothing_stored(user_id_of(me.token)) and fake.requests == []


def test_a_state_signed_for_another_purpose_key_is_400(api, fake, me, clock):
    import base64
    import hashlib
    import hmac
    import json

    payload = json.dumps(
        {"o": user_id_of(me.token), "n": "x", "e": int(clock.now().timestamp()) + 600}
    ).encode()
    mac = hmac.new(b"wrong-key", payload, hashlib.sha256).digest()
    b64 = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")  # noqa: E731
    r = _callback(api, code="good-code", state=f"{b64(payload)}.{b64(mac)}")
    assert r.status == 400 and r.error_code == "invalid_state"
    assert _nothing_stored(user_id_of(me.token))


def test_an_expired_state_is_400(api, fake, me, clock):
    state = _connect(api, me)
    clock.advance(minutes=10, seconds=1)
    r = _callback(api, code="good-code", state=state)
    assert r.status == 400 and r.error_code == "invalid_state"
    assert _nothing_stored(user_id_of(me.token)) and fake.requests == []


def test_a_reused_state_is_400(api, fake, me):
    state = _connect(api, me)
    assert _callback(api, code="good-code", state=state).status == 302
    sent = len(fake.requests)
    r = _callback(api, code="good-code", state=state)
    assert r.status == 400 and r.error_code == "invalid_state"
    assert len(fake.requests) == sent  # no second exchange
    assert _audit(user_id_of(me.token)) == ["lectern.zoom.connected"]


def test_a_signed_state_that_was_never_issued_is_400(api, fake, me, clock):
    state = connection.sign_state(user_id_of(me.token), "never-issued", clock.now() + timedelta(minutes=5))
    r = _callback(api, code="good-code", state=state)
    assert r.status == 400 and r.error_code == "invalid_state"


def test_missing_state_or_code_is_400(api, fake, me):
    assert _callback(api, code="good-code").error_code == "invalid_state"
    state = _connect(api, me)
    r = _callback(api, state=state)
    assert r.status == 400 and r.error_code == "invalid_state"
    assert _nothing_stored(user_id_of(me.token))


def test_oversize_query_is_422(api, fake, me):
    r = _callback(api, code="c" * 3000, state="s")
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == "code"


def test_when_the_user_declines_at_zoom_then_redirect_with_error_and_nothing_stored(api, fake, me):
    state = _connect(api, me)
    r = _callback(api, error="access_denied", state=state)
    assert r.status == 302
    assert _location(r) == (f"{APP}/integrations/zoom", {"error": "access_denied"})
    assert _nothing_stored(user_id_of(me.token)) and fake.requests == []
    r = _callback(api, error="<script>")
    assert _location(r)[1] == {"error": "zoom_error"}  # unknown errors are not echoed


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        (r"/oauth/token", 500, "zoom_unavailable"),
        (r"/oauth/token", 429, "zoom_unavailable"),
        (r"/users/me", 503, "zoom_unavailable"),
    ],
)
def test_when_zoom_fails_during_the_callback_then_nothing_is_stored(api, fake, me, path, status, error):
    fake.fail("POST" if "oauth" in path else "GET", path, status)
    state = _connect(api, me)
    r = _callback(api, code="good-code", state=state)
    assert r.status == 302 and _location(r)[1] == {"error": error}
    assert _nothing_stored(user_id_of(me.token))


def test_a_rejected_code_redirects_with_invalid_grant(api, fake, me):
    state = _connect(api, me)
    r = _callback(api, code="bad-code", state=state)
    assert r.status == 302 and _location(r)[1] == {"error": "invalid_grant"}
    assert _nothing_stored(user_id_of(me.token))


def test_a_zoom_user_connected_to_another_organiser_is_refused(api, fake, me):
    other = verified_account(api)
    _connected(api, other)
    state = _connect(api, me)
    r = _callback(api, code="good-code", state=state)
    assert r.status == 302 and _location(r)[1] == {"error": "zoom_user_in_use"}
    assert _stored(user_id_of(me.token)) is None
    assert _pointer("zoom-user-1").owner_id == user_id_of(other.token)


def test_reconnecting_with_another_zoom_user_moves_the_pointer(api, fake, me):
    owner_id = _connected(api, me)
    fake.user = {"id": "zoom-user-2", "account_id": "zoom-account-2", "email": "other@example.org"}
    state = _connect(api, me)
    assert _callback(api, code="good-code", state=state).status == 302
    assert _stored(owner_id).zoom_user_id == "zoom-user-2"
    assert _pointer("zoom-user-1") is None and _pointer("zoom-user-2").owner_id == owner_id


# ---------------------------------------------------------------- tokens


def test_a_token_valid_for_more_than_5_minutes_is_used_as_is(api, fake, me, clock):
    owner_id = _connected(api, me)
    sent = len(fake.requests)
    clock.advance(minutes=54)  # 6 minutes left
    gw = zoom.gateway()
    assert connection.valid_access_token(owner_id, gw, clock.now()) == "access-1"
    assert len(fake.requests) == sent


def test_a_token_about_to_expire_is_refreshed_and_the_new_pair_stored(api, fake, me, clock):
    owner_id = _connected(api, me)
    clock.advance(minutes=56)  # 4 minutes left
    gw = zoom.gateway()
    assert connection.valid_access_token(owner_id, gw, clock.now()) == "access-2"
    assert [r.form.get("grant_type") for r in fake.calls("POST", "/oauth/token")] == [
        "authorization_code",
        "refresh_token",
    ]
    item = _stored(owner_id)
    assert connection.decrypt_token(owner_id, item.refresh_token_enc) == "refresh-2"
    assert item.expires_at == clock.now() + timedelta(seconds=3600)
    assert int(item.token_version) == 1 and int(item.refresh_lease_until) == 0
    assert item.refresh_lease_holder is None
    # A second caller now finds the fresh token: still one refresh.
    assert connection.valid_access_token(owner_id, gw, clock.now()) == "access-2"
    assert len(fake.calls("POST", "/oauth/token")) == 2


def test_a_caller_that_finds_the_lease_taken_waits_and_uses_the_other_callers_token(api, fake, me, clock):
    """The race, deterministically: caller A holds the lease (it is refreshing); caller B must not
    refresh too, but wait and read what A stores."""
    owner_id = _connected(api, me)
    clock.advance(minutes=58)
    gw = zoom.gateway()
    item = _stored(owner_id)
    assert connection._take_lease(item, "caller-a", 0, clock.now())
    waits = []

    def a_finishes_while_b_waits(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 1:
            item = _stored(owner_id)
            assert item is not None
            connection._refresh(item, "caller-a", 0, gw, clock.now())

    token = connection.valid_access_token(owner_id, gw, clock.now(), sleep=a_finishes_while_b_waits)
    assert token == "access-2"
    assert len(waits) == 1
    refreshes = [r for r in fake.calls("POST", "/oauth/token") if r.form["grant_type"] == "refresh_token"]
    assert len(refreshes) == 1  # A's; B sent none


def test_a_caller_gives_up_when_the_lease_holder_never_finishes(api, fake, me, clock):
    owner_id = _connected(api, me)
    clock.advance(minutes=58)
    assert connection._take_lease(_stored(owner_id), "stuck", 0, clock.now())
    with pytest.raises(zoom.ZoomUnavailable):
        connection.valid_access_token(owner_id, zoom.gateway(), clock.now(), sleep=lambda s: None)
    assert not [r for r in fake.calls("POST", "/oauth/token") if r.form["grant_type"] == "refresh_token"]


def test_an_expired_lease_is_taken_over(api, fake, me, clock):
    owner_id = _connected(api, me)
    clock.advance(minutes=58)
    assert connection._take_lease(_stored(owner_id), "crashed", 0, clock.now() - timedelta(minutes=1))
    assert connection.valid_access_token(owner_id, zoom.gateway(), clock.now()) == "access-2"


def test_a_rejected_refresh_token_marks_the_connection_needs_reconnect(api, fake, me, clock):
    owner_id = _connected(api, me)
    fake.refresh_tokens.clear()  # revoked at Zoom
    clock.advance(minutes=58)
    with pytest.raises(NeedsReconnect):
        connection.valid_access_token(owner_id, zoom.gateway(), clock.now())
    item = _stored(owner_id)
    assert item.status == "needs_reconnect" and int(item.refresh_lease_until) == 0
    assert "lectern.zoom.needs_reconnect" in _audit(owner_id)
    got = api.get("/integrations/zoom/", token=me.token).json
    assert got["connected"] is False and got["status"] == "needs_reconnect"
    # Connecting again makes it usable.
    state = _connect(api, me)
    assert _callback(api, code="good-code", state=state).status == 302
    assert _stored(owner_id).status == "connected"


def test_a_zoom_outage_during_refresh_releases_the_lease(api, fake, me, clock):
    owner_id = _connected(api, me)
    clock.advance(minutes=58)
    fake.fail("POST", "/oauth/token", 503)
    with pytest.raises(zoom.ZoomUnavailable):
        connection.valid_access_token(owner_id, zoom.gateway(), clock.now())
    item = _stored(owner_id)
    assert item.status == "connected" and int(item.refresh_lease_until) == 0
    assert connection.valid_access_token(owner_id, zoom.gateway(), clock.now()) == "access-2"


# ---------------------------------------------------------------- disconnect


def test_disconnect_revokes_and_deletes(api, fake, me):
    owner_id = _connected(api, me)
    r = api.delete("/integrations/zoom/", token=me.token)
    assert r.status == 204
    revoke = fake.calls("POST", "/oauth/revoke")
    assert len(revoke) == 1 and revoke[0].form == {"token": "access-1"}
    assert _stored(owner_id) is None and _pointer("zoom-user-1") is None
    assert _audit(owner_id) == ["lectern.zoom.connected", "lectern.zoom.disconnected"]
    assert api.get("/integrations/zoom/", token=me.token).json["connected"] is False


def test_disconnect_removes_the_connection_even_when_revoke_fails(api, fake, me):
    owner_id = _connected(api, me)
    fake.fail("POST", "/oauth/revoke", 500)
    assert api.delete("/integrations/zoom/", token=me.token).status == 204
    assert _stored(owner_id) is None and _pointer("zoom-user-1") is None


def test_disconnect_without_a_connection_is_404_and_leaves_others_alone(api, fake, me):
    other = verified_account(api)
    other_id = _connected(api, other)
    r = api.delete("/integrations/zoom/", token=me.token)
    assert r.status == 404
    assert _stored(other_id) is not None and fake.calls("POST", "/oauth/revoke") == []


def test_one_organiser_never_sees_anothers_connection(api, fake, me):
    other = verified_account(api)
    _connected(api, other)
    assert api.get("/integrations/zoom/", token=me.token).json["connected"] is False


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/integrations/zoom/"),
        ("POST", "/integrations/zoom/connect/"),
        ("DELETE", "/integrations/zoom/"),
    ],
)
def test_routes_need_a_token(api, fake, method, path):
    r = api.call(method, path)
    assert r.status == 401 and r.error_code == "unauthorized"
    r = api.call(method, path, token="forged.token.value")
    assert r.status == 401


# ---------------------------------------------------------------- deauthorization


def _deauthorized(user_id: str, at: datetime) -> dict:
    return sqs_event(
        (
            "lectern.zoom",
            "app_deauthorized",
            {
                "identity": "abc",
                "event": "app_deauthorized",
                "event_ts": int(at.timestamp() * 1000),
                "payload": {
                    "account_id": "zoom-account-1",
                    "user_id": user_id,
                    "signature": "sig",
                    "deauthorization_time": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                    "client_id": "fake-client-id",
                },
            },
        )
    )


def test_deauthorization_deletes_the_connection_once(api, fake, me, clock):
    owner_id = _connected(api, me)
    clock.advance(minutes=1)
    event = _deauthorized("zoom-user-1", clock.now())
    out = zoom_deauthorization.lambda_handler(event, FakeContext())
    assert out == {"batchItemFailures": []}
    assert _stored(owner_id) is None and _pointer("zoom-user-1") is None
    assert _audit(owner_id) == ["lectern.zoom.connected", "lectern.zoom.deauthorized"]
    # Redelivered: nothing more happens.
    assert zoom_deauthorization.lambda_handler(event, FakeContext()) == {"batchItemFailures": []}
    assert _audit(owner_id) == ["lectern.zoom.connected", "lectern.zoom.deauthorized"]
    assert fake.calls("POST", "/oauth/revoke") == []  # the app is already removed at Zoom


def test_a_late_deauthorization_keeps_a_connection_made_after_it(api, fake, me, clock):
    owner_id = _connected(api, me)
    event = _deauthorized("zoom-user-1", clock.now() - timedelta(minutes=5))
    assert zoom_deauthorization.lambda_handler(event, FakeContext()) == {"batchItemFailures": []}
    assert _stored(owner_id) is not None and _pointer("zoom-user-1") is not None


def test_deauthorization_of_an_unknown_zoom_user_changes_nothing(api, fake, me, clock):
    owner_id = _connected(api, me)
    out = zoom_deauthorization.lambda_handler(_deauthorized("someone-else", clock.now()), FakeContext())
    assert out == {"batchItemFailures": []}
    assert _stored(owner_id) is not None
    assert (
        zoom_deauthorization.handle(
            {"source": "lectern.zoom", "detail-type": "app_deauthorized"}, default_deps()
        )
        == "dropped"
    )
