"""An event's custom registration fields (organiser)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from lectern.deps import default_deps
from lectern.events import field_service
from lectern.http import BEARER, errors, principal, request_meta
from lectern.schemas import UUIDPath

from functions.events.routes.events import field_out
from functions.events.schemas.custom_fields import (
    EventFieldCreate,
    EventFieldList,
    EventFieldOut,
    EventFieldUpdate,
)

router = Router()
TAGS = ["events"]


@router.get(
    "/events/<event_id>/custom-fields",
    summary="The registration form's custom fields",
    tags=TAGS,
    security=BEARER,
)
def list_fields(event_id: Annotated[UUIDPath, Path()]) -> EventFieldList:
    fields = field_service.list_fields(principal(router).user_id, str(event_id))
    return EventFieldList(items=[field_out(f) for f in fields], next_cursor=None)


@router.post(
    "/events/<event_id>/custom-fields",
    summary="Add a custom registration field",
    tags=TAGS,
    status_code=201,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def create_field(event_id: Annotated[UUIDPath, Path()], body: EventFieldCreate) -> EventFieldOut:
    f = field_service.create_field(
        owner_id=principal(router).user_id,
        event_id=str(event_id),
        data=body.model_dump(),
        meta=request_meta(router),
        deps=default_deps(),
    )
    return field_out(f)


@router.patch(
    "/events/<event_id>/custom-fields/<field_id>",
    summary="Change a custom registration field (answers already given keep their own copy)",
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def update_field(
    event_id: Annotated[UUIDPath, Path()], field_id: Annotated[UUIDPath, Path()], body: EventFieldUpdate
) -> EventFieldOut:
    f = field_service.update_field(
        owner_id=principal(router).user_id,
        event_id=str(event_id),
        field_id=str(field_id),
        changes=body.changes(),
        meta=request_meta(router),
        deps=default_deps(),
    )
    return field_out(f)


@router.delete(
    "/events/<event_id>/custom-fields/<field_id>",
    summary="Remove a custom registration field",
    tags=TAGS,
    status_code=204,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def delete_field(event_id: Annotated[UUIDPath, Path()], field_id: Annotated[UUIDPath, Path()]) -> None:
    field_service.delete_field(
        owner_id=principal(router).user_id,
        event_id=str(event_id),
        field_id=str(field_id),
        meta=request_meta(router),
        deps=default_deps(),
    )
