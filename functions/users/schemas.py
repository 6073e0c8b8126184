"""Request/response models of the users group (profile, sessions, CPD)."""

import zoneinfo
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from lectern.schemas import LongText, Name, OptionalText, Password, Request, Response
from pydantic import AnyHttpUrl, Field, field_validator

Hours = Annotated[Decimal, Field(gt=0, le=1000, max_digits=6, decimal_places=2)]
Category = Annotated[str, Field(min_length=1, max_length=100)]


class UserProfile(Response):
    uuid: str
    email: str
    full_name: str
    professional_title: str
    organization_name: str
    timezone: str
    email_verified: bool
    created_at: datetime
    updated_at: datetime


class ProfileUpdate(Request):
    full_name: Name | None = None
    professional_title: OptionalText | None = None
    organization_name: OptionalText | None = None
    timezone: str | None = Field(default=None, max_length=64, description="IANA timezone, e.g. Europe/London")

    @field_validator("timezone")
    @classmethod
    def _iana(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("must be an IANA timezone such as Europe/London") from exc
        return v


class ChangePasswordRequest(Request):
    current_password: Password
    new_password: Password


class SessionOut(Response):
    uuid: str
    device: str
    ip: str
    created_at: datetime
    last_used_at: datetime
    current: bool


class SessionPage(Response):
    items: list[SessionOut]
    next_cursor: str | None = None


class CpdRequirementCreate(Request):
    category: Category
    hours_required: Hours
    period: Literal["yearly"] = "yearly"
    period_start_month: int = Field(default=1, ge=1, le=12)

    @field_validator("category")
    @classmethod
    def _strip(cls, v: str) -> str:
        v = " ".join(v.split())
        if not v:
            raise ValueError("must not be blank")
        return v


class CpdRequirementUpdate(Request):
    category: Category | None = None
    hours_required: Hours | None = None
    period: Literal["yearly"] | None = None
    period_start_month: int | None = Field(default=None, ge=1, le=12)

    _strip = field_validator("category")(lambda cls, v: " ".join(v.split()) if v else v)


class CpdRequirementOut(Response):
    uuid: str
    category: str
    hours_required: float
    period: str
    period_start_month: int
    created_at: datetime
    updated_at: datetime


class CpdRequirementPage(Response):
    items: list[CpdRequirementOut]
    next_cursor: str | None = None


class CpdActivityCreate(Request):
    title: Name
    provider: OptionalText = ""
    category: Category
    hours: Hours
    completed_on: date
    notes: LongText = ""
    evidence_url: AnyHttpUrl | None = Field(default=None, description="Link to evidence (http/https)")


class CpdActivityUpdate(Request):
    title: Name | None = None
    provider: OptionalText | None = None
    category: Category | None = None
    hours: Hours | None = None
    completed_on: date | None = None
    notes: LongText | None = None
    evidence_url: AnyHttpUrl | None = None


class CpdActivityOut(Response):
    uuid: str
    title: str
    provider: str
    category: str
    hours: float
    completed_on: date
    notes: str
    evidence_url: str | None
    created_at: datetime
    updated_at: datetime


class CpdActivityPage(Response):
    items: list[CpdActivityOut]
    next_cursor: str | None = None


class RequirementProgressOut(Response):
    requirement: CpdRequirementOut
    period_start: date
    period_end: date
    hours_earned: float
    hours_remaining: float
    percent_complete: int
    met: bool


class CategoryPeriodOut(Response):
    category: str
    period_start: date
    period_end: date
    hours: float
    activities: int
    certificates: int
    activity_hours: float = Field(description="of `hours`: from self-logged activities")
    certificate_hours: float = Field(description="of `hours`: from valid Lectern certificates")


class CpdSummaryOut(Response):
    as_of: date
    total_hours_current_year: float
    requirements: list[RequirementProgressOut]
    categories: list[CategoryPeriodOut]
