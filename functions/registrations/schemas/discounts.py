"""Request/response models of the public discount-code check."""

from typing import Literal

from lectern.schemas import Request, Response
from pydantic import Field


class DiscountValidateRequest(Request):
    code: str = Field(min_length=1, max_length=64)


class DiscountValidateOut(Response):
    valid: bool
    code: str = Field(description="the code as the organiser wrote it")
    kind: Literal["percent", "fixed"]
    amount: float = Field(description="percent (1-100) or an amount in `currency`")
    price: float = Field(description="the event's price")
    discounted_price: float = Field(description="the price with this code")
    currency: str
