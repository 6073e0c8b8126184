"""Linking guest registrations to my account (spec-review C5): only for a verified email."""

from aws_lambda_powertools.event_handler.api_gateway import Router
from lectern.deps import default_deps
from lectern.http import BEARER, errors, principal, request_meta
from lectern.registrations import linking

from functions.registrations.schemas.registrations import LinkableOut, LinkedOut, registration_out

router = Router()
TAGS = ["registrations"]


@router.get(
    "/users/me/link-registrations",
    summary="Guest registrations made with my verified email, not yet linked to my account",
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("403"),
)
def list_linkable() -> LinkableOut:
    return LinkableOut(items=[registration_out(r) for r in linking.linkable(principal(router).user_id)])


@router.post(
    "/users/me/link-registrations",
    summary="Link the guest registrations made with my verified email to my account",
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("403"),
)
def link_registrations() -> LinkedOut:
    linked = linking.link(
        principal(router).user_id, deps=default_deps(), correlation_id=request_meta(router).correlation_id
    )
    return LinkedOut(linked=len(linked), items=[registration_out(r) for r in linked])
