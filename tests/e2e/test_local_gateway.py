"""The local API Gateway stand-in over real HTTP: health, docs, the gateway's own answers
(404/405/413), CORS and the /_dev mail capture."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest
import requests

pytestmark = pytest.mark.e2e

ALLOWED_ORIGIN = "http://localhost:5173"


def test_health(api_v1: str) -> None:
    for path in ("/health", "/health/"):
        r = requests.get(api_v1 + path, timeout=10)
        assert r.status_code == 200
        assert r.json() == {"status": "ok"}


def test_openapi_document_is_json_with_paths(api_v1: str) -> None:
    r = requests.get(f"{api_v1}/openapi.json", timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    assert "/health/" in doc["paths"]


def test_docs_page_and_its_assets_load(api_v1: str) -> None:
    r = requests.get(f"{api_v1}/docs", timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    refs = re.findall(r"""(?:src|href)=["']([^"']+)["']""", r.text)
    assert refs, "the docs page references no assets"
    for ref in refs:
        asset = requests.get(urljoin(r.url, ref), timeout=10)
        assert asset.status_code == 200, ref
        assert asset.content, ref


def test_unknown_route_is_a_404_envelope(api_server: str, api_v1: str) -> None:
    for url in (f"{api_v1}/no-such-thing/", f"{api_server}/nowhere"):
        r = requests.get(url, timeout=10)
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "route_not_found"
        assert isinstance(r.json()["error"]["details"], list)


def test_wrong_method_is_a_405_envelope_with_allow(api_v1: str) -> None:
    r = requests.delete(f"{api_v1}/health/", timeout=10)
    assert r.status_code == 405
    assert r.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in r.headers["Allow"]


def test_cors_preflight_echoes_allowed_origins_only(api_v1: str) -> None:
    def preflight(origin: str) -> requests.Response:
        return requests.options(
            f"{api_v1}/users/me/",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
            timeout=10,
        )

    ok = preflight(ALLOWED_ORIGIN)
    assert ok.status_code in (200, 204), ok.text
    assert ok.headers.get("Access-Control-Allow-Origin") == ALLOWED_ORIGIN
    evil = preflight("https://evil.example")
    assert "Access-Control-Allow-Origin" not in evil.headers


def test_cors_preflight_on_a_public_route(api_v1: str) -> None:
    r = requests.options(
        f"{api_v1}/health/",
        headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "GET"},
        timeout=10,
    )
    assert r.status_code in (200, 204)
    assert r.headers.get("Access-Control-Allow-Origin") == ALLOWED_ORIGIN


def test_preflight_on_unknown_path_is_404(api_v1: str) -> None:
    r = requests.options(f"{api_v1}/no-such-thing/", headers={"Origin": ALLOWED_ORIGIN}, timeout=10)
    assert r.status_code == 404


def test_body_over_api_gateway_limit_is_413(api_v1: str) -> None:
    r = requests.post(
        f"{api_v1}/health/",  # the gateway checks the size before routing to any function
        data=b"x" * (10 * 1024 * 1024 + 1),
        headers={"Content-Type": "application/octet-stream"},
        timeout=30,
    )
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"


def test_dev_mail_capture_is_readable_and_filterable(api_server: str) -> None:
    r = requests.get(f"{api_server}/_dev/emails", params={"to": "nobody-at-all@example.com"}, timeout=10)
    assert r.status_code == 200
    assert r.json() == {"items": []}
    r = requests.get(f"{api_server}/_dev/routes", timeout=10)
    assert r.status_code == 200
    assert any(item["path"] == "/api/v1/health" for item in r.json()["items"])
