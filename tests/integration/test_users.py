"""Profile, change password, sessions."""

from __future__ import annotations

from tests.support.api import Api
from tests.support.aws import sent_emails
from tests.support.builders import PASSWORD, login, verified_account


def test_me_shows_the_profile_without_secrets(api):
    acct = verified_account(api)
    r = api.get("/users/me/", token=acct.token)
    assert r.status == 200
    assert r.json["email"] == acct.email and r.json["email_verified"] is True
    assert "password_hash" not in r.json and "password" not in str(r.json).lower()


def test_patch_me_updates_only_given_fields_and_validates_timezone(api):
    acct = verified_account(api)
    r = api.patch(
        "/users/me/", {"professional_title": "Consultant", "timezone": "Europe/London"}, token=acct.token
    )
    assert r.status == 200
    assert r.json["professional_title"] == "Consultant" and r.json["timezone"] == "Europe/London"
    assert r.json["full_name"] == "Ada Lovelace"
    bad = api.patch("/users/me/", {"timezone": "Mars/Olympus"}, token=acct.token)
    assert bad.status == 422 and bad.json["error"]["details"][0]["field"] == "timezone"
    email = api.patch("/users/me/", {"email": "new@example.org"}, token=acct.token)
    assert email.status == 422
    assert api.get("/users/me/", token=acct.token).json["email"] == acct.email


def test_change_password_requires_the_current_one_and_signs_out_other_sessions(api):
    acct = verified_account(api)
    other = login(api, acct.email)
    wrong = api.post(
        "/users/me/change-password/",
        {"current_password": "not it at all", "new_password": "new passphrase 123"},
        token=acct.token,
    )
    assert wrong.status == 422 and wrong.json["error"]["details"][0]["field"] == "current_password"
    ok = api.post(
        "/users/me/change-password/",
        {"current_password": PASSWORD, "new_password": "new passphrase 123"},
        token=acct.token,
    )
    assert ok.status == 204
    assert api.get("/users/me/", token=acct.token).status == 200  # this session stays
    assert api.get("/users/me/", token=other.token).status == 401  # the other is gone
    login(api, acct.email, "new passphrase 123")
    assert sent_emails(acct.email)[-1]["subject"] == "Your Lectern password was changed"


def test_sessions_list_marks_the_current_one_and_revoke_ends_another(api):
    acct = verified_account(api)
    phone = login(Api(ip="198.51.100.20", default_headers={"User-Agent": "Phone"}), acct.email)
    r = api.get("/users/me/sessions/", token=acct.token)
    assert r.status == 200
    items = r.json["items"]
    assert len(items) == 2
    assert sum(1 for s in items if s["current"]) == 1
    other = next(s for s in items if not s["current"])
    assert other["device"] == "Phone" and other["ip"] == "198.51.100.20"
    assert api.delete(f"/users/me/sessions/{other['uuid']}/", token=acct.token).status == 204
    assert api.get("/users/me/", token=phone.token).status == 401
    assert api.delete(f"/users/me/sessions/{other['uuid']}/", token=acct.token).status == 404


def test_sessions_paginate_with_signed_cursors_scoped_to_the_caller(api):
    acct = verified_account(api)
    for _ in range(4):
        login(api, acct.email)
    first = api.get("/users/me/sessions/", token=acct.token, query={"limit": "2"})
    assert len(first.json["items"]) == 2 and first.json["next_cursor"]
    seen = {s["uuid"] for s in first.json["items"]}
    cursor = first.json["next_cursor"]
    while cursor:
        page = api.get("/users/me/sessions/", token=acct.token, query={"limit": "2", "cursor": cursor})
        assert page.status == 200
        seen |= {s["uuid"] for s in page.json["items"]}
        cursor = page.json["next_cursor"]
    assert len(seen) == 5
    mallory = verified_account(api)
    stolen = api.get("/users/me/sessions/", token=mallory.token, query={"cursor": first.json["next_cursor"]})
    assert stolen.status == 400 and stolen.error_code == "invalid_cursor"
