"""CSV import and export of a contact list, contacts from an event's registrations, and an
import's report (PRODUCT.md §9)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from lectern.contacts import export, imports
from lectern.deps import default_deps
from lectern.errors import ValidationFailed
from lectern.http import BEARER, csv_download, csv_response, errors, principal, request_meta
from lectern.schemas import UUIDPath
from lectern.throttle import bulk_budget_text

from functions.contacts import csv_body
from functions.contacts.schemas.contacts import (
    ContactImportJson,
    FromEventRequest,
    ImportOut,
    RowErrorOut,
)

router = Router()
TAGS = ["contacts"]
CSV_RESPONSE = csv_response("Header row `email,name,title,organization,notes`, then one row per contact")
DryRun = Annotated[bool, Query(description="Preview only: nothing is written or recorded")]
MapQuery = Annotated[
    str | None,
    Query(max_length=200, description="The CSV header to read this field from (overrides the guess)"),
]


def import_out(r: imports.ImportResult) -> ImportOut:
    rep = r.report
    return ImportOut(
        uuid=r.import_id,
        contact_list=r.list_id,
        dry_run=rep.dry_run,
        source=rep.source,  # type: ignore[arg-type]
        created_at=r.created_at,
        total_rows=rep.total_rows,
        created=rep.created,
        added_existing=rep.added_existing,
        already_in_list=rep.already_in_list,
        duplicates=rep.duplicates,
        invalid=rep.invalid,
        blank_rows=rep.blank_rows,
        errors=[RowErrorOut(row=e.row, field=e.field, code=e.code, message=e.message) for e in rep.errors],
        errors_truncated=rep.errors_truncated,
        mapping=rep.mapping,
        ignored_columns=rep.ignored_columns,
        event=rep.event_id,
    )


@router.post(
    "/contact-lists/<list_id>/import",
    summary="Import contacts into a list from a CSV file (dry_run=true previews)",
    description=(
        "Send the file as the body with `Content-Type: text/csv` (UTF-8, with or without a BOM; up to "
        f"{csv_body.MAX_CSV_BYTES // (1024 * 1024)} MB and 10,000 rows — larger is 413 / 422), or as JSON "
        '`{"csv": "..."}` (up to 256 KB). Columns are found by their usual headers, case-insensitively '
        "(Email / E-mail / Email address; Name / Full name, or First name + Last name; Title / Job title; "
        "Organization / Organisation / Company; Notes); `map_<field>=<header>` names a column explicitly. "
        "No email column → 422 `missing_email_column`; a file that is not UTF-8 → 422 `invalid_encoding`. "
        "Addresses are deduplicated case-insensitively within the file and against my contacts: an existing "
        "contact is added to the list unchanged (`added_existing`). Every skipped row is reported with its "
        "row number, field and reason. The import is recorded (GET .../imports/{uuid} shows the report for "
        "30 days). The cost is per started 1,000 rows. " + bulk_budget_text("contacts.import")
    ),
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("413", "429"),
)
def import_csv(
    list_id: Annotated[UUIDPath, Path()],
    body: ContactImportJson | None = None,
    dry_run: DryRun = False,
    map_email: MapQuery = None,
    map_name: MapQuery = None,
    map_title: MapQuery = None,
    map_organization: MapQuery = None,
    map_notes: MapQuery = None,
) -> ImportOut:
    raw = csv_body.upload(router)
    if raw is None:
        if body is None:
            raise ValidationFailed.field(
                "body", 'Send the CSV file (Content-Type: text/csv) or {"csv": "..."}.', code="missing"
            )
        raw = body.csv
    mapping = {
        "email": map_email,
        "name": map_name,
        "title": map_title,
        "organization": map_organization,
        "notes": map_notes,
    }
    result = imports.import_csv(
        owner_id=principal(router).user_id,
        list_id=str(list_id),
        raw=raw,
        mapping={k: v for k, v in mapping.items() if v},
        dry_run=dry_run,
        meta=request_meta(router),
        deps=default_deps(),
    )
    return import_out(result)


@router.get(
    "/contact-lists/<list_id>/imports/<import_id>",
    summary="The report of an import into this list (kept 30 days)",
    tags=TAGS,
    security=BEARER,
)
def get_import(list_id: Annotated[UUIDPath, Path()], import_id: Annotated[UUIDPath, Path()]) -> ImportOut:
    return import_out(imports.get_import(principal(router).user_id, str(list_id), str(import_id)))


@router.post(
    "/contact-lists/<list_id>/from-event",
    summary="Add an event's registrants to a list as contacts (dry_run=true previews)",
    description=(
        "Registrants of one of my events with the given statuses (default: confirmed) become contacts: "
        "email, full_name → name, professional_title → title, organization_name → organization. "
        "Existing contacts are added unchanged. The cost is per started 1,000 registrants. "
        + bulk_budget_text("contacts.import")
    ),
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("429"),
)
def from_event(
    list_id: Annotated[UUIDPath, Path()], body: FromEventRequest, dry_run: DryRun = False
) -> ImportOut:
    result = imports.from_event(
        owner_id=principal(router).user_id,
        list_id=str(list_id),
        event_id=str(body.event),
        statuses=list(dict.fromkeys(body.statuses)),
        dry_run=dry_run,
        meta=request_meta(router),
        deps=default_deps(),
    )
    return import_out(result)


@router.get(
    "/contact-lists/<list_id>/export",
    summary="Download a contact list as CSV",
    description=(
        "Columns email, name, title, organization, notes (the import reads them back). Cells that start "
        "like a formula are prefixed with a quote. Up to 20,000 rows (409 `export_too_large` beyond)."
    ),
    tags=TAGS,
    security=BEARER,
    responses=CSV_RESPONSE,
    openapi_extensions=errors("409"),
)
def export_csv(list_id: Annotated[UUIDPath, Path()]) -> Response[str]:
    out = export.export_csv(principal(router).user_id, str(list_id))
    return csv_download(out.body, out.filename)
