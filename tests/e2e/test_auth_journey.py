"""The auth journey over real HTTP against `make dev`'s server: signup, the verification mail,
login, the profile, refresh-token rotation and reuse detection (the whole session revoked)."""

from __future__ import annotations

import re
import time
import uuid
from urllib.parse import unquote

import pytest
import requests

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple 42"
_TOKEN = re.compile(r"[?&]token=([^&\s\"'<>]+)")


def _mail_for(api_server: str, address: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        r = requests.get(f"{api_server}/_dev/emails", params={"to": address}, timeout=10)
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        if items:
            return items[0]
        if time.monotonic() > deadline:
            pytest.fail(f"no mail for {address} within {timeout}s")
        time.sleep(0.1)


def _token_from(mail: dict) -> str:
    for body in (mail.get("text") or "", mail.get("html") or ""):
        found = _TOKEN.search(body.replace("&amp;", "&"))
        if found:
            return unquote(found.group(1))
    pytest.fail(f"no token= link in the mail: {mail}")


def test_signup_verify_login_profile_refresh_and_reuse_revokes_the_session(
    api_server: str, api_v1: str
) -> None:
    email = f"ada.{uuid.uuid4().hex[:10]}@example.com"
    s = requests.Session()

    r = s.post(
        f"{api_v1}/auth/signup/",
        json={
            "email": email,
            "password": PASSWORD,
            "full_name": "Ada Lovelace",
            "professional_title": "Analyst",
            "organization_name": "Analytical Engines Ltd",
        },
        timeout=30,
    )
    assert r.status_code == 202, r.text

    mail = _mail_for(api_server, email)
    assert mail["to"].lower() == email
    assert mail["subject"]
    token = _token_from(mail)

    r = s.post(f"{api_v1}/auth/verify-email/", json={"token": token}, timeout=30)
    assert r.status_code == 200, r.text

    r = s.post(f"{api_v1}/auth/login/", json={"email": email, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    pair = r.json()
    assert pair["token_type"] == "Bearer"
    assert isinstance(pair["expires_in"], int) and 0 < pair["expires_in"] <= 900
    access, refresh = pair["access_token"], pair["refresh_token"]

    r = s.get(f"{api_v1}/users/me/", headers={"Authorization": f"Bearer {access}"}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["email"] == email

    r = s.post(f"{api_v1}/auth/refresh/", json={"refresh_token": refresh}, timeout=30)
    assert r.status_code == 200, r.text
    new_pair = r.json()
    assert new_pair["token_type"] == "Bearer"
    new_access, new_refresh = new_pair["access_token"], new_pair["refresh_token"]
    assert new_refresh != refresh

    # reusing the rotated-out refresh token is theft: the whole session is revoked
    r = s.post(f"{api_v1}/auth/refresh/", json={"refresh_token": refresh}, timeout=30)
    assert r.status_code == 401, r.text
    assert r.json()["error"]["code"]

    r = s.post(f"{api_v1}/auth/refresh/", json={"refresh_token": new_refresh}, timeout=30)
    assert r.status_code == 401, r.text

    r = s.get(f"{api_v1}/users/me/", headers={"Authorization": f"Bearer {new_access}"}, timeout=30)
    assert r.status_code == 401, r.text
    assert r.json()["error"]["code"] == "unauthorized"


def test_profile_needs_a_token(api_v1: str) -> None:
    r = requests.get(f"{api_v1}/users/me/", timeout=10)
    assert r.status_code == 401, r.text
    error = r.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == "unauthorized"
    assert error["message"]
    assert isinstance(error["details"], list)

    r = requests.get(f"{api_v1}/users/me/", headers={"Authorization": "Bearer not-a-jwt"}, timeout=10)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized"
