"""Every route x {anonymous, forged token, expired token, a second user with the first user's
ids}. Built from the route table, so a new route cannot escape it: a route with a path
parameter this file does not know fails `test_every_parameter_is_known`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from lectern import secrets

from tests.support.builders import verified_account
from tools.routes import route_table

SECURED = [r for r in route_table() if r.secured]
WITH_PARAMS = [r for r in SECURED if "{" in r.template]

# How to make, for user A, a resource of each kind a path parameter can name.
KNOWN_PARAMS = {"requirement_id", "activity_id", "session_id"}


def _path(template: str, ids: dict[str, str]) -> str:
    out = template
    for name, value in ids.items():
        out = out.replace("{" + name + "}", value)
    return out


def _example_body(route) -> dict:
    # A valid-looking body, so a 401/404 is about who asks, not what is sent.
    bodies = {
        "/users/me": {"full_name": "Mallory"},
        "/users/me/change-password": {"current_password": "x" * 12, "new_password": "y" * 12},
        "/users/me/cpd-requirements": {"category": "Ethics", "hours_required": 5},
        "/users/me/cpd-requirements/{requirement_id}": {"hours_required": 7},
        "/users/me/cpd-activities": {
            "title": "Talk",
            "category": "Ethics",
            "hours": 1,
            "completed_on": "2026-01-02",
        },
        "/users/me/cpd-activities/{activity_id}": {"hours": 2},
    }
    return bodies.get(route.template, {})


def test_every_parameter_is_known():
    import re

    params = {p for r in route_table() for p in re.findall(r"\{([^}]+)\}", r.template)}
    unknown = params - KNOWN_PARAMS - {"asset"}
    assert not unknown, f"add these path parameters to the authorization matrix: {unknown}"


@pytest.mark.parametrize("route", SECURED, ids=lambda r: f"{r.method} {r.template}")
def test_anonymous_gets_401(api, route):
    path = _path(route.template, {p: str(uuid.uuid4()) for p in KNOWN_PARAMS})
    r = api.call(route.method, path, _example_body(route))
    assert r.status == 401
    assert r.error_code == "unauthorized"


@pytest.mark.parametrize("route", SECURED, ids=lambda r: f"{r.method} {r.template}")
def test_forged_and_expired_tokens_get_401(api, route):
    acct = verified_account(api)
    claims = jwt.decode(acct.token, options={"verify_signature": False})
    forged = jwt.encode(claims, "not-the-key-but-long-enough-for-hs256!!", algorithm="HS256")
    expired_claims = {**claims, "exp": int((datetime.now(UTC) - timedelta(minutes=1)).timestamp())}
    expired = jwt.encode(expired_claims, secrets.derived_key("jwt"), algorithm="HS256")
    tampered = acct.token[:-4] + ("AAAA" if not acct.token.endswith("AAAA") else "BBBB")
    path = _path(route.template, {p: str(uuid.uuid4()) for p in KNOWN_PARAMS})
    for bad in (forged, expired, tampered, "garbage", claims["sub"]):
        r = api.call(route.method, path, _example_body(route), token=bad)
        assert r.status == 401, (bad, r.json)


@pytest.mark.parametrize("route", WITH_PARAMS, ids=lambda r: f"{r.method} {r.template}")
def test_second_user_gets_404_for_first_users_ids(api, route):
    alice = verified_account(api)
    mallory = verified_account(api)
    req = api.post(
        "/users/me/cpd-requirements/", {"category": "Ethics", "hours_required": 5}, token=alice.token
    )
    act = api.post(
        "/users/me/cpd-activities/",
        {"title": "Talk", "category": "Ethics", "hours": 1, "completed_on": "2026-01-02"},
        token=alice.token,
    )
    sessions = api.get("/users/me/sessions/", token=alice.token).json["items"]
    ids = {
        "requirement_id": req.json["uuid"],
        "activity_id": act.json["uuid"],
        "session_id": sessions[0]["uuid"],
    }
    r = api.call(route.method, _path(route.template, ids), _example_body(route), token=mallory.token)
    assert r.status == 404, r.json
    # ... and Alice's resource is untouched.
    assert (
        api.get(f"/users/me/cpd-requirements/{ids['requirement_id']}/", token=alice.token).json[
            "hours_required"
        ]
        == 5
    )
    assert api.get(f"/users/me/cpd-activities/{ids['activity_id']}/", token=alice.token).json["hours"] == 1
    assert len(api.get("/users/me/sessions/", token=alice.token).json["items"]) == 1
