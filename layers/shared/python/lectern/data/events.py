"""Event entities.

| entity     | PK                 | SK               | GSI1PK / GSI1SK                                   |
|------------|--------------------|------------------|---------------------------------------------------|
| Event      | EVENT#<event_id>   | EVENT            | OWNER#<owner_id>#EVENTS / <starts_at UTC>#<id>    |
| EventSlug  | OWNER#<owner_id>   | SLUG#<slug>      | —                                                 |
| CalendarFeed | CALFEED#<sha256(token)> | FEED    | —                                                 |
| CalendarFeedPointer | USER#<user_id> | CALFEED   | —                                                 |

The event item also carries the registration counters (`confirmed_count`,
`waitlisted_count`) that the registration transactions keep honest with conditions, and its
custom registration fields (a short list, so registering reads the event and its fields in one
GetItem).
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from lectern.data.base import TableItem


class EventItem(TableItem, discriminator="Event"):
    event_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    title = UnicodeAttribute()
    slug = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    starts_at = UTCDateTimeAttribute()
    ends_at = UTCDateTimeAttribute()
    timezone = UnicodeAttribute(default="UTC")
    format = UnicodeAttribute(default="online")  # online | in_person | hybrid
    location = UnicodeAttribute(default="")
    capacity = NumberAttribute(null=True)  # None = unlimited
    waitlist_enabled = BooleanAttribute(default=False)
    waitlist_auto_promote = BooleanAttribute(default=True)
    registration_opens_at = UTCDateTimeAttribute(null=True)
    registration_closes_at = UTCDateTimeAttribute(null=True)
    price_minor = NumberAttribute(default=0)  # in the currency's minor unit; 0 = free
    currency = UnicodeAttribute(default="GBP")
    cpd_hours = NumberAttribute(default=0)
    cpd_category = UnicodeAttribute(default="")
    certificate_template_id = UnicodeAttribute(null=True)
    auto_issue_certificates = BooleanAttribute(default=True)
    minimum_attendance_percent = NumberAttribute(default=80)
    status = UnicodeAttribute(default="draft")  # draft | published | live | completed | cancelled
    is_multi_session = BooleanAttribute(default=False)
    completion_type = UnicodeAttribute(default="minimum_sessions")  # | percentage | all_required
    minimum_sessions_required = NumberAttribute(null=True)
    minimum_attendance_percent_total = NumberAttribute(null=True)
    required_sessions = ListAttribute(of=UnicodeAttribute, default=list)
    # A single-session event's Zoom meeting (a multi-session event's are on its sessions).
    zoom_meeting_id = UnicodeAttribute(null=True)
    zoom_join_url = UnicodeAttribute(null=True)
    zoom_status = UnicodeAttribute(null=True)  # None | created | local | not_connected | failed
    started_at = UTCDateTimeAttribute(null=True)
    completed_at = UTCDateTimeAttribute(null=True)
    custom_fields = JSONAttribute(default=list)  # [{field_id, label, type, required, options, ...}]
    confirmed_count = NumberAttribute(default=0)
    waitlisted_count = NumberAttribute(default=0)
    revision = NumberAttribute(default=0)  # optimistic concurrency for edits
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    published_at = UTCDateTimeAttribute(null=True)
    cancelled_at = UTCDateTimeAttribute(null=True)

    @staticmethod
    def key(event_id: str) -> tuple[str, str]:
        return f"EVENT#{event_id}", "EVENT"

    @staticmethod
    def owner_index(owner_id: str, starts_at_iso: str, event_id: str) -> tuple[str, str]:
        return f"OWNER#{owner_id}#EVENTS", f"{starts_at_iso}#{event_id}"


class EventSlugItem(TableItem, discriminator="EventSlug"):
    """Makes a slug unique per owner: written with attribute_not_exists in the event's transaction."""

    event_id = UnicodeAttribute()

    @staticmethod
    def key(owner_id: str, slug: str) -> tuple[str, str]:
        return f"OWNER#{owner_id}", f"SLUG#{slug}"


class CalendarFeedItem(TableItem, discriminator="CalendarFeed"):
    """A personal, revocable iCalendar feed: the secret token (hashed in the key) → its user."""

    user_id = UnicodeAttribute()

    @staticmethod
    def key(token_hash: str) -> tuple[str, str]:
        return f"CALFEED#{token_hash}", "FEED"


class CalendarFeedPointerItem(TableItem, discriminator="CalendarFeedPointer"):
    """The user's current feed token, in the user's partition (`USER#<user_id>` / `CALFEED`), so
    `GET /users/me/calendar-feed` can show the same URL again and rotating knows which
    `CalendarFeedItem` to delete. At most one per user."""

    user_id = UnicodeAttribute()
    token = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()

    @staticmethod
    def key(user_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", "CALFEED"
