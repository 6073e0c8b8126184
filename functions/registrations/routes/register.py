"""Registering for an event: guest, or signed in (the token is optional here)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from lectern.deps import default_deps
from lectern.http import errors, request_meta
from lectern.registrations import service
from lectern.schemas import UUIDPath

from functions.registrations.schemas.registrations import RegisterRequest, RegistrationOut, registration_out

router = Router()
TAGS = ["registrations"]
OPTIONAL_BEARER: list[dict[str, list[str]]] = [{}, {"bearerAuth": []}]


@router.post(
    "/events/<event_id>/register",
    summary="Register for an event (as a guest, or signed in with a bearer token)",
    description=(
        "Answers 201 with status `confirmed`, or `waitlisted` with `waitlist_position` when the event "
        "is full and has a waitlist. One active registration per email per event (409 `already_registered`). "
        "A signed-in caller's registration belongs to the account; an invalid token is a 401. "
        "With `invitation_token` (from an invitation mail) the email is locked to the invited address "
        "(422 `email_locked` otherwise), the invitation becomes `registered`, and a revoked or used "
        "invitation is a 409."
    ),
    tags=TAGS,
    status_code=201,
    security=OPTIONAL_BEARER,
    openapi_extensions=errors("401", "402", "409"),
)
def register(event_id: Annotated[UUIDPath, Path()], body: RegisterRequest) -> RegistrationOut:
    deps = default_deps()
    user_id = service.optional_user(dict(router.current_event.headers or {}), deps.clock)
    r = service.register(
        event_id=str(event_id),
        applicant=service.Applicant(
            email=body.email,
            full_name=body.full_name,
            professional_title=body.professional_title,
            organization_name=body.organization_name,
            custom_answers=body.custom_answers,
            discount_code=body.discount_code,
            invitation_token=body.invitation_token,
        ),
        user_id=user_id,
        meta=request_meta(router),
        deps=deps,
    )
    return registration_out(r)
