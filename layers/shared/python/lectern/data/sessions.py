"""Event sessions (spec-review C2).

| entity        | PK               | SK                     |
|---------------|------------------|------------------------|
| EventSession  | EVENT#<event_id> | SESSION#<session_id>   |

Sessions live in their event's partition, so the event and all its sessions come back from one
Query (`PK = EVENT#id, SK BETWEEN "EVENT" AND "SESSION$"`: `CODE#…` and `EMAIL#…` sort before
`EVENT`, `SESSION#…` after it). A single-session event has no EventSession items: it is
treated as one *virtual* session whose id is the event id (lectern.events.sessions_view), so
attendance has one code path.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from lectern.data.base import TableItem

SESSION_STATUSES = ("scheduled", "live", "completed", "cancelled")


class EventSessionItem(TableItem, discriminator="EventSession"):
    session_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()  # the event's organiser: tenant checks need no second read
    title = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    starts_at = UTCDateTimeAttribute()
    ends_at = UTCDateTimeAttribute()
    cpd_hours = NumberAttribute(null=True)  # None: not set (a certificate then shows none for it)
    status = UnicodeAttribute(default="scheduled")  # scheduled | live | completed | cancelled
    zoom_meeting_id = UnicodeAttribute(null=True)
    zoom_join_url = UnicodeAttribute(null=True)
    started_at = UTCDateTimeAttribute(null=True)
    completed_at = UTCDateTimeAttribute(null=True)
    revision = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()

    @staticmethod
    def key(event_id: str, session_id: str) -> tuple[str, str]:
        return f"EVENT#{event_id}", f"SESSION#{session_id}"
