"""Request/response models of attendance: per-session results, the per-event aggregate with
explanations, overrides (spec-review H3), unmatched participants, manual bulk entry."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from lectern.schemas import Request, Response
from pydantic import Field, StringConstraints

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class Segment(Response):
    start: datetime
    end: datetime


class SessionAttendanceOut(Response):
    session_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    status: str = Field(description="scheduled | live | completed | cancelled")
    required: bool
    scheduled_minutes: int
    attended_minutes: int
    attended: bool = Field(description="met the per-session threshold (minimum_attendance_percent)")
    first_join_at: datetime | None
    last_leave_at: datetime | None
    segments: list[Segment] = Field(description="merged, clipped to the scheduled window")


class OverrideOut(Response):
    eligible: bool
    reason: str
    by: str = Field(description="the organiser's user uuid")
    at: datetime | None


class AttendanceOut(Response):
    registration: str = Field(description="the registration's uuid")
    email: str
    full_name: str
    status: str
    total_attendance_minutes: int
    attendance_percent: float = Field(description="percent of the scheduled time the rule counts")
    sessions_attended: int
    sessions_counted: int = Field(description="the rule's denominator (scheduled or required sessions)")
    first_join_at: datetime | None
    last_leave_at: datetime | None
    computed_eligible: bool = Field(description="what the attendance rule says")
    eligible: bool = Field(description="what counts: the override when there is one, else computed_eligible")
    explanation: str = Field(description="a sentence saying why")
    override: OverrideOut | None
    sessions: list[SessionAttendanceOut]


class AggregatePage(Response):
    event: str
    completion_rule: str = Field(description="the event's rule in words")
    items: list[AttendanceOut]
    next_cursor: str | None


class OverrideRequest(Request):
    eligible: bool = Field(description="true: eligible whatever the attendance; false: never eligible")
    reason: Reason


class UnmatchedOut(Response):
    uuid: str = Field(description="the participant's review id (use it to assign)")
    name: str
    email: str
    sessions: list[str] = Field(description="session uuids the participant was seen in")
    first_seen_at: datetime
    last_seen_at: datetime
    observations: int = Field(description="joins and leaves recorded")
    assigned_registration: str | None
    assigned_by: str | None
    assigned_at: datetime | None


class UnmatchedPage(Response):
    items: list[UnmatchedOut]
    next_cursor: str | None


class AssignRequest(Request):
    registration: uuid.UUID = Field(description="uuid of a confirmed registration of this event")


class AssignOut(Response):
    participant: UnmatchedOut
    attendance: AttendanceOut
    observations_moved: int


class ManualEntryIn(Request):
    registration_id: uuid.UUID
    session_id: uuid.UUID | None = Field(default=None, description="required for a multi-session event")
    minutes: int = Field(ge=0, le=24 * 60, description="attended minutes (0 removes the manual entry)")


class BulkAttendanceRequest(Request):
    entries: list[ManualEntryIn] = Field(min_length=1, max_length=200)


class EntryResultOut(Response):
    index: int
    registration_id: str
    session_id: str | None
    minutes: int
    status: Literal["would_update", "updated", "skipped"]
    reason: str


class BulkAttendanceOut(Response):
    dry_run: bool
    updated: int
    skipped: int
    results: list[EntryResultOut]


class SessionCompletedOut(Response):
    session: str
    event: str
    status: str
    completed_at: datetime | None
    event_status: str
    event_completed: bool
    registrations_recomputed: int
