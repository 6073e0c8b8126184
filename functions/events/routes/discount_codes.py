"""Discount codes of an event (organiser only; spec-review H4). The public check lives in the
registrations group (functions/registrations/routes/discount_validate.py)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from lectern.deps import default_deps
from lectern.discounts import service
from lectern.discounts.service import DiscountCode
from lectern.http import BEARER, CursorQuery, LimitQuery, errors, page_request, principal, request_meta
from lectern.schemas import UUIDPath

from functions.events.schemas.discount_codes import (
    DiscountCodeCreate,
    DiscountCodeOut,
    DiscountCodePage,
    DiscountCodeUpdate,
)

router = Router()
TAGS = ["discount-codes"]


def code_out(c: DiscountCode) -> DiscountCodeOut:
    return DiscountCodeOut(
        uuid=c.code_id,
        code=c.code,
        kind=c.kind,  # type: ignore[arg-type]
        amount=float(c.amount),
        currency=c.currency,
        max_uses=c.max_uses,
        used_count=c.used_count,
        valid_from=c.valid_from,
        valid_until=c.valid_until,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


@router.get(
    "/events/<event_id>/discount-codes",
    summary="List an event's discount codes (ordered by code)",
    tags=TAGS,
    security=BEARER,
)
def list_codes(
    event_id: Annotated[UUIDPath, Path()], limit: LimitQuery = 50, cursor: CursorQuery = None
) -> DiscountCodePage:
    page = service.list_codes(principal(router).user_id, str(event_id), page_request(limit, cursor))
    return DiscountCodePage(items=[code_out(c) for c in page.items], next_cursor=page.next_cursor)


@router.post(
    "/events/<event_id>/discount-codes",
    summary="Create a discount code (percent or fixed amount, optional max uses and validity window)",
    tags=TAGS,
    status_code=201,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def create_code(event_id: Annotated[UUIDPath, Path()], body: DiscountCodeCreate) -> DiscountCodeOut:
    c = service.create_code(
        owner_id=principal(router).user_id,
        event_id=str(event_id),
        code=body.code,
        kind=body.kind,
        amount=body.amount,
        max_uses=body.max_uses,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        meta=request_meta(router),
        deps=default_deps(),
    )
    return code_out(c)


@router.patch(
    "/events/<event_id>/discount-codes/<code_id>",
    summary="Change a discount code (a new code text keeps its uuid and used count)",
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def update_code(
    event_id: Annotated[UUIDPath, Path()], code_id: Annotated[UUIDPath, Path()], body: DiscountCodeUpdate
) -> DiscountCodeOut:
    c = service.update_code(
        owner_id=principal(router).user_id,
        event_id=str(event_id),
        code_id=str(code_id),
        changes=body.model_dump(exclude_unset=True),
        meta=request_meta(router),
        deps=default_deps(),
    )
    return code_out(c)


@router.delete(
    "/events/<event_id>/discount-codes/<code_id>",
    summary="Delete a discount code (registrations that used it keep it)",
    tags=TAGS,
    status_code=204,
    security=BEARER,
)
def delete_code(event_id: Annotated[UUIDPath, Path()], code_id: Annotated[UUIDPath, Path()]) -> None:
    service.delete_code(
        owner_id=principal(router).user_id,
        event_id=str(event_id),
        code_id=str(code_id),
        meta=request_meta(router),
        deps=default_deps(),
    )
