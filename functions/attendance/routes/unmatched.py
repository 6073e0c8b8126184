"""Participants no registration matched (by Zoom registrant id or exact email — never by name):
the organiser reviews them and assigns each to a registration (audited)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from lectern.attendance import organiser
from lectern.attendance.recompute import EventContext
from lectern.deps import default_deps
from lectern.http import BEARER, CursorQuery, LimitQuery, errors, page_request, principal, request_meta
from lectern.schemas import UUIDPath

from functions.attendance.present import attendance_out, unmatched_out
from functions.attendance.schemas import AssignOut, AssignRequest, UnmatchedPage

router = Router()
TAGS = ["attendance"]


@router.get(
    "/events/<event_id>/unmatched-participants",
    summary="Zoom participants of my event that matched no registration",
    tags=TAGS,
    security=BEARER,
)
def list_unmatched(
    event_id: Annotated[UUIDPath, Path()],
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    include_assigned: Annotated[bool, Query(description="Also list those already assigned")] = False,
) -> UnmatchedPage:
    page = organiser.unmatched(
        principal(router).user_id, str(event_id), page_request(limit, cursor), include_assigned
    )
    return UnmatchedPage(items=[unmatched_out(u) for u in page.items], next_cursor=page.next_cursor)


@router.post(
    "/events/<event_id>/unmatched-participants/<participant_id>/assign",
    summary="Attribute an unmatched participant's attendance to a registration of my event (audited)",
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def assign(
    event_id: Annotated[UUIDPath, Path()], participant_id: Annotated[UUIDPath, Path()], body: AssignRequest
) -> AssignOut:
    done = organiser.assign(
        owner_id=principal(router).user_id,
        event_id=str(event_id),
        participant_key=str(participant_id),
        registration_id=str(body.registration),
        meta=request_meta(router),
        deps=default_deps(),
    )
    return AssignOut(
        participant=unmatched_out(done.participant),
        attendance=attendance_out(done.registration, EventContext.load(str(event_id))),
        observations_moved=done.edges_moved,
    )
