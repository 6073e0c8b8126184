"""The Lambda authorizer as API Gateway calls it: a policy for the whole stage with the
principal in the context, or "Unauthorized" (API Gateway's 401)."""

from __future__ import annotations

import pytest

from functions.authorizer.handler import lambda_handler
from tests.support.api import FakeContext
from tests.support.builders import verified_account

ARN = "arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/GET/api/v1/users/me"


def _event(token: str | None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return {"type": "REQUEST", "methodArn": ARN, "headers": headers}


def test_a_valid_token_gets_a_stage_wide_allow_with_the_principal(api):
    acct = verified_account(api)
    out = lambda_handler(_event(acct.token), FakeContext())
    statement = out["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == "arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/*"
    assert set(out["context"]) == {"user_id", "session_id"}
    assert out["principalId"] == out["context"]["user_id"]


@pytest.mark.parametrize("token", [None, "", "not.a.jwt", "Basic abc"])
def test_missing_or_malformed_tokens_are_unauthorized(api, token):
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        lambda_handler(_event(token), FakeContext())


def test_a_revoked_session_is_unauthorized_even_with_an_unexpired_token(api):
    acct = verified_account(api)
    assert api.post("/auth/logout/", token=acct.token).status == 204
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        lambda_handler(_event(acct.token), FakeContext())
