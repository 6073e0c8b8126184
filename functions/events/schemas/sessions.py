"""Request/response models of a multi-session event's sessions."""

from datetime import datetime
from typing import Any, Literal

from lectern.schemas import LongText, Name, Request, Response
from pydantic import AwareDatetime, Field, field_validator

from functions.events.schemas.events import CpdHours

SessionStatus = Literal["scheduled", "live", "completed", "cancelled"]


class EventSessionCreate(Request):
    """A session lies within its event's starts_at..ends_at and lasts at most 24 hours."""

    title: Name
    description: LongText = ""
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    cpd_hours: CpdHours | None = Field(
        default=None, description="CPD hours this session earns; null = not set"
    )


class EventSessionUpdate(Request):
    """Only the fields sent change; `cpd_hours` may be null. A live or completed session keeps its
    times. `revision` (from the last read) makes the edit conditional: 409 `edit_conflict` if the
    session changed since."""

    revision: int | None = Field(default=None, ge=0, description="The revision you read; 409 if it changed")
    title: Name | None = None
    description: LongText | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    cpd_hours: CpdHours | None = None

    @field_validator("title", "description", "starts_at", "ends_at")
    @classmethod
    def _not_null(cls, v: Any) -> Any:
        if v is None:
            raise ValueError("cannot be null")
        return v

    def changes(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.model_fields_set if k != "revision"}


class EventSessionSummaryOut(Response):
    """A session in a list (lighter than the detail)."""

    uuid: str
    event: str = Field(description="The event's uuid")
    title: str
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus
    cpd_hours: float | None
    required: bool = Field(description="Named in the event's required_sessions (single-session: always)")
    virtual: bool = Field(
        description="A single-session event's one session: the event itself (uuid = the event's uuid)"
    )


class EventSessionOut(EventSessionSummaryOut):
    description: str
    zoom_meeting_id: str | None
    zoom_join_url: str | None
    started_at: datetime | None
    completed_at: datetime | None
    revision: int
    created_at: datetime
    updated_at: datetime


class EventSessionPage(Response):
    items: list[EventSessionSummaryOut]
    next_cursor: str | None = None
