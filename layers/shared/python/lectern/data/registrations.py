"""Registration entities.

- Registration: PK `REG#<registration_id>`, SK `REG`;
  GSI1 `EVENT#<event_id>#REGS` / `<id>` (the event's registrations);
  GSI2 `USER#<user_id>#REGS` / `<id>`, or `GUEST#<email>#REGS` / `<id>` while unlinked;
  GSI3 `WAITLIST#<event_id>` / `<id>` only while waitlisted (sparse).
- RegistrationEmail: PK `EVENT#<event_id>`, SK `EMAIL#<email>`.

Ids are UUIDv7, so `<id>` sort keys are creation order: the waitlist index lists the oldest
waitlisted registration first and a position is a COUNT of the keys before one's own.
`RegistrationEmail` makes one *active* registration per email per event (deleted on cancel).
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from lectern.data.base import TableItem

ACTIVE_STATUSES = ("confirmed", "waitlisted", "pending_payment")


class RegistrationItem(TableItem, discriminator="Registration"):
    registration_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()  # the event's organiser: tenant checks need no second read
    user_id = UnicodeAttribute(null=True)  # None for a guest until linked (spec-review C5)
    email = UnicodeAttribute()
    full_name = UnicodeAttribute()
    professional_title = UnicodeAttribute(default="")
    organization_name = UnicodeAttribute(default="")
    status = UnicodeAttribute()  # confirmed | waitlisted | pending_payment | cancelled
    custom_answers = JSONAttribute(default=dict)  # {field_id: {"label": ..., "value": ...}}
    discount_code_used = UnicodeAttribute(null=True)
    amount_paid_minor = NumberAttribute(default=0)
    currency = UnicodeAttribute(default="GBP")
    first_join_at = UTCDateTimeAttribute(null=True)
    last_leave_at = UTCDateTimeAttribute(null=True)
    total_attendance_minutes = NumberAttribute(default=0)
    attendance_eligible = BooleanAttribute(null=True)
    attendance_override = BooleanAttribute(null=True)
    attendance_override_by = UnicodeAttribute(null=True)
    attendance_override_reason = UnicodeAttribute(null=True)
    attendance_override_at = UTCDateTimeAttribute(null=True)
    attendance_percent = NumberAttribute(default=0)
    sessions_attended = NumberAttribute(default=0)
    attendance_explanation = UnicodeAttribute(default="")
    # {session_id: {"seconds", "minutes", "first_join_at", "last_leave_at", "segments", "attended"}}
    session_attendance = JSONAttribute(default=dict)
    attendance_version = NumberAttribute(default=0)  # condition of every attendance recompute
    # Zoom registrants, one per session meeting: {session_id: {"registrant_id", "join_url"}}
    # (a single-session event's one entry is keyed by the event id).
    zoom_joins = JSONAttribute(default=dict)
    promoted_from_waitlist_at = UTCDateTimeAttribute(null=True)
    cancelled_at = UTCDateTimeAttribute(null=True)
    cancelled_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()

    @staticmethod
    def key(registration_id: str) -> tuple[str, str]:
        return f"REG#{registration_id}", "REG"

    @staticmethod
    def event_index(event_id: str, registration_id: str) -> tuple[str, str]:
        return f"EVENT#{event_id}#REGS", registration_id

    @staticmethod
    def person_index(user_id: str | None, email: str, registration_id: str) -> tuple[str, str]:
        if user_id:
            return f"USER#{user_id}#REGS", registration_id
        return f"GUEST#{email}#REGS", registration_id

    @staticmethod
    def waitlist_index(event_id: str, registration_id: str) -> tuple[str, str]:
        return f"WAITLIST#{event_id}", registration_id


class RegistrationEmailItem(TableItem, discriminator="RegistrationEmail"):
    registration_id = UnicodeAttribute()

    @staticmethod
    def key(event_id: str, email: str) -> tuple[str, str]:
        return f"EVENT#{event_id}", f"EMAIL#{email}"
