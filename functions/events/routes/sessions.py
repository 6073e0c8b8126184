"""The sessions of an event (organiser only; spec-review C2). Completing a session is the
attendance routes' business."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from lectern.deps import default_deps
from lectern.events import sessions as service
from lectern.events.sessions import Session
from lectern.http import BEARER, CursorQuery, LimitQuery, errors, page_request, principal, request_meta
from lectern.schemas import UUIDPath

from functions.events.schemas.sessions import (
    EventSessionCreate,
    EventSessionOut,
    EventSessionPage,
    EventSessionSummaryOut,
    EventSessionUpdate,
)

router = Router()
TAGS = ["event-sessions"]


def _summary_values(s: Session) -> dict[str, Any]:
    return {
        "uuid": s.session_id,
        "event": s.event_id,
        "title": s.title,
        "starts_at": s.starts_at,
        "ends_at": s.ends_at,
        "status": s.status,
        "cpd_hours": None if s.cpd_hours is None else float(s.cpd_hours),
        "required": s.required,
        "virtual": s.virtual,
    }


def session_out(s: Session) -> EventSessionOut:
    return EventSessionOut(
        **_summary_values(s),
        description=s.description,
        zoom_meeting_id=s.zoom_meeting_id,
        zoom_join_url=s.zoom_join_url,
        started_at=s.started_at,
        completed_at=s.completed_at,
        revision=s.revision,
        created_at=s.created_at,
        updated_at=s.updated_at,
    )


@router.get(
    "/events/<event_id>/sessions",
    summary="List an event's sessions in creation order (a single-session event: its one virtual session)",
    tags=TAGS,
    security=BEARER,
)
def list_sessions(
    event_id: Annotated[UUIDPath, Path()], limit: LimitQuery = 50, cursor: CursorQuery = None
) -> EventSessionPage:
    page = service.list_sessions(principal(router).user_id, str(event_id), page_request(limit, cursor))
    return EventSessionPage(
        items=[EventSessionSummaryOut(**_summary_values(s)) for s in page.items], next_cursor=page.next_cursor
    )


@router.post(
    "/events/<event_id>/sessions",
    summary="Add a session to a multi-session event (within the event's times, at most 24 hours)",
    tags=TAGS,
    status_code=201,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def create_session(event_id: Annotated[UUIDPath, Path()], body: EventSessionCreate) -> EventSessionOut:
    s = service.create_session(
        owner_id=principal(router).user_id,
        event_id=str(event_id),
        data=body.model_dump(),
        meta=request_meta(router),
        deps=default_deps(),
    )
    return session_out(s)


@router.get(
    "/events/<event_id>/sessions/<event_session_id>",
    summary="One session of my event (the event's uuid names a single-session event's virtual session)",
    tags=TAGS,
    security=BEARER,
)
def get_session(
    event_id: Annotated[UUIDPath, Path()], event_session_id: Annotated[UUIDPath, Path()]
) -> EventSessionOut:
    return session_out(service.get_session(principal(router).user_id, str(event_id), str(event_session_id)))


@router.patch(
    "/events/<event_id>/sessions/<event_session_id>",
    summary="Change a session (a live or completed session keeps its times)",
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def update_session(
    event_id: Annotated[UUIDPath, Path()],
    event_session_id: Annotated[UUIDPath, Path()],
    body: EventSessionUpdate,
) -> EventSessionOut:
    s = service.update_session(
        owner_id=principal(router).user_id,
        event_id=str(event_id),
        session_id=str(event_session_id),
        changes=body.changes(),
        expected_revision=body.revision,
        meta=request_meta(router),
        deps=default_deps(),
    )
    return session_out(s)


@router.delete(
    "/events/<event_id>/sessions/<event_session_id>",
    summary="Delete a session that has not started (it leaves the event's required_sessions too)",
    tags=TAGS,
    status_code=204,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def delete_session(
    event_id: Annotated[UUIDPath, Path()], event_session_id: Annotated[UUIDPath, Path()]
) -> None:
    service.delete_session(
        owner_id=principal(router).user_id,
        event_id=str(event_id),
        session_id=str(event_session_id),
        meta=request_meta(router),
        deps=default_deps(),
    )


@router.post(
    "/events/<event_id>/sessions/<event_session_id>/start",
    summary="Start a scheduled session (a published event goes live with it; "
    "for a single-session event, its virtual session is the event)",
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def start_session(
    event_id: Annotated[UUIDPath, Path()], event_session_id: Annotated[UUIDPath, Path()]
) -> EventSessionOut:
    return session_out(
        service.start_session(
            owner_id=principal(router).user_id,
            event_id=str(event_id),
            session_id=str(event_session_id),
            meta=request_meta(router),
            deps=default_deps(),
        )
    )
