"""An event's reminders: offsets before the start or after the end (PRODUCT.md §3). Sent by the
scheduled sweep (functions/workers/reminder_sweep.py); moved with the event
(functions/workers/reminders.py)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from lectern.deps import default_deps
from lectern.http import BEARER, CursorQuery, LimitQuery, errors, page_request, principal, request_meta
from lectern.reminders import service
from lectern.reminders.service import Reminder
from lectern.schemas import UUIDPath

from functions.outreach.schemas.reminders import (
    RecipientLineOut,
    ReminderCreate,
    ReminderOut,
    ReminderPage,
    ReminderPreviewOut,
    ReminderSummaryOut,
    ReminderUpdate,
)

router = Router()
TAGS = ["reminders"]


def summary_out(r: Reminder) -> ReminderSummaryOut:
    return ReminderSummaryOut(
        uuid=r.reminder_id,
        anchor=r.anchor,
        offset_minutes=r.offset_minutes,
        due_at=r.due_at,
        status=r.status,  # type: ignore[arg-type]
    )


def reminder_out(r: Reminder) -> ReminderOut:
    return ReminderOut(
        uuid=r.reminder_id,
        event=r.event_id,
        anchor=r.anchor,
        offset_minutes=r.offset_minutes,
        due_at=r.due_at,
        status=r.status,  # type: ignore[arg-type]
        subject=r.subject,
        message=r.message,
        sent_at=r.sent_at,
        sent_count=r.sent_count,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


@router.get(
    "/events/<event_id>/reminders",
    summary="List an event's reminders (in creation order)",
    tags=TAGS,
    security=BEARER,
)
def list_reminders(
    event_id: Annotated[UUIDPath, Path()], limit: LimitQuery = 50, cursor: CursorQuery = None
) -> ReminderPage:
    page = service.list_reminders(principal(router).user_id, str(event_id), page_request(limit, cursor))
    return ReminderPage(items=[summary_out(r) for r in page.items], next_cursor=page.next_cursor)


@router.post(
    "/events/<event_id>/reminders",
    summary="Schedule a reminder (minutes before the start or after the end); dry_run previews recipients",
    description=(
        "Creates a reminder (201). It is mailed, with the join link and the event's .ics, to each "
        "confirmed registrant once, at `due_at`; it follows the event when the event moves and is not "
        "sent if the event is cancelled. 409 `duplicate_reminder` for an offset the event already has; "
        "422 when its time has already passed. `dry_run=true` answers 200 with who would get it if it "
        "were sent now (and why the others would not); nothing is written."
    ),
    tags=TAGS,
    status_code=201,
    security=BEARER,
    responses={
        200: {
            "description": "dry_run=true: the recipients preview",
            "content": {"application/json": {"model": ReminderPreviewOut}},
        },
        201: {"description": "The reminder", "content": {"application/json": {"model": ReminderOut}}},
    },
    openapi_extensions=errors("409"),
)
def create_reminder(
    event_id: Annotated[UUIDPath, Path()],
    body: ReminderCreate,
    dry_run: Annotated[bool, Query(description="Preview only: nothing is written")] = False,
) -> Response[str]:
    if dry_run:
        p = service.preview_reminder(
            owner_id=principal(router).user_id,
            event_id=str(event_id),
            anchor=body.anchor,
            offset_minutes=body.offset_minutes,
            deps=default_deps(),
        )
        out = ReminderPreviewOut(
            due_at=p.due_at,
            recipients=p.recipients,
            skipped=p.skipped,
            results=[
                RecipientLineOut(
                    registration_id=x.registration_id,
                    email=x.email,
                    full_name=x.full_name,
                    included=x.included,
                    reason=x.reason,  # type: ignore[arg-type]
                )
                for x in p.results
            ],
            truncated=p.truncated,
        )
        return Response(200, "application/json", out.model_dump_json())
    r = service.create_reminder(
        owner_id=principal(router).user_id,
        event_id=str(event_id),
        anchor=body.anchor,
        offset_minutes=body.offset_minutes,
        subject=body.subject,
        message=body.message,
        meta=request_meta(router),
        deps=default_deps(),
    )
    return Response(201, "application/json", reminder_out(r).model_dump_json())


@router.get(
    "/events/<event_id>/reminders/<reminder_id>",
    summary="A reminder: its time, text and last round sent",
    tags=TAGS,
    security=BEARER,
)
def get_reminder(
    event_id: Annotated[UUIDPath, Path()], reminder_id: Annotated[UUIDPath, Path()]
) -> ReminderOut:
    return reminder_out(service.get_reminder(principal(router).user_id, str(event_id), str(reminder_id)))


@router.patch(
    "/events/<event_id>/reminders/<reminder_id>",
    summary="Change a reminder (a new offset re-arms it for its new time)",
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def update_reminder(
    event_id: Annotated[UUIDPath, Path()], reminder_id: Annotated[UUIDPath, Path()], body: ReminderUpdate
) -> ReminderOut:
    r = service.update_reminder(
        owner_id=principal(router).user_id,
        event_id=str(event_id),
        reminder_id=str(reminder_id),
        changes=body.model_dump(exclude_unset=True),
        meta=request_meta(router),
        deps=default_deps(),
    )
    return reminder_out(r)


@router.delete(
    "/events/<event_id>/reminders/<reminder_id>",
    summary="Delete a reminder (mails already sent stay sent)",
    tags=TAGS,
    status_code=204,
    security=BEARER,
)
def delete_reminder(event_id: Annotated[UUIDPath, Path()], reminder_id: Annotated[UUIDPath, Path()]) -> None:
    service.delete_reminder(
        owner_id=principal(router).user_id,
        event_id=str(event_id),
        reminder_id=str(reminder_id),
        meta=request_meta(router),
        deps=default_deps(),
    )
