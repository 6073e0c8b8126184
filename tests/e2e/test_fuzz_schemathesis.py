"""A bounded schemathesis run against the local API over HTTP: every operation in the OpenAPI
document, generated valid and invalid inputs, with a real access token. Zero server errors and
zero responses off-schema (status codes, content types and bodies all as documented).

Logout is excluded: it would end the shared session the fuzzer uses (it has its own tests)."""

from __future__ import annotations

import re

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.e2e

PASSWORD = "fuzzing passphrase 123"


@pytest.fixture(scope="session")
def fuzz_schema(api_server):
    return schemathesis.openapi.from_url(f"{api_server}/api/v1/openapi.json")


@pytest.fixture(scope="session")
def fuzz_token(api_server):
    base = f"{api_server}/api/v1"
    email = "fuzzer@example.org"
    requests.post(
        f"{base}/auth/signup/", json={"email": email, "password": PASSWORD, "full_name": "Fuzz"}, timeout=10
    )
    mails = requests.get(f"{api_server}/_dev/emails", params={"to": email}, timeout=10).json()["items"]
    token = re.search(r"token=([A-Za-z0-9_\-]+)", mails[0]["text"]).group(1)
    assert requests.post(f"{base}/auth/verify-email/", json={"token": token}, timeout=10).status_code == 200
    r = requests.post(f"{base}/auth/login/", json={"email": email, "password": PASSWORD}, timeout=10)
    return r.json()["access_token"]


schema = schemathesis.pytest.from_fixture("fuzz_schema").exclude(path_regex=r"^/auth/logout/?$")


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_document(case, api_server, fuzz_token):
    case.call_and_validate(
        base_url=f"{api_server}/api/v1",
        headers={"Authorization": f"Bearer {fuzz_token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
        timeout=30,
    )
