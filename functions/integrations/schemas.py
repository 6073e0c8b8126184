"""Request/response models of the integrations group (the organiser's Zoom connection)."""

from datetime import datetime
from typing import Literal

from lectern.schemas import Response
from pydantic import Field


class ZoomConnectionOut(Response):
    connected: bool = Field(description="True when Lectern can use the organiser's Zoom account")
    status: Literal["connected", "needs_reconnect", "not_connected"] = Field(
        description="needs_reconnect: Zoom refused the stored authorization; connect again"
    )
    mode: Literal["zoom", "local"] = Field(
        description="local: this deployment has no Zoom app; meetings get local ids"
    )
    zoom_user_id: str | None
    zoom_account_id: str | None
    connected_at: datetime | None
    expires_at: datetime | None = Field(
        description="When the current access token expires (refreshed before)"
    )


class ZoomConnectOut(Response):
    authorize_url: str = Field(description="Send the browser here; Zoom returns it to the callback")
    state_expires_at: datetime = Field(description="The authorization must finish before this time")
