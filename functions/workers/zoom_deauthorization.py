"""Zoom's `app_deauthorized` notification (put on the bus by the webhook after verification):
the organiser removed Lectern from their Zoom account, so their connection is deleted
(lectern.zoom.connection.deauthorize: found through the Zoom-user pointer, audited,
idempotent).

Zoom's data-compliance call (`POST /oauth/data/compliance`) is required only for apps
published on the Zoom App Marketplace; Lectern keeps no Zoom user data beyond the connection
it deletes here, and does not make that call.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from lectern.consumers import sqs_consumer
from lectern.deps import Deps
from lectern.zoom import connection

logger = Logger(service="zoom-deauthorization")


def _when(payload: dict[str, Any], detail: dict[str, Any], fallback: datetime) -> datetime:
    raw = payload.get("deauthorization_time")
    if isinstance(raw, str) and raw:
        try:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        except ValueError:
            pass
    ts = detail.get("event_ts")
    if isinstance(ts, int | float) and ts > 0:
        return datetime.fromtimestamp(ts / 1000, UTC)
    return fallback


def handle(event: dict[str, Any], deps: Deps) -> str:
    """One EventBridge event (as delivered in the SQS body). Returns what was done."""
    if event.get("source") != "lectern.zoom" or event.get("detail-type") != "app_deauthorized":
        return "ignored"
    detail = event.get("detail") or {}
    payload = detail.get("payload") or {}
    user_id = str(payload.get("user_id") or "")
    if not user_id:
        logger.warning("app_deauthorized without a user_id dropped")
        return "dropped"
    owner = connection.deauthorize(
        zoom_user_id=user_id, deauthorized_at=_when(payload, detail, deps.clock.now()), deps=deps
    )
    return "removed" if owner else "no_connection"


lambda_handler = sqs_consumer("zoom-deauthorization", handle)
