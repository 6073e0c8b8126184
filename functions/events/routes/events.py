"""The organiser's events: CRUD and the status actions (publish, unpublish, cancel, duplicate)."""

from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from lectern.data.events import EventItem
from lectern.deps import default_deps
from lectern.events import service
from lectern.events.fields import sorted_fields
from lectern.http import BEARER, CursorQuery, LimitQuery, errors, page_request, principal, request_meta
from lectern.schemas import UUIDPath
from pydantic import AwareDatetime

from functions.events.schemas.custom_fields import EventFieldOut
from functions.events.schemas.events import (
    EventCreate,
    EventOut,
    EventPage,
    EventSummaryOut,
    EventUpdate,
    Status,
)

router = Router()
TAGS = ["events"]


def field_out(f: dict[str, Any]) -> EventFieldOut:
    return EventFieldOut(
        uuid=f["field_id"],
        label=f["label"],
        type=f["type"],
        required=bool(f.get("required")),
        options=list(f.get("options") or []),
        help_text=f.get("help_text") or "",
        position=int(f.get("position") or 0),
    )


def _summary_values(e: EventItem) -> dict[str, Any]:
    return {
        "uuid": e.event_id,
        "title": e.title,
        "slug": e.slug,
        "starts_at": e.starts_at,
        "ends_at": e.ends_at,
        "timezone": e.timezone,
        "format": e.format,
        "status": e.status,
        "capacity": None if e.capacity is None else int(e.capacity),
        "confirmed_count": int(e.confirmed_count or 0),
        "waitlisted_count": int(e.waitlisted_count or 0),
        "price": float(service.price_of(e)),
        "currency": e.currency,
        "created_at": e.created_at,
        "updated_at": e.updated_at,
        "published_at": e.published_at,
    }


def summary_out(e: EventItem) -> EventSummaryOut:
    return EventSummaryOut(**_summary_values(e))


def event_out(e: EventItem) -> EventOut:
    return EventOut(
        **_summary_values(e),
        description=e.description or "",
        location=e.location or "",
        waitlist_enabled=bool(e.waitlist_enabled),
        waitlist_auto_promote=bool(e.waitlist_auto_promote),
        registration_opens_at=e.registration_opens_at,
        registration_closes_at=e.registration_closes_at,
        cpd_hours=float(service.cpd_hours_of(e)),
        cpd_category=e.cpd_category or "",
        certificate_template=e.certificate_template_id,
        auto_issue_certificates=bool(e.auto_issue_certificates),
        minimum_attendance_percent=int(e.minimum_attendance_percent or 0),
        is_multi_session=bool(e.is_multi_session),
        completion_type=e.completion_type,
        minimum_sessions_required=None
        if e.minimum_sessions_required is None
        else int(e.minimum_sessions_required),
        minimum_attendance_percent_total=(
            None if e.minimum_attendance_percent_total is None else int(e.minimum_attendance_percent_total)
        ),
        required_sessions=[str(s) for s in e.required_sessions or []],
        custom_fields=[field_out(f) for f in sorted_fields(list(e.custom_fields or []))],
        revision=int(e.revision or 0),
        cancelled_at=e.cancelled_at,
        zoom_meeting_id=e.zoom_meeting_id,
        zoom_join_url=e.zoom_join_url,
        zoom_status=e.zoom_status,  # type: ignore[arg-type]
    )


@router.get("/events", summary="List my events (by start time)", tags=TAGS, security=BEARER)
def list_events(
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    status: Annotated[Status | None, Query(description="Only events with this status")] = None,
    starts_after: Annotated[
        AwareDatetime | None,
        Query(description="Only events starting at or after this time (ISO 8601 with offset)"),
    ] = None,
    starts_before: Annotated[
        AwareDatetime | None,
        Query(description="Only events starting before this time (ISO 8601 with offset)"),
    ] = None,
) -> EventPage:
    page = service.list_events(
        principal(router).user_id,
        page_request(limit, cursor),
        status=status,
        starts_after=starts_after,
        starts_before=starts_before,
    )
    return EventPage(items=[summary_out(e) for e in page.items], next_cursor=page.next_cursor)


@router.post(
    "/events",
    summary="Create an event (a draft)",
    tags=TAGS,
    status_code=201,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def create_event(body: EventCreate) -> EventOut:
    data = body.model_dump()
    e = service.create_event(
        owner_id=principal(router).user_id, data=data, meta=request_meta(router), deps=default_deps()
    )
    return event_out(e)


@router.get("/events/<event_id>", summary="One of my events", tags=TAGS, security=BEARER)
def get_event(event_id: Annotated[UUIDPath, Path()]) -> EventOut:
    return event_out(service.get_event(principal(router).user_id, str(event_id)))


@router.patch(
    "/events/<event_id>",
    summary="Change an event (status changes only through the actions)",
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def update_event(event_id: Annotated[UUIDPath, Path()], body: EventUpdate) -> EventOut:
    e = service.update_event(
        owner_id=principal(router).user_id,
        event_id=str(event_id),
        changes=body.changes(),
        expected_revision=body.revision,
        meta=request_meta(router),
        deps=default_deps(),
    )
    return event_out(e)


@router.delete(
    "/events/<event_id>",
    summary="Delete an event without active registrations",
    tags=TAGS,
    status_code=204,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def delete_event(event_id: Annotated[UUIDPath, Path()]) -> None:
    service.delete_event(
        owner_id=principal(router).user_id,
        event_id=str(event_id),
        meta=request_meta(router),
        deps=default_deps(),
    )


@router.post(
    "/events/<event_id>/publish",
    summary="Publish a draft event",
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def publish_event(event_id: Annotated[UUIDPath, Path()]) -> EventOut:
    return event_out(
        service.publish_event(
            owner_id=principal(router).user_id,
            event_id=str(event_id),
            meta=request_meta(router),
            deps=default_deps(),
        )
    )


@router.post(
    "/events/<event_id>/unpublish",
    summary="Take a published event without registrations back to draft",
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def unpublish_event(event_id: Annotated[UUIDPath, Path()]) -> EventOut:
    return event_out(
        service.unpublish_event(
            owner_id=principal(router).user_id,
            event_id=str(event_id),
            meta=request_meta(router),
            deps=default_deps(),
        )
    )


@router.post(
    "/events/<event_id>/cancel",
    summary="Cancel an event and notify every active registrant",
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def cancel_event(event_id: Annotated[UUIDPath, Path()]) -> EventOut:
    return event_out(
        service.cancel_event(
            owner_id=principal(router).user_id,
            event_id=str(event_id),
            meta=request_meta(router),
            deps=default_deps(),
        )
    )


@router.post(
    "/events/<event_id>/duplicate",
    summary="Copy an event as a new draft (new slug, no registrations, custom fields copied)",
    tags=TAGS,
    status_code=201,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def duplicate_event(event_id: Annotated[UUIDPath, Path()]) -> EventOut:
    return event_out(
        service.duplicate_event(
            owner_id=principal(router).user_id,
            event_id=str(event_id),
            meta=request_meta(router),
            deps=default_deps(),
        )
    )


__all__ = ["datetime", "event_out", "field_out", "router"]
