"""Completing a session: its attendance becomes final and, with the last session, the event
completes (Zoom's meeting-ended event does the same through the attendance worker)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from lectern.attendance import completion
from lectern.deps import default_deps
from lectern.http import BEARER, errors, principal, request_meta
from lectern.schemas import UUIDPath

from functions.attendance.schemas import SessionCompletedOut

router = Router()
TAGS = ["attendance"]


@router.post(
    "/events/<event_id>/sessions/<event_session_id>/complete",
    summary="Complete a session: compute its attendance (and complete the event after its last session)",
    description=(
        "A scheduled or live session becomes completed now; open attendance segments close at this time, "
        "every registration's attendance and eligibility are recomputed, and when every session of the event "
        "is completed (or cancelled) the event becomes completed (`lectern.event.completed`). For a "
        "single-session event use the event's uuid as the session id. 409 when the session is not open or "
        "the event is not published/live."
    ),
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def complete_session(
    event_id: Annotated[UUIDPath, Path()], event_session_id: Annotated[UUIDPath, Path()]
) -> SessionCompletedOut:
    deps = default_deps()
    me = principal(router).user_id
    done = completion.complete_session(
        event_id=str(event_id),
        session_id=str(event_session_id),
        at=deps.clock.now(),
        deps=deps,
        meta=request_meta(router),
        actor_id=me,
        owner_id=me,
    )
    return SessionCompletedOut(
        session=done.session.session_id,
        event=done.event.event_id,
        status=done.session.status,
        completed_at=done.session.completed_at,
        event_status=done.event.status,
        event_completed=done.event_completed,
        registrations_recomputed=done.recomputed,
    )
