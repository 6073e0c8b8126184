"""Zoom entities: which meeting belongs to which session, which registrant to which registration.

| entity         | PK                     | SK                          |
|----------------|------------------------|-----------------------------|
| ZoomMeeting    | ZOOMMTG#<meeting_id>   | MEETING                     |
| ZoomRegistrant | ZOOMMTG#<meeting_id>   | REGISTRANT#<registrant_id>  |

Both sit in the meeting's partition so a participant webhook resolves its session and its
registration in one BatchGetItem. (The organiser's OAuth connection lives in `zoom_connection`
entities added with the connection flow.)
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, UTCDateTimeAttribute

from lectern.data.base import TableItem


class ZoomMeetingItem(TableItem, discriminator="ZoomMeeting"):
    meeting_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    session_id = UnicodeAttribute()  # = event_id for a single-session event (its virtual session)
    owner_id = UnicodeAttribute()
    kind = UnicodeAttribute(default="meeting")  # meeting | webinar
    join_url = UnicodeAttribute(default="")
    local = BooleanAttribute(default=False)  # a local id (no Zoom credentials), not a real meeting
    created_at = UTCDateTimeAttribute()

    @staticmethod
    def key(meeting_id: str) -> tuple[str, str]:
        return f"ZOOMMTG#{meeting_id}", "MEETING"


class ZoomRegistrantItem(TableItem, discriminator="ZoomRegistrant"):
    registrant_id = UnicodeAttribute()
    meeting_id = UnicodeAttribute()
    registration_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    session_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()

    @staticmethod
    def key(meeting_id: str, registrant_id: str) -> tuple[str, str]:
        return f"ZOOMMTG#{meeting_id}", f"REGISTRANT#{registrant_id}"
