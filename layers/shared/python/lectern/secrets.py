"""The application secret, from AWS Secrets Manager through powertools parameters (cached).

One master secret per deployment; purpose-specific keys are derived from it with HMAC so the
access-token key, the cursor key and the state-signing key are independent.
"""

from __future__ import annotations

import hashlib
import hmac

from lectern.config import get_settings

_CACHE_SECONDS = 300


def _master() -> bytes:
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_secret(get_settings().app_secret_name, max_age=_CACHE_SECONDS)
    if isinstance(value, bytes):
        return value
    return str(value).encode()


def derived_key(purpose: str) -> bytes:
    """A 256-bit key for one purpose (e.g. "jwt", "cursor")."""
    return hmac.new(_master(), f"lectern:{purpose}".encode(), hashlib.sha256).digest()


def clear_cache() -> None:
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
