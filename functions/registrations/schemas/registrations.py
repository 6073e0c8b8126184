"""Request/response models of registrations (field names as in the model — spec-review C4)."""

from datetime import datetime
from typing import Annotated, Any, Literal

from lectern.registrations.model import Registration
from lectern.schemas import Email, Name, OpaqueToken, OptionalText, Request, Response
from pydantic import Field

Answers = Annotated[
    dict[Annotated[str, Field(max_length=64)], Any],
    Field(max_length=100, description="Answers to the event's custom fields: {field uuid: value}"),
]
Code = Annotated[str, Field(min_length=1, max_length=64)]
Status = Literal["confirmed", "waitlisted", "pending_payment", "cancelled"]


class RegisterRequest(Request):
    email: Email | None = Field(
        default=None, description="Required for guests; defaults to the account's when signed in"
    )
    full_name: Name
    professional_title: OptionalText = ""
    organization_name: OptionalText = ""
    custom_answers: Answers = Field(default_factory=dict)
    discount_code: Code | None = None
    invitation_token: OpaqueToken | None = Field(
        default=None,
        description="The `token=` of an invitation link: `email` must be the invited address (or omitted)",
    )


class CancelByLinkRequest(Request):
    token: OpaqueToken


class RegistrationUpdate(Request):
    full_name: Name | None = None
    professional_title: OptionalText | None = None
    organization_name: OptionalText | None = None
    custom_answers: Answers | None = None


class SessionJoinOut(Response):
    session_id: str = Field(description="The event session (a single-session event's id for its one session)")
    registrant_id: str = Field(description="The Zoom registrant id (local-… without Zoom credentials)")
    join_url: str = Field(description="The registrant's personal Zoom join link")


class RegistrationOut(Response):
    uuid: str
    event: str = Field(description="The event's uuid")
    user: str | None = Field(description="The account's uuid; null for a guest registration not yet linked")
    email: str
    full_name: str
    professional_title: str
    organization_name: str
    status: Status
    waitlist_position: int | None = Field(description="1-based, while waitlisted")
    custom_answers: dict[str, Any]
    discount_code_used: str | None
    amount_paid: float = Field(description="Decimal amount with 2 places")
    currency: str
    first_join_at: datetime | None
    last_leave_at: datetime | None
    total_attendance_minutes: int
    attendance_eligible: bool | None
    attendance_override: bool | None
    attendance_override_by: str | None
    attendance_override_reason: str | None
    promoted_from_waitlist_at: datetime | None
    cancelled_at: datetime | None
    cancelled_by: str | None
    created_at: datetime
    updated_at: datetime
    zoom_registrant_id: str | None = Field(default=None, description="The first session's Zoom registrant")
    join_url: str | None = Field(default=None, description="The first session's personal Zoom join link")
    session_joins: list[SessionJoinOut] = Field(default_factory=list, description="Every session's join link")


class RegistrationPage(Response):
    items: list[RegistrationOut]
    next_cursor: str | None = None


class MyRegistrationOut(RegistrationOut):
    event_title: str | None
    event_starts_at: datetime | None


class MyRegistrationPage(Response):
    items: list[MyRegistrationOut]
    next_cursor: str | None = None


class LinkableOut(Response):
    items: list[RegistrationOut]


class LinkedOut(Response):
    linked: int
    items: list[RegistrationOut]


def _session_joins(r: Registration) -> list[SessionJoinOut]:
    """zoom_joins in session start order."""
    joins = sorted(r.zoom_joins.items(), key=lambda kv: (str(kv[1].get("starts_at") or ""), kv[0]))
    return [
        SessionJoinOut(
            session_id=sid,
            registrant_id=str(j.get("registrant_id") or ""),
            join_url=str(j.get("join_url") or ""),
        )
        for sid, j in joins
    ]


def _fields(r: Registration) -> dict[str, Any]:
    joins = _session_joins(r)
    return {
        "uuid": r.registration_id,
        "event": r.event_id,
        "user": r.user_id,
        "email": r.email,
        "full_name": r.full_name,
        "professional_title": r.professional_title,
        "organization_name": r.organization_name,
        "status": r.status,
        "waitlist_position": r.waitlist_position,
        "custom_answers": r.custom_answers,
        "discount_code_used": r.discount_code_used,
        "amount_paid": round(r.amount_paid_minor / 100, 2),
        "currency": r.currency,
        "first_join_at": r.first_join_at,
        "last_leave_at": r.last_leave_at,
        "total_attendance_minutes": r.total_attendance_minutes,
        "attendance_eligible": r.attendance_eligible,
        "attendance_override": r.attendance_override,
        "attendance_override_by": r.attendance_override_by,
        "attendance_override_reason": r.attendance_override_reason,
        "promoted_from_waitlist_at": r.promoted_from_waitlist_at,
        "cancelled_at": r.cancelled_at,
        "cancelled_by": r.cancelled_by,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "zoom_registrant_id": joins[0].registrant_id if joins else None,
        "join_url": joins[0].join_url if joins else None,
        "session_joins": joins,
    }


def registration_out(r: Registration) -> RegistrationOut:
    return RegistrationOut(**_fields(r))


def my_registration_out(r: Registration) -> MyRegistrationOut:
    return MyRegistrationOut(**_fields(r), event_title=r.event_title, event_starts_at=r.event_starts_at)
