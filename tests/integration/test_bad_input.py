"""Bad input of every kind on every route gets the error envelope, never a 5xx: malformed JSON,
wrong JSON type, unknown fields, oversize bodies, malformed and unknown ids."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from tests.support import matrix
from tests.support.builders import verified_account
from tools.openapi import build
from tools.routes import route_table

DOC = build()
_, BODIES = matrix.load()


def _has_body(route) -> bool:
    op = DOC["paths"].get(route.template.rstrip("/") + "/", {}).get(route.method.lower(), {})
    return "requestBody" in op


BODY_ROUTES = [r for r in route_table() if _has_body(r)]
PARAM_ROUTES = [r for r in route_table() if "{" in r.template and r.group != "meta"]
# Routes whose every path parameter is a uuid id (a feed token, say, is not).
ID_ROUTES = [
    r for r in PARAM_ROUTES if all(p.endswith("_id") for p in re.findall(r"\{([^}]+)\}", r.template))
]


def _fill(template: str, value: str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", value, template)


def _assert_envelope(r, status, code=None):
    assert r.status == status, (r.status, r.json)
    body = r.json
    assert set(body) == {"error"}, body
    assert {"code", "message", "details"} <= set(body["error"]), body
    if code:
        assert body["error"]["code"] == code, body


@pytest.fixture
def token(api):
    return verified_account(api).token


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda r: f"{r.method} {r.template}")
def test_malformed_json_is_400(api, token, route):
    r = api.call(
        route.method, _fill(route.template, str(uuid.uuid4())), raw='{"email": "a@b.c",', token=token
    )
    if route.secured or r.status != 401:
        _assert_envelope(r, 400, "malformed_json")


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda r: f"{r.method} {r.template}")
@pytest.mark.parametrize("payload", [[], "text", 42, None, {"unexpected_field": 1}])
def test_wrong_shapes_are_422(api, token, route, payload):
    r = api.call(route.method, _fill(route.template, str(uuid.uuid4())), raw=json.dumps(payload), token=token)
    _assert_envelope(r, 422, "validation_failed")
    assert r.json["error"]["details"], "validation errors must name fields"
    assert all("field" in d for d in r.json["error"]["details"])


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda r: f"{r.method} {r.template}")
def test_oversize_body_is_413(api, token, route):
    big = json.dumps({"full_name": "x" * (300 * 1024)})
    r = api.call(route.method, _fill(route.template, str(uuid.uuid4())), raw=big, token=token)
    _assert_envelope(r, 413, "payload_too_large")


@pytest.mark.parametrize("route", ID_ROUTES, ids=lambda r: f"{r.method} {r.template}")
def test_malformed_id_is_422_naming_the_parameter(api, token, route):
    r = api.call(route.method, _fill(route.template, "not-a-uuid"), {}, token=token)
    _assert_envelope(r, 422, "validation_failed")
    fields = {d["field"] for d in r.json["error"]["details"]}
    assert any(f.endswith("_id") for f in fields), fields


@pytest.mark.parametrize("route", ID_ROUTES, ids=lambda r: f"{r.method} {r.template}")
def test_unknown_id_is_404(api, token, route):
    # A valid body where the route takes one (tests/support/matrix_*.py BODIES), so the 404 is
    # about the id alone.
    body = BODIES.get(route.template, {} if route.method == "PATCH" else None)
    r = api.call(route.method, _fill(route.template, str(uuid.uuid4())), body, token=token)
    _assert_envelope(r, 404)


def test_unknown_route_and_wrong_method(api, token):
    _assert_envelope(api.get("/nope/"), 404, "route_not_found")
    r = api.call("PUT", "/users/me/", {}, token=token)
    _assert_envelope(r, 405, "method_not_allowed")
    assert "GET" in r.headers.get("Allow", "")


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=201", "limit=abc", "cursor=forged", "cursor=" + "A" * 40]
)
def test_bad_pagination(api, token, query):
    r = api.get("/users/me/cpd-activities/", token=token, query=query)
    assert r.status in (400, 422), r.json
    if "cursor" in query:
        _assert_envelope(r, 400, "invalid_cursor")
    else:
        _assert_envelope(r, 422, "validation_failed")
        assert r.json["error"]["details"][0]["field"] == "limit"


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda r: f"{r.method} {r.template}")
@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_non_json_bodies_are_415(api, token, route, ctype):
    r = api.call(
        route.method,
        _fill(route.template, str(uuid.uuid4())),
        raw='{"a": 1}',
        token=token,
        headers={"Content-Type": ctype},
    )
    _assert_envelope(r, 415, "unsupported_media_type")


@pytest.mark.parametrize("route", BODY_ROUTES[:3], ids=lambda r: f"{r.method} {r.template}")
def test_bodies_that_are_not_utf8_are_400(api, token, route):
    r = api.call(route.method, _fill(route.template, str(uuid.uuid4())), raw=b"\xff\xfe{>", token=token)
    _assert_envelope(r, 400, "malformed_json")
