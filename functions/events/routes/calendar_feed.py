"""The personal calendar feed: a secret URL listing every event the caller registered for."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from lectern.deps import default_deps
from lectern.events import feeds
from lectern.http import BEARER, principal, request_meta

from functions.events.routes.public import ICS, ICS_RESPONSE
from functions.events.schemas.calendar_feed import CalendarFeedOut

router = Router()
TAGS = ["events"]
Token = Annotated[str, Path(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]


def _out(token: str, created_at) -> CalendarFeedOut:  # type: ignore[no-untyped-def]
    return CalendarFeedOut(url=feeds.feed_url(token), created_at=created_at)


@router.get(
    "/users/me/calendar-feed",
    summary="My personal calendar feed URL (created on first use)",
    tags=TAGS,
    security=BEARER,
)
def get_feed() -> CalendarFeedOut:
    token, created = feeds.get_or_create_feed(
        user_id=principal(router).user_id, meta=request_meta(router), deps=default_deps()
    )
    return _out(token, created)


@router.post(
    "/users/me/calendar-feed/rotate",
    summary="Replace my calendar feed URL (the old one stops working at once)",
    tags=TAGS,
    security=BEARER,
)
def rotate_feed() -> CalendarFeedOut:
    token, created = feeds.rotate_feed(
        user_id=principal(router).user_id, meta=request_meta(router), deps=default_deps()
    )
    return _out(token, created)


@router.get(
    "/public/calendar/<token>.ics",
    summary="A personal calendar feed (secret URL, no token header)",
    tags=TAGS,
    responses=ICS_RESPONSE,
)
def get_feed_ics(token: Token) -> Response[str]:
    body = feeds.feed_calendar(token).decode()
    return Response(200, ICS, body, headers={"Cache-Control": "private, max-age=300"})
