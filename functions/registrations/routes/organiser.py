"""The organiser's view of an event's registrations: list, read, correct, cancel, promote.
(Bulk add and the CSV export live in bulk.py.)"""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from lectern.deps import default_deps
from lectern.http import BEARER, CursorQuery, LimitQuery, errors, page_request, principal, request_meta
from lectern.registrations import service
from lectern.schemas import Email, UUIDPath

from functions.registrations.schemas.registrations import (
    RegistrationOut,
    RegistrationPage,
    RegistrationUpdate,
    Status,
    registration_out,
)

router = Router()
TAGS = ["registrations"]


@router.get(
    "/events/<event_id>/registrations", summary="Registrations of my event", tags=TAGS, security=BEARER
)
def list_registrations(
    event_id: Annotated[UUIDPath, Path()],
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    status: Annotated[Status | None, Query(description="Only registrations with this status")] = None,
    email: Annotated[Email | None, Query(description="Only the registration(s) of this email")] = None,
) -> RegistrationPage:
    page = service.list_for_event(
        principal(router).user_id, str(event_id), page_request(limit, cursor), status=status, email=email
    )
    return RegistrationPage(items=[registration_out(r) for r in page.items], next_cursor=page.next_cursor)


@router.get(
    "/events/<event_id>/registrations/<registration_id>",
    summary="One registration of my event",
    tags=TAGS,
    security=BEARER,
)
def get_registration(
    event_id: Annotated[UUIDPath, Path()], registration_id: Annotated[UUIDPath, Path()]
) -> RegistrationOut:
    return registration_out(
        service.get_for_organiser(principal(router).user_id, str(event_id), str(registration_id))
    )


@router.patch(
    "/events/<event_id>/registrations/<registration_id>",
    summary="Correct a registrant's details or answers (not the status)",
    tags=TAGS,
    security=BEARER,
)
def update_registration(
    event_id: Annotated[UUIDPath, Path()],
    registration_id: Annotated[UUIDPath, Path()],
    body: RegistrationUpdate,
) -> RegistrationOut:
    r = service.update(
        owner_id=principal(router).user_id,
        event_id=str(event_id),
        registration_id=str(registration_id),
        changes=body.model_dump(exclude_unset=True, exclude_none=True),
        meta=request_meta(router),
        deps=default_deps(),
    )
    return registration_out(r)


@router.post(
    "/events/<event_id>/registrations/<registration_id>/cancel",
    summary="Cancel a registration (the oldest waitlisted person may be promoted)",
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def cancel_registration(
    event_id: Annotated[UUIDPath, Path()], registration_id: Annotated[UUIDPath, Path()]
) -> RegistrationOut:
    r = service.cancel_as_organiser(
        owner_id=principal(router).user_id,
        event_id=str(event_id),
        registration_id=str(registration_id),
        meta=request_meta(router),
        deps=default_deps(),
    )
    return registration_out(r)


@router.post(
    "/events/<event_id>/registrations/<registration_id>/promote",
    summary="Move a waitlisted registration to confirmed when there is a seat",
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def promote_registration(
    event_id: Annotated[UUIDPath, Path()], registration_id: Annotated[UUIDPath, Path()]
) -> RegistrationOut:
    r = service.promote(
        owner_id=principal(router).user_id,
        event_id=str(event_id),
        registration_id=str(registration_id),
        meta=request_meta(router),
        deps=default_deps(),
    )
    return registration_out(r)
