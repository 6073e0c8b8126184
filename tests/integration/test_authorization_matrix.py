"""Every route x {anonymous, forged token, expired token, a second user with the first user's
ids}. Built from the route table, so a new route cannot escape it: a path parameter without a
factory in tests/support/matrix_*.py fails `test_every_parameter_has_a_factory`."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import jwt
import pytest
from lectern import secrets

from tests.support import matrix
from tests.support.builders import verified_account
from tools.routes import route_table

FACTORIES, BODIES = matrix.load()
SECURED = [r for r in route_table() if r.secured]
WITH_PARAMS = [r for r in SECURED if "{" in r.template]
PUBLIC_PARAMS = {"asset"}  # parameters of public routes that name no tenant's resource


def _params(template: str) -> list[str]:
    return re.findall(r"\{([^}]+)\}", template)


def _path(template: str, ids: dict[str, str]) -> str:
    out = template
    for name, value in ids.items():
        out = out.replace("{" + name + "}", value)
    return out


def _random_ids(template: str) -> dict[str, str]:
    return {p: str(uuid.uuid4()) for p in _params(template)}


def test_every_parameter_has_a_factory():
    params = {p for r in SECURED for p in _params(r.template)}
    missing = params - set(FACTORIES) - PUBLIC_PARAMS
    assert not missing, f"add factories for these path parameters to tests/support/matrix_*.py: {missing}"


@pytest.mark.parametrize("route", SECURED, ids=lambda r: f"{r.method} {r.template}")
def test_anonymous_gets_401(api, route):
    r = api.call(
        route.method, _path(route.template, _random_ids(route.template)), BODIES.get(route.template, {})
    )
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
    path = _path(route.template, _random_ids(route.template))
    for bad in (forged, expired, tampered, "garbage", claims["sub"]):
        r = api.call(route.method, path, BODIES.get(route.template, {}), token=bad)
        assert r.status == 401, (bad, r.json)


@pytest.mark.parametrize("route", WITH_PARAMS, ids=lambda r: f"{r.method} {r.template}")
def test_second_user_gets_404_for_first_users_ids(api, route):
    alice = verified_account(api)
    mallory = verified_account(api)
    ids = {p: FACTORIES[p](api, alice) for p in _params(route.template)}
    before = {p: _snapshot(api, alice, route, ids) for p in ids}
    r = api.call(
        route.method, _path(route.template, ids), BODIES.get(route.template, {}), token=mallory.token
    )
    assert r.status == 404, r.json
    # ... and what Alice can see of her resources is unchanged.
    assert {p: _snapshot(api, alice, route, ids) for p in ids} == before


def _snapshot(api, owner, route, ids):
    """Alice's own view of the resource the route names (GET on the same path, if one exists)."""
    getters = [r for r in route_table() if r.method == "GET" and r.template == route.template]
    if not getters:
        return None
    r = api.get(_path(route.template, ids), token=owner.token)
    body = r.json if r.raw[:1] == b"{" else None
    if isinstance(body, dict) and {"url", "expires_at"} <= set(body):
        # A presigned download is signed afresh on every call: compare what it opens.
        return (r.status, urlsplit(body["url"]).path)
    return (r.status, r.raw)
