"""What the registration use cases return: a registration as the API shows it (spec-review C4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lectern.data.registrations import RegistrationItem


@dataclass(frozen=True)
class Registration:
    registration_id: str
    event_id: str
    user_id: str | None
    email: str
    full_name: str
    professional_title: str
    organization_name: str
    status: str
    waitlist_position: int | None
    custom_answers: dict[str, Any]
    discount_code_used: str | None
    amount_paid_minor: int
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
    event_title: str | None = None
    event_starts_at: datetime | None = None
    # Zoom registrants: {session_id: {"registrant_id", "join_url", "meeting_id", "starts_at"}}
    zoom_joins: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        i: RegistrationItem,
        position: int | None = None,
        event_title: str | None = None,
        event_starts_at: datetime | None = None,
    ) -> Registration:
        answers = i.custom_answers
        if hasattr(answers, "as_dict"):
            answers = answers.as_dict()
        return cls(
            registration_id=i.registration_id,
            event_id=i.event_id,
            user_id=i.user_id,
            email=i.email,
            full_name=i.full_name,
            professional_title=i.professional_title or "",
            organization_name=i.organization_name or "",
            status=i.status,
            waitlist_position=position if i.status == "waitlisted" else None,
            custom_answers=dict(answers or {}),
            discount_code_used=i.discount_code_used,
            amount_paid_minor=int(i.amount_paid_minor or 0),
            currency=i.currency or "GBP",
            first_join_at=i.first_join_at,
            last_leave_at=i.last_leave_at,
            total_attendance_minutes=int(i.total_attendance_minutes or 0),
            attendance_eligible=i.attendance_eligible,
            attendance_override=i.attendance_override,
            attendance_override_by=i.attendance_override_by,
            attendance_override_reason=i.attendance_override_reason,
            promoted_from_waitlist_at=i.promoted_from_waitlist_at,
            cancelled_at=i.cancelled_at,
            cancelled_by=i.cancelled_by,
            created_at=i.created_at,
            updated_at=i.updated_at,
            event_title=event_title,
            event_starts_at=event_starts_at,
            zoom_joins=dict(i.zoom_joins or {}),
        )
