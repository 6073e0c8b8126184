"""The organiser's hand on attendance: override one registration's eligibility (spec-review H3)
and enter attended minutes in bulk (throttled per organiser, M6)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from lectern.attendance import organiser
from lectern.attendance.recompute import EventContext
from lectern.deps import default_deps
from lectern.http import BEARER, errors, principal, request_meta
from lectern.schemas import UUIDPath
from lectern.throttle import bulk_budget_text

from functions.attendance.present import attendance_out
from functions.attendance.schemas import (
    AttendanceOut,
    BulkAttendanceOut,
    BulkAttendanceRequest,
    EntryResultOut,
    OverrideRequest,
)

router = Router()
TAGS = ["attendance"]


def _override(
    event_id: str, registration_id: str, eligible: bool | None, reason: str | None
) -> AttendanceOut:
    reg = organiser.override(
        owner_id=principal(router).user_id,
        event_id=event_id,
        registration_id=registration_id,
        eligible=eligible,
        reason=reason,
        meta=request_meta(router),
        deps=default_deps(),
    )
    return attendance_out(reg, EventContext.load(event_id))


@router.post(
    "/events/<event_id>/registrations/<registration_id>/override-attendance",
    summary="Override a registration's eligibility, with a reason (wins over the computed result; audited)",
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def override_attendance(
    event_id: Annotated[UUIDPath, Path()], registration_id: Annotated[UUIDPath, Path()], body: OverrideRequest
) -> AttendanceOut:
    return _override(str(event_id), str(registration_id), body.eligible, body.reason)


@router.delete(
    "/events/<event_id>/registrations/<registration_id>/override-attendance",
    summary="Remove the override: the computed eligibility counts again (audited)",
    tags=TAGS,
    security=BEARER,
)
def clear_override(
    event_id: Annotated[UUIDPath, Path()], registration_id: Annotated[UUIDPath, Path()]
) -> AttendanceOut:
    return _override(str(event_id), str(registration_id), None, None)


@router.patch(
    "/events/<event_id>/registrations/bulk-attendance",
    summary="Enter attended minutes for up to 200 (registration, session) pairs (dry_run=true previews)",
    description=(
        "Each entry sets the manual attendance of one registration in one session (for a single-session "
        "event the session may be omitted): `minutes` from the session start, replacing that pair's earlier "
        "manual entry; 0 removes it. Manual and Zoom attendance are united, never added twice. Per-entry "
        "results say what was skipped and why. " + bulk_budget_text("attendance.bulk")
    ),
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409", "429"),
)
def bulk_attendance(
    event_id: Annotated[UUIDPath, Path()],
    body: BulkAttendanceRequest,
    dry_run: Annotated[bool, Query(description="Preview only: nothing is written")] = False,
) -> BulkAttendanceOut:
    outcomes = organiser.bulk_attendance(
        owner_id=principal(router).user_id,
        event_id=str(event_id),
        entries=[
            organiser.ManualEntry(
                str(e.registration_id), str(e.session_id) if e.session_id else None, e.minutes
            )
            for e in body.entries
        ],
        dry_run=dry_run,
        meta=request_meta(router),
        deps=default_deps(),
    )
    return BulkAttendanceOut(
        dry_run=dry_run,
        updated=sum(1 for o in outcomes if o.status in ("updated", "would_update")),
        skipped=sum(1 for o in outcomes if o.status == "skipped"),
        results=[
            EntryResultOut(
                index=i,
                registration_id=o.registration_id,
                session_id=o.session_id,
                minutes=o.minutes,
                status=o.status,  # type: ignore[arg-type]
                reason=o.reason,
            )
            for i, o in enumerate(outcomes)
        ],
    )
