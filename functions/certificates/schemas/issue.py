"""Request/response models of issue runs (PRODUCT.md §6): the bulk request, its dry-run preview
and the run's progress with its per-person failure report."""

import uuid
from datetime import datetime
from typing import Literal

from lectern.certificates.pipeline import CHUNK, MAX_REGISTRATION_IDS
from lectern.schemas import Request, Response
from pydantic import Field


class IssueRequest(Request):
    registration_ids: list[uuid.UUID] | None = Field(
        None,
        min_length=1,
        max_length=MAX_REGISTRATION_IDS,
        description=(
            f"At most {MAX_REGISTRATION_IDS} registrations of this event (duplicates count once). "
            "Omit it (send `{}`) for every confirmed registration, however many."
        ),
    )


class IssueAcceptedOut(Response):
    run_id: str = Field(description="The issue run's uuid")
    status: Literal["queued", "running", "succeeded", "failed"]
    progress_url: str = Field(description="GET it for the run's progress and failure report")


class PreviewLineOut(Response):
    registration_id: str
    email: str | None = Field(description="null when the id names no registration of this event")
    full_name: str | None
    status: Literal["would_issue", "skipped"]
    reason: str = Field(
        description="Why skipped: not_eligible, already_issued, registration_cancelled, "
        "registration_not_confirmed, event_not_completed, registration_not_found; empty when issued"
    )


class IssuePreviewOut(Response):
    dry_run: Literal[True] = True
    would_issue: int
    skipped: int
    results: list[PreviewLineOut]


class FailureOut(Response):
    registration_id: str
    email: str | None
    full_name: str | None
    reason: str = Field(description="e.g. internal_error (RuntimeError), timed_out, conflict")


class IssueRunOut(Response):
    run_id: str
    event_id: str
    status: Literal["queued", "running", "succeeded", "failed"] = Field(
        description="failed: some people failed (see failures) or the run itself did (see error)"
    )
    automatic: bool = Field(description="started when the event completed (auto_issue_certificates)")
    requested_by: str | None
    total: int = Field(description="registrations the run covers")
    issued: int
    skipped: int
    failed: int
    exact: bool = Field(
        description="false while running: the counts are live and approximate (a retried person may "
        f"count twice); exact once the run has finished (each chunk of {CHUNK} is settled exactly)"
    )
    skipped_reasons: dict[str, int]
    failures: list[FailureOut] = Field(description="who was not issued and why (the first 500)")
    error: str | None = Field(description="why the run as a whole failed, e.g. event_not_completed")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
