"""API Gateway REQUEST authorizer: verifies the bearer access token and passes the principal
(user_id, session_id) to the route group functions in `requestContext.authorizer`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from lectern.auth.authorizer import authorize
from lectern.clock import SystemClock
from lectern.errors import LecternError

logger = Logger(service="authorizer")
_clock = SystemClock()


def _policy(
    effect: str, resource: str, principal: str, context: dict[str, str] | None = None
) -> dict[str, Any]:
    # Allow/deny the whole stage, so a cached decision serves every route of the caller.
    parts = resource.split("/", 2)
    stage_arn = "/".join(parts[:2]) + "/*" if len(parts) >= 2 else resource
    doc: dict[str, Any] = {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": stage_arn}],
        },
    }
    if context:
        doc["context"] = context
    return doc


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        decision = authorize(event.get("headers"), _clock)
    except LecternError as err:
        logger.info("denied", extra={"reason": err.code})
        # API Gateway turns this exact message into a 401.
        raise Exception("Unauthorized") from None
    return _policy("Allow", event.get("methodArn", "*"), decision.user_id, decision.context())
