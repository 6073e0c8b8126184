"""The decision the Lambda authorizer makes, shared by API Gateway (REQUEST authorizer) and the
local runtime: a valid, unexpired access token whose session still exists → allow, with the
principal in the context; anything else → deny (API Gateway answers 401)."""

from __future__ import annotations

from dataclasses import dataclass

from lectern.auth.tokens import verify_access_token
from lectern.clock import Clock
from lectern.data.accounts import SessionItem
from lectern.errors import InvalidToken, Unauthorized


@dataclass(frozen=True)
class Decision:
    user_id: str
    session_id: str

    def context(self) -> dict[str, str]:
        return {"user_id": self.user_id, "session_id": self.session_id}


def bearer_token(headers: dict[str, str] | None) -> str:
    for name, value in (headers or {}).items():
        if name.lower() == "authorization" and isinstance(value, str):
            scheme, _, token = value.strip().partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    raise Unauthorized("A bearer access token is required.")


def authorize(headers: dict[str, str] | None, clock: Clock) -> Decision:
    claims = verify_access_token(bearer_token(headers), clock.now())
    pk, sk = SessionItem.key(claims.user_id, claims.session_id)
    try:
        SessionItem.get(pk, sk, attributes_to_get=["PK"])
    except SessionItem.DoesNotExist as exc:
        raise InvalidToken("The session has ended; sign in again.") from exc
    return Decision(claims.user_id, claims.session_id)
