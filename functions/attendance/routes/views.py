"""Reading attendance: the event's aggregate (organiser) and one registration's sessions
(organiser or the registrant)."""

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from lectern.attendance import organiser
from lectern.http import BEARER, CursorQuery, LimitQuery, page_request, principal
from lectern.schemas import UUIDPath

from functions.attendance.present import attendance_out, rule_sentence
from functions.attendance.schemas import AggregatePage, AttendanceOut

router = Router()
TAGS = ["attendance"]


@router.get(
    "/events/<event_id>/aggregate-attendance",
    summary="Attendance of every registration of my event: sessions, minutes, percent, eligibility and why",
    tags=TAGS,
    security=BEARER,
)
def aggregate_attendance(
    event_id: Annotated[UUIDPath, Path()],
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    status: Annotated[
        Literal["confirmed", "cancelled"],
        Query(description="Registrations with this status (default confirmed)"),
    ] = "confirmed",
) -> AggregatePage:
    ctx, page = organiser.aggregate(
        principal(router).user_id, str(event_id), page_request(limit, cursor), status
    )
    return AggregatePage(
        event=ctx.event.event_id,
        completion_rule=rule_sentence(ctx),
        items=[attendance_out(r, ctx) for r in page.items],
        next_cursor=page.next_cursor,
    )


@router.get(
    "/registrations/<registration_id>/session-attendance",
    summary="One registration's attendance per session (the event's organiser or the registrant)",
    tags=TAGS,
    security=BEARER,
)
def session_attendance(registration_id: Annotated[UUIDPath, Path()]) -> AttendanceOut:
    ctx, reg = organiser.session_attendance(principal(router).user_id, str(registration_id))
    return attendance_out(reg, ctx)
