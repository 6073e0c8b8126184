"""The organiser's bulk add (with a dry-run preview; throttled per organiser — spec-review M6)
and the CSV export of an event's registrations."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from lectern.deps import default_deps
from lectern.http import BEARER, csv_download, csv_response, errors, principal, request_meta
from lectern.registrations import bulk, export
from lectern.schemas import UUIDPath
from lectern.throttle import bulk_budget_text

from functions.registrations.schemas.bulk import BulkAddOut, BulkAddRequest, BulkResultOut

router = Router()
TAGS = ["registrations"]
CSV_RESPONSE = csv_response("One row per registration (header row first)")


def bulk_out(r: bulk.BulkResult) -> BulkAddOut:
    return BulkAddOut(
        dry_run=r.dry_run,
        total=r.total,
        added=r.added,
        confirmed=r.confirmed,
        waitlisted=r.waitlisted,
        skipped=r.skipped,
        results=[
            BulkResultOut(
                index=o.index,
                email=o.email,
                added=o.added,
                status=o.status,  # type: ignore[arg-type]
                reason=o.reason,
                message=o.message,
                registration_id=o.registration_id,
            )
            for o in r.results
        ],
    )


@router.post(
    "/events/<event_id>/registrations",
    summary="Add up to 500 registrations to my event (dry_run=true previews without writing)",
    description=(
        "Each person is registered exactly as if they had registered themselves (capacity, waitlist, "
        "one active registration per email), without a mail unless `notify` is true. Per-person results "
        "say who was added and why not (`already_registered`, `duplicate_in_request`, `invalid_email`, "
        "`invalid_custom_answers`, `event_full`, `not_processed` when the request's time budget ran out; "
        "`would_be_waitlisted`/`waitlisted`). " + bulk_budget_text("registrations.bulk_add")
    ),
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("402", "409", "429"),
)
def bulk_add(
    event_id: Annotated[UUIDPath, Path()],
    body: BulkAddRequest,
    dry_run: Annotated[bool, Query(description="Preview only: nothing is written")] = False,
) -> BulkAddOut:
    people = [
        bulk.Registrant(
            email=p.email,
            full_name=p.full_name,
            professional_title=p.professional_title,
            organization_name=p.organization_name,
            custom_answers=p.custom_answers,
        )
        for p in body.registrants
    ]
    owner_id = principal(router).user_id
    if dry_run:
        return bulk_out(
            bulk.preview(owner_id=owner_id, event_id=str(event_id), registrants=people, deps=default_deps())
        )
    return bulk_out(
        bulk.add(
            owner_id=owner_id,
            event_id=str(event_id),
            registrants=people,
            notify=body.notify,
            meta=request_meta(router),
            deps=default_deps(),
        )
    )


@router.get(
    "/events/<event_id>/registrations/export",
    summary="Download my event's registrations as CSV",
    description=(
        "Every registration field, one column per custom field (headed by its label) and the attendance "
        "fields. Cells that start like a formula are prefixed with a quote. For up to 5,000 "
        "registrations (409 `export_too_large` beyond)."
    ),
    tags=TAGS,
    security=BEARER,
    responses=CSV_RESPONSE,
    openapi_extensions=errors("409"),
)
def export_registrations(event_id: Annotated[UUIDPath, Path()]) -> Response[str]:
    out = export.export_csv(principal(router).user_id, str(event_id))
    return csv_download(out.body, out.filename)
