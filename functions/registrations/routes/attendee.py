"""My registrations (the attendee's view) and cancelling one of them."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from lectern.deps import default_deps
from lectern.http import BEARER, CursorQuery, LimitQuery, errors, page_request, principal, request_meta
from lectern.registrations import service
from lectern.schemas import UUIDPath

from functions.registrations.schemas.registrations import (
    CancelByLinkRequest,
    MyRegistrationPage,
    RegistrationOut,
    my_registration_out,
    registration_out,
)

router = Router()
TAGS = ["registrations"]


@router.get(
    "/users/me/registrations",
    summary="My registrations (newest first, with each event's title and start)",
    tags=TAGS,
    security=BEARER,
)
def list_my_registrations(limit: LimitQuery = 50, cursor: CursorQuery = None) -> MyRegistrationPage:
    page = service.list_for_user(principal(router).user_id, page_request(limit, cursor))
    return MyRegistrationPage(
        items=[my_registration_out(r) for r in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/users/me/registrations/<registration_id>",
    summary="One of my registrations (with my waitlist position when waitlisted)",
    tags=TAGS,
    security=BEARER,
)
def get_my_registration(registration_id: Annotated[UUIDPath, Path()]) -> RegistrationOut:
    return registration_out(service.get_for_attendee(principal(router).user_id, str(registration_id)))


@router.post(
    "/users/me/registrations/<registration_id>/cancel",
    summary="Cancel my registration, or leave the waitlist",
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def cancel_my_registration(registration_id: Annotated[UUIDPath, Path()]) -> RegistrationOut:
    r = service.cancel_as_attendee(
        user_id=principal(router).user_id,
        registration_id=str(registration_id),
        meta=request_meta(router),
        deps=default_deps(),
    )
    return registration_out(r)


@router.post(
    "/registrations/cancel",
    summary="Cancel a registration with the link from its confirmation mail (no account needed)",
    description=(
        "The token is the `token=` of the link in the registration's mails; it is valid until the event "
        "ends and opens nothing else. 401 `invalid_token` for a forged or expired token; 409 when the "
        "registration is already cancelled."
    ),
    tags=TAGS,
    openapi_extensions=errors("401", "409"),
)
def cancel_by_link(body: CancelByLinkRequest) -> RegistrationOut:
    return registration_out(
        service.cancel_by_link(token=body.token, meta=request_meta(router), deps=default_deps())
    )
