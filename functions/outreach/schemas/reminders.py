"""Request/response models of an event's reminders."""

from datetime import datetime
from typing import Annotated, Any, Literal

from lectern.reminders.service import MAX_OFFSET_MINUTES
from lectern.schemas import Request, Response
from pydantic import Field, field_validator

Anchor = Annotated[
    Literal["before_start", "after_end"],
    Field(description="before_start: offset before the event starts; after_end: offset after it ends"),
]
Offset = Annotated[
    int,
    Field(
        ge=0,
        le=MAX_OFFSET_MINUTES,
        description="Minutes from the anchor (e.g. 1440 = 24 h, 60 = 1 h); at most 60 days. "
        "Unique per event and anchor.",
    ),
]
Subject = Annotated[str, Field(min_length=1, max_length=200, description="null: a default subject")]
Message = Annotated[str, Field(min_length=1, max_length=5000, description="null: a default message")]
Status = Literal["scheduled", "sent", "missed", "cancelled"]


class ReminderCreate(Request):
    anchor: Anchor
    offset_minutes: Offset
    subject: Subject | None = None
    message: Message | None = None


class ReminderUpdate(Request):
    """Only the fields sent change; subject/message may be null (back to the default). A new
    anchor or offset re-arms the reminder for its new time (sent again even if sent before)."""

    anchor: Anchor | None = None
    offset_minutes: Offset | None = None
    subject: Subject | None = None
    message: Message | None = None

    @field_validator("anchor", "offset_minutes")
    @classmethod
    def _not_null(cls, v: Any) -> Any:
        if v is None:
            raise ValueError("may not be null")
        return v


class ReminderSummaryOut(Response):
    """A reminder in a list (lighter than the detail: no subject or message)."""

    uuid: str
    anchor: str
    offset_minutes: int
    due_at: datetime
    status: Status


class ReminderOut(ReminderSummaryOut):
    event: str = Field(description="the event's uuid")
    subject: str | None
    message: str | None
    sent_at: datetime | None = Field(description="when the last round was completed")
    sent_count: int = Field(description="mails of the last completed round")
    created_at: datetime
    updated_at: datetime


class ReminderPage(Response):
    items: list[ReminderSummaryOut]
    next_cursor: str | None


class RecipientLineOut(Response):
    registration_id: str
    email: str
    full_name: str
    included: bool
    reason: Literal["confirmed", "waitlisted", "pending_payment", "suppressed"] = Field(
        description="confirmed: included; otherwise why not (only confirmed registrants are reminded; "
        "suppressed = the address bounced or complained)"
    )


class ReminderPreviewOut(Response):
    """`?dry_run=true`: nothing is written; who would get the reminder if it were sent now."""

    dry_run: Literal[True] = True
    due_at: datetime
    recipients: int = Field(description="exact count of mails it would send now")
    skipped: int
    results: list[RecipientLineOut] = Field(description="included first; at most 1,000 lines")
    truncated: bool
