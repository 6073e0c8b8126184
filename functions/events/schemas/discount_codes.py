"""Request/response models of the organiser's discount-code routes."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from lectern.schemas import Request, Response
from pydantic import AwareDatetime, Field, field_validator

CodeText = Annotated[
    str,
    Field(
        min_length=3,
        max_length=32,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="3-32 letters, digits, '-' or '_'; unique per event regardless of case",
    ),
]
Kind = Literal["percent", "fixed"]
Amount = Annotated[
    Decimal,
    Field(
        gt=0,
        max_digits=12,
        decimal_places=2,
        description="percent: a whole number 1-100; fixed: an amount in the event's currency (2 decimals)",
    ),
]
MaxUses = Annotated[int, Field(ge=1, le=1_000_000, description="null = unlimited")]


class DiscountCodeCreate(Request):
    code: CodeText
    kind: Kind
    amount: Amount
    max_uses: MaxUses | None = None
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None


class DiscountCodeUpdate(Request):
    """Only the fields sent change; `max_uses`, `valid_from`, `valid_until` may be null (no limit).
    A new `code` text keeps the code's uuid and its used_count."""

    code: CodeText | None = None
    kind: Kind | None = None
    amount: Amount | None = None
    max_uses: MaxUses | None = None
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None

    @field_validator("code", "kind", "amount")
    @classmethod
    def _not_null(cls, v: Any) -> Any:
        if v is None:
            raise ValueError("may not be null")
        return v


class DiscountCodeOut(Response):
    uuid: str
    code: str
    kind: Kind
    amount: float = Field(description="percent (1-100) or an amount in `currency`")
    currency: str
    max_uses: int | None
    used_count: int
    valid_from: datetime | None
    valid_until: datetime | None
    created_at: datetime
    updated_at: datetime


class DiscountCodePage(Response):
    items: list[DiscountCodeOut]
    next_cursor: str | None
