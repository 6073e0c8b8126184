"""The Zoom gateway against a fake transport: the requests it sends (URLs, auth, bodies), the
answers it reads, how Zoom's errors map to error classes, and LocalZoom."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from lectern.integrations import zoom
from lectern.integrations.zoom import (
    LocalZoom,
    ZoomGateway,
    ZoomGone,
    ZoomGrantRejected,
    ZoomRateLimited,
    ZoomRejected,
    ZoomUnauthorized,
    ZoomUnavailable,
)

from tests.support.zoom_fake import CLIENT_ID, CLIENT_SECRET, FakeZoom

START = datetime(2030, 3, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> FakeZoom:
    return FakeZoom()


@pytest.fixture
def gw(fake) -> ZoomGateway:
    return ZoomGateway(CLIENT_ID, CLIENT_SECRET, fake)


@pytest.fixture
def token(fake) -> str:
    return fake.issue_tokens()["access_token"]


# ---------------------------------------------------------------- OAuth


def test_authorize_url_carries_client_redirect_and_state(gw):
    url = gw.authorize_url("https://app.example/api/v1/integrations/zoom/callback/", "st.ate")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "zoom.us", "/oauth/authorize")
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert q == {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": "https://app.example/api/v1/integrations/zoom/callback/",
        "state": "st.ate",
    }


def test_exchange_code_posts_the_form_with_basic_auth(gw, fake):
    tokens = gw.exchange_code("the-code", "https://app.example/cb/")
    sent = fake.requests[-1]
    assert (sent.method, sent.url) == ("POST", "https://zoom.us/oauth/token")
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert sent.headers["Authorization"] == f"Basic {basic}"
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent.form == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": "https://app.example/cb/",
    }
    assert tokens.access_token.startswith("access-") and tokens.refresh_token.startswith("refresh-")
    assert tokens.expires_in == 3600 and tokens.scope


def test_refresh_rotates_and_a_used_refresh_token_is_a_rejected_grant(gw, fake):
    first = fake.issue_tokens()
    again = gw.refresh(first["refresh_token"])
    assert fake.requests[-1].form == {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    assert again.refresh_token != first["refresh_token"]
    with pytest.raises(ZoomGrantRejected):
        gw.refresh(first["refresh_token"])


def test_a_bad_code_is_a_rejected_grant(gw):
    with pytest.raises(ZoomGrantRejected):
        gw.exchange_code("bad-code", "https://app.example/cb/")


def test_revoke_posts_the_token(gw, fake, token):
    gw.revoke(token)
    sent = fake.requests[-1]
    assert (sent.method, sent.url, sent.form) == ("POST", "https://zoom.us/oauth/revoke", {"token": token})


def test_me_reads_user_and_account(gw, fake, token):
    user = gw.me(token)
    assert (user.user_id, user.account_id, user.email) == (
        "zoom-user-1",
        "zoom-account-1",
        "host@example.org",
    )
    assert fake.requests[-1].url == "https://api.zoom.us/v2/users/me"
    assert fake.requests[-1].bearer == token


# ---------------------------------------------------------------- meetings and registrants


def test_create_meeting_requires_registration_with_automatic_approval(gw, fake, token):
    m = gw.create_meeting(token, "Ethics", START, 90, "Europe/London", "Agenda")
    sent = fake.requests[-1]
    assert (sent.method, sent.url) == ("POST", "https://api.zoom.us/v2/users/me/meetings")
    body = sent.json
    assert body["type"] == 2 and body["topic"] == "Ethics" and body["duration"] == 90
    assert body["start_time"] == "2030-03-01T10:00:00Z" and body["timezone"] == "Europe/London"
    assert body["settings"]["approval_type"] == 0
    assert body["settings"]["registrants_email_notification"] is False
    assert m.meeting_id.isdigit() and m.kind == "meeting" and m.join_url and not m.local


def test_create_webinar_uses_the_webinars_endpoint(gw, fake, token):
    m = gw.create_webinar(token, "Big talk", START, 60, "UTC")
    assert fake.requests[-1].path == "/v2/users/me/webinars"
    assert fake.requests[-1].json["type"] == 5
    assert m.kind == "webinar"


def test_registrants_update_and_delete(gw, fake, token):
    m = gw.create_meeting(token, "Ethics", START, 60, "UTC")
    r = gw.add_registrant(token, m.meeting_id, "ada@example.org", "Ada", "Lovelace")
    sent = fake.requests[-1]
    assert sent.path == f"/v2/meetings/{m.meeting_id}/registrants"
    assert sent.json == {"email": "ada@example.org", "first_name": "Ada", "last_name": "Lovelace"}
    assert r.registrant_id and m.meeting_id in r.join_url
    # Zoom answers the same registrant for the same email.
    assert (
        gw.add_registrant(token, m.meeting_id, "ada@example.org", "Ada", "L").registrant_id == r.registrant_id
    )

    gw.update_meeting(token, m.meeting_id, start_time=START.replace(hour=11), duration_min=30, topic="New")
    sent = fake.requests[-1]
    assert (sent.method, sent.path) == ("PATCH", f"/v2/meetings/{m.meeting_id}")
    assert sent.json == {"topic": "New", "start_time": "2030-03-01T11:00:00Z", "duration": 30}

    gw.cancel_registrant(token, m.meeting_id, r.registrant_id, "ada@example.org")
    sent = fake.requests[-1]
    assert (sent.method, sent.path) == ("PUT", f"/v2/meetings/{m.meeting_id}/registrants/status")
    assert sent.json == {
        "action": "cancel",
        "registrants": [{"id": r.registrant_id, "email": "ada@example.org"}],
    }

    gw.delete_meeting(token, m.meeting_id)
    assert (fake.requests[-1].method, fake.requests[-1].path) == ("DELETE", f"/v2/meetings/{m.meeting_id}")
    with pytest.raises(ZoomGone):
        gw.delete_meeting(token, m.meeting_id)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("status", "error", "retryable"),
    [
        (401, ZoomUnauthorized, False),
        (404, ZoomGone, False),
        (400, ZoomRejected, False),
        (403, ZoomRejected, False),
        (429, ZoomRateLimited, True),
        (500, ZoomUnavailable, True),
        (503, ZoomUnavailable, True),
    ],
)
def test_zoom_errors_map_to_classes(gw, fake, token, status, error, retryable):
    fake.fail("POST", r"/users/me/meetings$", status, headers={"Retry-After": "7"})
    with pytest.raises(error) as got:
        gw.create_meeting(token, "Ethics", START, 60, "UTC")
    assert got.value.retryable is retryable
    assert got.value.status == status
    if status == 429:
        assert got.value.retry_after == 7


def test_an_expired_access_token_is_unauthorized(gw):
    with pytest.raises(ZoomUnauthorized):
        gw.me("not-a-token")


def test_network_failures_are_retryable():
    class Broken:
        def send(self, *args, **kwargs):
            raise TimeoutError("read timed out")

    with pytest.raises(ZoomUnavailable) as got:
        ZoomGateway(CLIENT_ID, CLIENT_SECRET, Broken()).me("t")
    assert got.value.retryable


def test_the_real_transport_maps_an_unreachable_host_to_unavailable():
    # 127.0.0.1:9 (discard) refuses connections on these machines: no network is involved.
    gw = ZoomGateway(
        CLIENT_ID, CLIENT_SECRET, zoom.Urllib3Transport(), api_base="http://127.0.0.1:9/v2", timeout=1
    )
    with pytest.raises(ZoomUnavailable):
        gw.me("t")


def test_garbage_answers_are_not_trusted(gw, fake, token):
    fake.fail("POST", r"/users/me/meetings$", 201, body={"unexpected": True})
    with pytest.raises(ZoomUnavailable):
        gw.create_meeting(token, "Ethics", START, 60, "UTC")


# ---------------------------------------------------------------- local mode


def test_local_zoom_gives_deterministic_local_ids_without_calls():
    ids = iter(["0190c5a0-0000-7000-8000-000000000001", "0190c5a0-0000-7000-8000-000000000002"])
    local = LocalZoom(ids=lambda: next(ids), base_url="http://127.0.0.1:3000")
    m = local.create_meeting("local", "Ethics", START, 60, "UTC")
    assert m.local and m.kind == "meeting"
    assert m.meeting_id == zoom.local_meeting_id("0190c5a0-0000-7000-8000-000000000001")
    assert m.meeting_id.isdigit() and len(m.meeting_id) == 11
    r = local.add_registrant("local", m.meeting_id, "ada@example.org", "Ada", "L")
    assert r.registrant_id == "local-0190c5a0-0000-7000-8000-000000000002"
    assert r.join_url == f"http://127.0.0.1:3000/_dev/zoom/join/{r.registrant_id}"
    assert (
        local.update_meeting("local", m.meeting_id) is None
        and local.delete_meeting("local", m.meeting_id) is None
    )


def test_gateway_is_local_without_an_oauth_app(monkeypatch):
    monkeypatch.delenv("LECTERN_ZOOM_CLIENT_ID", raising=False)
    monkeypatch.delenv("LECTERN_ZOOM_CLIENT_SECRET", raising=False)
    monkeypatch.delenv("LECTERN_ZOOM_WEBHOOK_SECRET", raising=False)
    assert zoom.gateway().local
    monkeypatch.setenv("LECTERN_ZOOM_WEBHOOK_SECRET", "s")
    assert zoom.gateway().local
    monkeypatch.setenv("LECTERN_ZOOM_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("LECTERN_ZOOM_CLIENT_SECRET", CLIENT_SECRET)
    fake = FakeZoom()
    gw = zoom.gateway(transport=fake)
    assert isinstance(gw, ZoomGateway) and gw.client_id == CLIENT_ID
