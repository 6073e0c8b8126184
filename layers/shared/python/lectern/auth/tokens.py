"""Short-lived access tokens (JWT, HS256, ≤ 15 minutes) and opaque refresh tokens.

The signing key is derived from the deployment secret in Secrets Manager. Access tokens carry
the user id (`sub`) and the session id (`sid`); the authorizer also checks the session still
exists, so logout and refresh-token reuse take effect at once, not at expiry.
"""

from __future__ import annotations

import base64
import importlib
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import ModuleType

from lectern import secrets
from lectern.config import get_settings
from lectern.errors import InvalidToken
from lectern.ids import new_id, new_secret_token


def _import_pyjwt_hmac_only() -> ModuleType:
    """PyJWT imports `cryptography` whenever it is installed (for RSA/EC keys), and that costs
    every function that checks a token ~40-80 ms of cold start. Lectern signs HS256 only;
    `cryptography` is installed for the Zoom token encryption, which few functions load. So
    PyJWT is imported with `cryptography` hidden: it registers its HMAC algorithms only
    (docs/decisions/0008). A process that already loaded `cryptography` imports PyJWT as is."""
    if "jwt" in sys.modules or "cryptography" in sys.modules:
        return importlib.import_module("jwt")
    sys.modules["cryptography"] = None  # type: ignore[assignment]  # import → ModuleNotFoundError
    try:
        return importlib.import_module("jwt")
    finally:
        del sys.modules["cryptography"]


jwt = _import_pyjwt_hmac_only()

ISSUER = "lectern"
AUDIENCE = "lectern-api"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    session_id: str
    expires_at: datetime


def issue_access_token(user_id: str, session_id: str, now: datetime) -> tuple[str, int]:
    ttl = get_settings().access_token_ttl_seconds
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user_id,
        "sid": session_id,
        "typ": "access",
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()) - 5,
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "jti": new_id(),
    }
    return jwt.encode(claims, secrets.derived_key("jwt"), algorithm=ALGORITHM), ttl


def verify_access_token(token: str, now: datetime | None = None) -> AccessClaims:
    try:
        claims = jwt.decode(
            token,
            secrets.derived_key("jwt"),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "sid", "aud", "iss"]},
            leeway=0,
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken("The access token is invalid or has expired.") from exc
    if claims.get("typ") != "access":
        raise InvalidToken("The access token is invalid or has expired.")
    if now is not None and claims["exp"] <= int(now.timestamp()):
        raise InvalidToken("The access token is invalid or has expired.")
    return AccessClaims(
        user_id=str(claims["sub"]),
        session_id=str(claims["sid"]),
        expires_at=datetime.fromtimestamp(claims["exp"]).astimezone(),
    )


@dataclass(frozen=True)
class RefreshToken:
    """`<user_id>.<session_id>.<secret>` base64url-encoded; only the secret's hash is stored."""

    user_id: str
    session_id: str
    secret: str

    def encode(self) -> str:
        raw = f"{self.user_id}.{self.session_id}.{self.secret}".encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    @classmethod
    def new(cls, user_id: str, session_id: str) -> RefreshToken:
        return cls(user_id, session_id, new_secret_token())

    @classmethod
    def decode(cls, token: str) -> RefreshToken:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            user_id, session_id, secret = raw.split(".", 2)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidToken("The refresh token is invalid.") from exc
        if not (user_id and session_id and secret) or len(token) > 512:
            raise InvalidToken("The refresh token is invalid.")
        return cls(user_id, session_id, secret)
