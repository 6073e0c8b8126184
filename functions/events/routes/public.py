"""Public event pages and their iCalendar file (no token)."""

from typing import Annotated
from urllib.parse import urlsplit

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from lectern.config import get_settings
from lectern.data.events import EventItem
from lectern.events import service
from lectern.events.access import public_event
from lectern.events.fields import sorted_fields
from lectern.events.ics import event_calendar
from lectern.schemas import UUIDPath

from functions.events.routes.events import field_out
from functions.events.schemas.events import PublicEventOut

router = Router()
TAGS = ["events"]
ICS = "text/calendar; charset=utf-8"
ICS_RESPONSE: dict[int, OpenAPIResponse] = {
    200: {
        "description": "An iCalendar (RFC 5545) file",
        "content": {"text/calendar": {"schema": {"type": "string"}}},
    }
}


def _origin() -> str:
    base = urlsplit(get_settings().app_base_url)
    return f"{base.scheme}://{base.netloc}"


def public_out(e: EventItem) -> PublicEventOut:
    capacity = None if e.capacity is None else int(e.capacity)
    return PublicEventOut(
        uuid=e.event_id,
        title=e.title,
        slug=e.slug,
        description=e.description or "",
        starts_at=e.starts_at,
        ends_at=e.ends_at,
        timezone=e.timezone,
        format=e.format,
        location=e.location or "",
        status=e.status,  # type: ignore[arg-type]
        capacity=capacity,
        spots_left=None if capacity is None else max(0, capacity - int(e.confirmed_count or 0)),
        waitlist_enabled=bool(e.waitlist_enabled),
        registration_opens_at=e.registration_opens_at,
        registration_closes_at=e.registration_closes_at,
        price=float(service.price_of(e)),
        currency=e.currency,
        cpd_hours=float(service.cpd_hours_of(e)),
        cpd_category=e.cpd_category or "",
        is_multi_session=bool(e.is_multi_session),
        custom_fields=[field_out(f) for f in sorted_fields(list(e.custom_fields or []))],
        published_at=e.published_at,
        calendar_url=f"{_origin()}/api/v1/public/events/{e.event_id}/calendar.ics",
    )


@router.get("/public/events/<event_id>", summary="A published event's public page", tags=TAGS)
def get_public_event(event_id: Annotated[UUIDPath, Path()]) -> PublicEventOut:
    return public_out(public_event(str(event_id)))


@router.get(
    "/public/events/<event_id>/calendar.ics",
    summary="A published event as an iCalendar file",
    tags=TAGS,
    responses=ICS_RESPONSE,
)
def get_public_event_ics(event_id: Annotated[UUIDPath, Path()]) -> Response[str]:
    body = event_calendar([public_event(str(event_id))]).decode()
    return Response(200, ICS, body, headers={"Content-Disposition": f'inline; filename="{event_id}.ics"'})
