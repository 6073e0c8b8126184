"""Zoom's secrets: the webhook secret token and the OAuth app's client id/secret.

In AWS they come from one Secrets Manager secret (`LECTERN_ZOOM_SECRET_NAME`, a JSON object
`{"webhook_secret_token", "client_id", "client_secret"}`) through powertools' cached provider.
Without that name (local mode and tests) they come from `LECTERN_ZOOM_WEBHOOK_SECRET`,
`LECTERN_ZOOM_CLIENT_ID` and `LECTERN_ZOOM_CLIENT_SECRET`. No client id means "no Zoom
credentials": meetings and registrants get local ids (PRODUCT.md, Local mode).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from lectern.config import get_settings

_CACHE_SECONDS = 300


class ZoomNotConfigured(RuntimeError):
    """The deployment has no Zoom webhook secret: nothing signed by Zoom can be accepted."""


@dataclass(frozen=True)
class ZoomCredentials:
    webhook_secret: bytes
    client_id: str | None = None
    client_secret: str | None = None

    @property
    def oauth_configured(self) -> bool:
        return bool(self.client_id and self.client_secret)


def zoom_credentials() -> ZoomCredentials:
    name = get_settings().zoom_secret_name
    if name:
        from aws_lambda_powertools.utilities import parameters

        value = parameters.get_secret(name, transform="json", max_age=_CACHE_SECONDS)
        if not isinstance(value, dict):
            raise ZoomNotConfigured(f"secret {name} is not a JSON object")
        secret = str(value.get("webhook_secret_token") or "")
        client_id, client_secret = value.get("client_id"), value.get("client_secret")
    else:
        secret = os.environ.get("LECTERN_ZOOM_WEBHOOK_SECRET", "")
        client_id = os.environ.get("LECTERN_ZOOM_CLIENT_ID")
        client_secret = os.environ.get("LECTERN_ZOOM_CLIENT_SECRET")
    if not secret:
        raise ZoomNotConfigured("no Zoom webhook secret token is configured")
    return ZoomCredentials(
        webhook_secret=secret.encode(),
        client_id=str(client_id) if client_id else None,
        client_secret=str(client_secret) if client_secret else None,
    )
