"""Invitations to an event: up to 500 addresses or a contact list, dry run, resend, revoke, and
the invitee's link (PRODUCT.md §3)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from lectern.deps import default_deps
from lectern.http import BEARER, CursorQuery, LimitQuery, errors, page_request, principal, request_meta
from lectern.invitations import service
from lectern.schemas import OpaqueToken, UUIDPath

from functions.outreach.schemas.invitations import (
    InvitationBatchOut,
    InvitationCreate,
    InvitationListItem,
    InvitationOpenOut,
    InvitationOut,
    InvitationPage,
    InvitationResultOut,
    InvitationRunOut,
    InvitationTokenRequest,
    InvitedEventOut,
    Status,
)

router = Router()
TAGS = ["invitations"]
JSON = "application/json"
InvitationId = Annotated[UUIDPath, Path(description="The invitation's uuid")]
RunId = Annotated[UUIDPath, Path(description="The invitation run's uuid")]


def run_out(r: service.Run) -> InvitationRunOut:
    return InvitationRunOut(
        uuid=r.run_id,
        event=r.event_id,
        contact_list=r.contact_list_id,
        status=r.status,  # type: ignore[arg-type]
        total=r.total,
        processed=r.processed,
        invited=r.invited,
        skipped=r.skipped,
        reasons=r.reasons,
        error=r.error,
        created_at=r.created_at,
        updated_at=r.updated_at,
        finished_at=r.finished_at,
    )


def batch_out(r: service.Result) -> InvitationBatchOut:
    return InvitationBatchOut(
        dry_run=r.dry_run,
        total=r.total,
        invited=r.invited,
        skipped=r.skipped,
        reasons=r.reasons,
        results=[
            InvitationResultOut(
                index=o.index,
                email=o.email,
                included=o.included,
                reason=o.reason,  # type: ignore[arg-type]
                message=o.message,
                invitation=o.invitation_id,
            )
            for o in r.results
        ],
        run=run_out(r.run) if r.run else None,
    )


def list_item(i: service.Invitation) -> InvitationListItem:
    return InvitationListItem(
        uuid=i.invitation_id,
        email=i.email,
        status=i.status,  # type: ignore[arg-type]
        mailed_at=i.mailed_at,
        created_at=i.created_at,
    )


def invitation_out(i: service.Invitation) -> InvitationOut:
    return InvitationOut(
        **list_item(i).model_dump(),
        event=i.event_id,
        message=i.message,
        mail_pending=i.mail_pending,
        resend_count=i.resend_count,
        registration=i.registration_id,
        registered_at=i.registered_at,
        declined_at=i.declined_at,
        revoked_at=i.revoked_at,
        run=i.run_id,
        updated_at=i.updated_at,
    )


def opened_out(o: service.Opened) -> InvitationOpenOut:
    e = o.event
    return InvitationOpenOut(
        invitation=o.invitation.invitation_id,
        email=o.invitation.email,
        status=o.invitation.status,  # type: ignore[arg-type]
        event=InvitedEventOut(
            uuid=e.event_id,
            title=e.title,
            description=e.description or "",
            starts_at=e.starts_at,
            ends_at=e.ends_at,
            timezone=e.timezone,
            format=e.format,
            status=e.status,
        ),
    )


@router.post(
    "/events/<event_id>/invitations",
    summary="Invite up to 500 addresses or one of my contact lists to my event (dry_run=true previews)",
    description=(
        "Send exactly one of `emails` (1-500; 501 → 422 naming the limit) or `contact_list`. Each included "
        "address gets ONE invitation and a mail with its own signed link (register with the address "
        "locked, or decline). Per address: included, or skipped with the reason (`invalid_address`, "
        "`duplicate` in this request regardless of case, `already_registered`, `already_invited`, "
        "`suppressed` — bounced or complained). Answers 201 with the per-address results (mails are "
        "queued and sent by a worker, once each); a contact list of more than 500 members answers 202 "
        "with a background `run` whose progress is at `.../invitations/runs/{run_id}/`. 409 when the event "
        "is cancelled, completed or not yet published. Takes from the organiser's bulk budget (429 with "
        "Retry-After); `dry_run=true` answers 200 with the exact count and writes nothing."
    ),
    tags=TAGS,
    security=BEARER,
    status_code=201,
    responses={
        200: {"description": "dry_run=true: the preview", "content": {JSON: {"model": InvitationBatchOut}}},
        201: {"description": "Invitations created", "content": {JSON: {"model": InvitationBatchOut}}},
        202: {
            "description": "A large contact list: the background run",
            "content": {JSON: {"model": InvitationBatchOut}},
        },
    },
    openapi_extensions=errors("409", "429"),
)
def create_invitations(
    event_id: Annotated[UUIDPath, Path()],
    body: InvitationCreate,
    dry_run: Annotated[bool, Query(description="Preview only: nothing is written or sent")] = False,
) -> Response[str]:
    owner_id = principal(router).user_id
    target = service.Target(
        emails=body.emails, contact_list_id=str(body.contact_list) if body.contact_list else None
    )
    if dry_run:
        out = service.preview(owner_id=owner_id, event_id=str(event_id), target=target, deps=default_deps())
        return Response(200, JSON, batch_out(out).model_dump_json())
    result = service.invite(
        owner_id=owner_id,
        event_id=str(event_id),
        target=target,
        message=body.message,
        meta=request_meta(router),
        deps=default_deps(),
    )
    return Response(202 if result.run else 201, JSON, batch_out(result).model_dump_json())


@router.get(
    "/events/<event_id>/invitations",
    summary="List my event's invitations (ordered by address; optional status filter)",
    tags=TAGS,
    security=BEARER,
)
def list_invitations(
    event_id: Annotated[UUIDPath, Path()],
    status: Annotated[Status | None, Query(description="Only invitations with this status")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> InvitationPage:
    page = service.list_for_event(
        principal(router).user_id, str(event_id), status, page_request(limit, cursor)
    )
    return InvitationPage(items=[list_item(i) for i in page.items], next_cursor=page.next_cursor)


@router.get(
    "/events/<event_id>/invitations/runs/<invitation_run_id>",
    summary="Progress of a contact-list invitation run",
    tags=TAGS,
    security=BEARER,
)
def get_run(event_id: Annotated[UUIDPath, Path()], invitation_run_id: RunId) -> InvitationRunOut:
    return run_out(service.get_run(principal(router).user_id, str(event_id), str(invitation_run_id)))


@router.get(
    "/events/<event_id>/invitations/<invitation_id>",
    summary="One invitation of my event",
    tags=TAGS,
    security=BEARER,
)
def get_invitation(event_id: Annotated[UUIDPath, Path()], invitation_id: InvitationId) -> InvitationOut:
    return invitation_out(service.get(principal(router).user_id, str(event_id), str(invitation_id)))


@router.post(
    "/events/<event_id>/invitations/<invitation_id>/resend",
    summary="Mail the invitation again (a new link; at most once a minute per invitation)",
    description=(
        "For an invitation that is `sent` or `declined` (it becomes `sent` again). 409 when it was revoked "
        "or used to register; 429 with Retry-After when it was mailed less than a minute ago."
    ),
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409", "429"),
)
def resend_invitation(event_id: Annotated[UUIDPath, Path()], invitation_id: InvitationId) -> InvitationOut:
    i = service.resend(
        owner_id=principal(router).user_id,
        event_id=str(event_id),
        invitation_id=str(invitation_id),
        meta=request_meta(router),
        deps=default_deps(),
    )
    return invitation_out(i)


@router.delete(
    "/events/<event_id>/invitations/<invitation_id>",
    summary="Revoke an invitation (its link stops working; idempotent)",
    description="409 `invitation_used` when the invitee has already registered through it.",
    tags=TAGS,
    status_code=204,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def revoke_invitation(event_id: Annotated[UUIDPath, Path()], invitation_id: InvitationId) -> None:
    service.revoke(
        owner_id=principal(router).user_id,
        event_id=str(event_id),
        invitation_id=str(invitation_id),
        meta=request_meta(router),
        deps=default_deps(),
    )


@router.get(
    "/invitations/open",
    summary="Open an invitation link: the event and the invited (locked) address (no account needed)",
    description=(
        "`token` is the `token=` of the link in the invitation mail. To accept, register for the event "
        "with `invitation_token` set to it (the email must be the invited one). 401 `invalid_token` for a "
        "forged or expired token; 409 `invitation_revoked` when the organiser withdrew it."
    ),
    tags=TAGS,
    openapi_extensions=errors("401", "409"),
)
def open_invitation(
    token: Annotated[OpaqueToken, Query(description="The token from the invitation link")],
) -> InvitationOpenOut:
    return opened_out(service.open_link(token, default_deps()))


@router.post(
    "/invitations/decline",
    summary="Decline an invitation with the link from its mail (no account needed)",
    description="Idempotent. 409 `invitation_used` after registering, `invitation_revoked` when withdrawn.",
    tags=TAGS,
    openapi_extensions=errors("401", "409"),
)
def decline_invitation(body: InvitationTokenRequest) -> InvitationOpenOut:
    return opened_out(service.decline(body.token, default_deps()))
