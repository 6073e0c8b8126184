"""The events .ics routes over real HTTP through the local gateway: a path with a file suffix
(`/public/events/{event_id}/calendar.ics`) and a parameter glued to one
(`/public/calendar/{token}.ics`, an API Gateway `{token}` resource)."""

from __future__ import annotations

import re
import time
import uuid
from urllib.parse import unquote, urlsplit

import pytest
import requests

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple 42"
_TOKEN = re.compile(r"[?&]token=([^&\s\"'<>]+)")


def _signed_in(api_server: str, api_v1: str) -> dict[str, str]:
    email = f"org.{uuid.uuid4().hex[:10]}@example.com"
    r = requests.post(
        f"{api_v1}/auth/signup/",
        json={"email": email, "password": PASSWORD, "full_name": "Olga Organiser"},
        timeout=30,
    )
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 10
    while True:
        items = requests.get(f"{api_server}/_dev/emails", params={"to": email}, timeout=10).json()["items"]
        if items or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert items, "no verification mail"
    token = unquote(_TOKEN.search(items[0]["text"]).group(1))  # type: ignore[union-attr]
    assert requests.post(f"{api_v1}/auth/verify-email/", json={"token": token}, timeout=30).status_code == 200
    r = requests.post(f"{api_v1}/auth/login/", json={"email": email, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_event_and_feed_ics_over_http(api_server: str, api_v1: str) -> None:
    auth = _signed_in(api_server, api_v1)
    body = {
        "title": "HTTP ethics",
        "starts_at": "2031-01-01T10:00:00+00:00",
        "ends_at": "2031-01-01T11:00:00Z",
    }
    r = requests.post(f"{api_v1}/events/", json=body, headers=auth, timeout=30)
    assert r.status_code == 201, r.text
    event_id = r.json()["uuid"]

    # A draft is not public, with or without the suffix route.
    assert requests.get(f"{api_v1}/public/events/{event_id}/calendar.ics", timeout=30).status_code == 404
    assert requests.post(f"{api_v1}/events/{event_id}/publish/", headers=auth, timeout=30).status_code == 200

    r = requests.get(f"{api_v1}/public/events/{event_id}/calendar.ics", timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert f"UID:{event_id}@lectern" in r.text and "DTSTART:20310101T100000Z" in r.text

    r = requests.get(f"{api_v1}/users/me/calendar-feed/", headers=auth, timeout=30)
    assert r.status_code == 200, r.text
    path = urlsplit(r.json()["url"]).path
    assert path.startswith("/api/v1/public/calendar/") and path.endswith(".ics")
    r = requests.get(f"{api_server}{path}", timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "text/calendar; charset=utf-8" and "BEGIN:VCALENDAR" in r.text

    # The token without its suffix is no route; an unknown token is a 404 envelope.
    assert requests.get(f"{api_server}{path[: -len('.ics')]}", timeout=30).status_code == 404
    r = requests.get(f"{api_v1}/public/calendar/{'x' * 43}.ics", timeout=30)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
