"""Request/response models of the organiser's events and the public event page."""

import zoneinfo
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from lectern.events.currencies import is_currency
from lectern.events.slugs import MAX_LENGTH as SLUG_MAX
from lectern.schemas import LongText, Name, OptionalText, Request, Response
from pydantic import AwareDatetime, Field, field_validator

from functions.events.schemas.custom_fields import EventFieldOut

Format = Literal["online", "in_person", "hybrid"]
CompletionType = Literal["minimum_sessions", "percentage", "all_required"]
Status = Literal["draft", "published", "live", "completed", "cancelled"]
Slug = Annotated[
    str,
    Field(
        min_length=1,
        max_length=SLUG_MAX,
        pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
        description="Lower-case ASCII words joined by hyphens",
    ),
]
Price = Annotated[Decimal, Field(ge=0, le=1_000_000, max_digits=9, decimal_places=2, description="0 = free")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. GBP")]
CpdHours = Annotated[Decimal, Field(ge=0, le=1000, max_digits=6, decimal_places=2)]
Percent = Annotated[int, Field(ge=0, le=100)]
Capacity = Annotated[int, Field(ge=1, le=1_000_000, description="null = unlimited")]
Location = Annotated[str, Field(max_length=500)]
Timezone = Annotated[str, Field(min_length=1, max_length=64, description="IANA timezone, e.g. Europe/London")]


def _currency(v: str | None) -> str | None:
    if v is not None and not is_currency(v):
        raise ValueError("must be an ISO 4217 currency code such as GBP, EUR or USD")
    return v


def _iana(v: str | None) -> str | None:
    if v is None:
        return v
    try:
        zoneinfo.ZoneInfo(v)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("must be an IANA timezone such as Europe/London") from exc
    return v


class EventCreate(Request):
    title: Name
    slug: Slug | None = Field(default=None, description="Generated from the title when omitted")
    description: LongText = ""
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    timezone: Timezone = "UTC"
    format: Format = "online"
    location: Location = ""
    capacity: Capacity | None = None
    waitlist_enabled: bool = False
    waitlist_auto_promote: bool = True
    registration_opens_at: AwareDatetime | None = None
    registration_closes_at: AwareDatetime | None = None
    price: Price = Decimal("0")
    currency: Currency = "GBP"
    cpd_hours: CpdHours = Decimal("0")
    cpd_category: OptionalText = ""
    certificate_template: UUID | None = Field(
        default=None, description="One of your certificate templates (null: the built-in layout)"
    )
    auto_issue_certificates: bool = True
    minimum_attendance_percent: Percent = 80
    is_multi_session: bool = False
    completion_type: CompletionType = "minimum_sessions"
    minimum_sessions_required: Annotated[int, Field(ge=1, le=1000)] | None = None
    minimum_attendance_percent_total: Percent | None = None
    required_sessions: list[UUID] = Field(default_factory=list, max_length=100)

    _tz = field_validator("timezone")(classmethod(lambda cls, v: _iana(v)))
    _cur = field_validator("currency")(classmethod(lambda cls, v: _currency(v)))


class EventUpdate(Request):
    """Only the fields sent change. `revision` (from the last read) makes the edit conditional:
    409 `edit_conflict` if the event changed since."""

    revision: int | None = Field(default=None, ge=0, description="The revision you read; 409 if it changed")
    title: Name | None = None
    slug: Slug | None = None
    description: LongText | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    timezone: Timezone | None = None
    format: Format | None = None
    location: Location | None = None
    capacity: Capacity | None = None
    waitlist_enabled: bool | None = None
    waitlist_auto_promote: bool | None = None
    registration_opens_at: AwareDatetime | None = None
    registration_closes_at: AwareDatetime | None = None
    price: Price | None = None
    currency: Currency | None = None
    cpd_hours: CpdHours | None = None
    cpd_category: OptionalText | None = None
    certificate_template: UUID | None = None
    auto_issue_certificates: bool | None = None
    minimum_attendance_percent: Percent | None = None
    is_multi_session: bool | None = None
    completion_type: CompletionType | None = None
    minimum_sessions_required: Annotated[int, Field(ge=1, le=1000)] | None = None
    minimum_attendance_percent_total: Percent | None = None
    required_sessions: list[UUID] | None = Field(default=None, max_length=100)

    _tz = field_validator("timezone")(classmethod(lambda cls, v: _iana(v)))
    _cur = field_validator("currency")(classmethod(lambda cls, v: _currency(v)))

    @field_validator(
        "title",
        "slug",
        "description",
        "starts_at",
        "ends_at",
        "timezone",
        "format",
        "location",
        "waitlist_enabled",
        "waitlist_auto_promote",
        "price",
        "currency",
        "cpd_hours",
        "cpd_category",
        "auto_issue_certificates",
        "minimum_attendance_percent",
        "is_multi_session",
        "completion_type",
        "required_sessions",
    )
    @classmethod
    def _not_null(cls, v: Any) -> Any:
        if v is None:
            raise ValueError("cannot be null")
        return v

    def changes(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.model_fields_set if k != "revision"}


class EventSummaryOut(Response):
    """An event in a list (lighter than the detail)."""

    uuid: str
    title: str
    slug: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    format: str
    status: Status
    capacity: int | None
    confirmed_count: int
    waitlisted_count: int
    price: float
    currency: str
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class EventOut(EventSummaryOut):
    description: str
    location: str
    waitlist_enabled: bool
    waitlist_auto_promote: bool
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    cpd_hours: float
    cpd_category: str
    certificate_template: str | None
    auto_issue_certificates: bool
    minimum_attendance_percent: int
    is_multi_session: bool
    completion_type: str
    minimum_sessions_required: int | None
    minimum_attendance_percent_total: int | None
    required_sessions: list[str]
    custom_fields: list[EventFieldOut]
    revision: int
    cancelled_at: datetime | None
    zoom_meeting_id: str | None = Field(
        default=None, description="A single-session event's Zoom meeting (sessions carry their own)"
    )
    zoom_join_url: str | None = None
    zoom_status: Literal["created", "local", "not_connected", "failed"] | None = Field(
        default=None,
        description="local: no Zoom app (local ids); not_connected: connect Zoom to create the meetings",
    )


class EventPage(Response):
    items: list[EventSummaryOut]
    next_cursor: str | None = None


class PublicEventOut(Response):
    """What anyone may see of a published event: no owner, no counters beyond `spots_left`."""

    uuid: str
    title: str
    slug: str
    description: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    format: str
    location: str
    status: Status
    capacity: int | None
    spots_left: int | None = Field(description="null when the capacity is unlimited")
    waitlist_enabled: bool
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    price: float
    currency: str
    cpd_hours: float
    cpd_category: str
    is_multi_session: bool
    custom_fields: list[EventFieldOut]
    published_at: datetime | None
    calendar_url: str
