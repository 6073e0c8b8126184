"""Public check of a discount code before registering (spec-review H4). Rate-limited per IP
against guessing: 20 wrong codes in 15 minutes → 429 with Retry-After."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from lectern.deps import default_deps
from lectern.discounts import service
from lectern.discounts.pricing import from_minor
from lectern.http import errors, request_meta
from lectern.schemas import UUIDPath

from functions.registrations.schemas.discounts import DiscountValidateOut, DiscountValidateRequest

router = Router()
TAGS = ["discount-codes"]


@router.post(
    "/events/<event_id>/discount-codes/validate",
    summary="Check a discount code for a public event and see the discounted price",
    description=(
        "422 naming `code` with a reason code in details: `unknown_code`, `not_yet_valid`, "
        "`expired`, `exhausted`. Too many wrong codes from one address → 429 with Retry-After."
    ),
    tags=TAGS,
    openapi_extensions=errors("429"),
)
def validate_code(
    event_id: Annotated[UUIDPath, Path()], body: DiscountValidateRequest
) -> DiscountValidateOut:
    v = service.validate(
        event_id=str(event_id), code=body.code, meta=request_meta(router), deps=default_deps()
    )
    return DiscountValidateOut(
        valid=True,
        code=v.code,
        kind=v.kind,  # type: ignore[arg-type]
        amount=float(v.amount),
        price=from_minor(v.price_minor),
        discounted_price=from_minor(v.discounted_minor),
        currency=v.currency,
    )
