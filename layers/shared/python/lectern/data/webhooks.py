"""Raw webhook deliveries, kept for a while so attendance can be rebuilt from the log.

| entity      | PK                     | SK   | GSI1PK                  | GSI1SK                   |
|-------------|------------------------|------|-------------------------|--------------------------|
| ZoomWebhook | ZOOMEVT#<identity>     | RAW  | ZOOMLOG#<meeting_id>    | <event_ts, 13 digits>#<identity> |

The key is the delivery's identity (`lectern.zoom.webhook.event_identity`: event name, meeting
instance, participant, time), so Zoom's retries of one event overwrite one item: duplicates
collapse here, and consumers are idempotent on the same identity. GSI1 lists a meeting's
deliveries in event-time order (events without a meeting, e.g. `app_deauthorized`, are not in
it). Items expire after `RAW_TTL_DAYS`, well beyond Zoom's retry window (hours).
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from lectern.data.base import TableItem

RAW_TTL_DAYS = 7


class ZoomWebhookItem(TableItem, discriminator="ZoomWebhook"):
    identity = UnicodeAttribute()
    event = UnicodeAttribute()  # Zoom's event name, e.g. meeting.participant_joined
    event_ts = NumberAttribute()  # Zoom's event_ts (ms since the epoch)
    meeting_id = UnicodeAttribute(null=True)  # payload.object.id
    raw = UnicodeAttribute()  # the body exactly as received (UTF-8), the signature covers it
    received_at = UTCDateTimeAttribute()

    @staticmethod
    def key(identity: str) -> tuple[str, str]:
        return f"ZOOMEVT#{identity}", "RAW"

    @staticmethod
    def log_key(meeting_id: str, event_ts: int, identity: str) -> tuple[str, str]:
        """GSI1: a meeting's deliveries in event-time order (zero-padded ms sort as text)."""
        return f"ZOOMLOG#{meeting_id}", f"{event_ts:013d}#{identity}"
