"""Issuing certificates in bulk (PRODUCT.md §6): a run through the Step Functions pipeline for
every confirmed registration or a list, its dry-run preview, and its progress."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from lectern.certificates import pipeline
from lectern.data.certificates import IssueRunItem
from lectern.deps import default_deps
from lectern.http import API_PREFIX, BEARER, errors, principal, request_meta
from lectern.schemas import UUIDPath
from lectern.throttle import bulk_budget_text

from functions.certificates.schemas.issue import (
    FailureOut,
    IssueAcceptedOut,
    IssuePreviewOut,
    IssueRequest,
    IssueRunOut,
    PreviewLineOut,
)

router = Router()
TAGS = ["certificates"]
RunId = Annotated[UUIDPath, Path(description="The issue run's uuid")]


def progress_url(event_id: str, run_id: str) -> str:
    return f"{API_PREFIX}/events/{event_id}/certificates/issue/{run_id}/"


def run_out(run: IssueRunItem) -> IssueRunOut:
    return IssueRunOut(
        run_id=run.run_id,
        event_id=run.event_id,
        status=run.status,  # type: ignore[arg-type]
        automatic=run.requested_by is None,
        requested_by=run.requested_by,
        total=int(run.total or 0),
        issued=int(run.issued or 0),
        skipped=int(run.skipped or 0),
        failed=int(run.failed or 0),
        exact=run.status in pipeline.FINISHED,
        skipped_reasons=pipeline.skipped_reasons(run),
        failures=[FailureOut.model_validate(f) for f in run.failures or []],
        error=run.error,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


@router.post(
    "/events/<event_id>/certificates/issue",
    summary="Issue certificates to every confirmed registration or a list (a pipeline run); dry_run previews",
    description=(
        "Starts an issue run (202) whose progress and per-person failure report are at `progress_url`. "
        "Send `{}` for every confirmed registration or `registration_ids` (at most "
        f"{pipeline.MAX_REGISTRATION_IDS}). Only eligible registrations (the attendance rule, or the "
        "organiser's override) without a live certificate are issued; the others are skipped with the "
        "reason. Issuing is idempotent: a repeated or concurrent run never makes a second certificate. "
        "409 `event_not_completed` before the event is completed. "
        + bulk_budget_text("certificates.issue")
        + " `dry_run=true` answers 200 with what would happen to each person; nothing is written or started."
    ),
    tags=TAGS,
    security=BEARER,
    status_code=202,
    responses={
        200: {
            "description": "dry_run=true: the preview, per person",
            "content": {"application/json": {"model": IssuePreviewOut}},
        },
        202: {
            "description": "The run is queued",
            "content": {"application/json": {"model": IssueAcceptedOut}},
        },
    },
    openapi_extensions=errors("409", "429"),
)
def issue_certificates(
    event_id: Annotated[UUIDPath, Path()],
    body: IssueRequest,
    dry_run: Annotated[bool, Query(description="Preview only: nothing is written or started")] = False,
) -> Response[str]:
    owner = principal(router).user_id
    ids = [str(i) for i in body.registration_ids] if body.registration_ids is not None else None
    if dry_run:
        lines = pipeline.preview(owner_id=owner, event_id=str(event_id), registration_ids=ids)
        out = IssuePreviewOut(
            would_issue=sum(1 for x in lines if x.status == "would_issue"),
            skipped=sum(1 for x in lines if x.status == "skipped"),
            results=[
                PreviewLineOut(
                    registration_id=x.registration_id,
                    email=x.email,
                    full_name=x.full_name,
                    status=x.status,  # type: ignore[arg-type]
                    reason=x.reason,
                )
                for x in lines
            ],
        )
        return Response(200, "application/json", out.model_dump_json())
    run = pipeline.request_run(
        owner_id=owner,
        event_id=str(event_id),
        registration_ids=ids,
        meta=request_meta(router),
        deps=default_deps(),
    )
    accepted = IssueAcceptedOut(
        run_id=run.run_id,
        status=run.status,  # type: ignore[arg-type]
        progress_url=progress_url(run.event_id, run.run_id),
    )
    return Response(202, "application/json", accepted.model_dump_json())


@router.get(
    "/events/<event_id>/certificates/issue/<run_id>",
    summary="An issue run's progress: counts (live while running, exact after) and who failed, why",
    tags=TAGS,
    security=BEARER,
)
def issue_progress(event_id: Annotated[UUIDPath, Path()], run_id: RunId) -> IssueRunOut:
    run = pipeline.progress(owner_id=principal(router).user_id, event_id=str(event_id), run_id=str(run_id))
    return run_out(run)
