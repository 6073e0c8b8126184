"""Certificate templates (PRODUCT.md §6, spec-review H1): CRUD, versions, a sample preview and
image uploads. Organiser only; another organiser's template is 404 everywhere."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from lectern.certificates import templates as service
from lectern.data.certificates import CertificateTemplateItem
from lectern.deps import default_deps
from lectern.http import BEARER, CursorQuery, LimitQuery, errors, page_request, principal, request_meta
from lectern.schemas import UUIDPath

from functions.certificates.schemas.templates import (
    DownloadOut,
    ImageUploadRequest,
    LayoutOut,
    PresignedUploadOut,
    PreviewRequest,
    TemplateCreate,
    TemplateOut,
    TemplatePage,
    TemplateSummaryOut,
    TemplateUpdate,
    TemplateVersionPage,
)

router = Router()
TAGS = ["certificates"]
TemplateId = Annotated[UUIDPath, Path(description="The template's uuid")]


def summary_out(t: CertificateTemplateItem) -> TemplateSummaryOut:
    return TemplateSummaryOut(
        uuid=t.template_id,
        name=t.name,
        orientation=t.orientation,  # type: ignore[arg-type]
        version=int(t.version),
        issued_count=int(t.issued_count or 0),
        created_at=t.created_at,
        updated_at=t.updated_at,
    )


def template_out(t: CertificateTemplateItem) -> TemplateOut:
    return TemplateOut(
        **summary_out(t).model_dump(),
        version_id=t.version_id,
        is_latest_version=bool(t.is_latest_version),
        original_template=t.template_id,
        layout=LayoutOut.model_validate(service.layout_of(t)),
    )


@router.get(
    "/certificate-templates",
    summary="List my certificate templates (newest first)",
    tags=TAGS,
    security=BEARER,
)
def list_templates(limit: LimitQuery = 50, cursor: CursorQuery = None) -> TemplatePage:
    page = service.list_templates(principal(router).user_id, page_request(limit, cursor))
    return TemplatePage(items=[summary_out(t) for t in page.items], next_cursor=page.next_cursor)


@router.post(
    "/certificate-templates",
    summary="Create a certificate template (version 1)",
    description="Omitted layout keys take the built-in defaults. Images are uploaded afterwards "
    "(POST /certificate-templates/{template_id}/images), then set with PATCH.",
    tags=TAGS,
    status_code=201,
    security=BEARER,
)
def create_template(body: TemplateCreate) -> TemplateOut:
    t = service.create_template(
        owner_id=principal(router).user_id,
        name=body.name,
        orientation=body.orientation,
        layout=body.layout.changes() if body.layout else None,
        meta=request_meta(router),
        deps=default_deps(),
    )
    return template_out(t)


@router.get(
    "/certificate-templates/<template_id>",
    summary="One of my certificate templates (its latest version)",
    tags=TAGS,
    security=BEARER,
)
def get_template(template_id: TemplateId) -> TemplateOut:
    return template_out(service.get_template(principal(router).user_id, str(template_id)))


@router.patch(
    "/certificate-templates/<template_id>",
    summary="Change a template: in place, or as a new version once certificates were issued with it",
    description="Only the fields sent change; `layout` keys are merged into the current layout "
    "(`show` flag by flag). If certificates were issued with the latest version, the change "
    "creates version n+1 and they keep theirs. A concurrent change is retried once, then 409 "
    "`edit_conflict`.",
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def update_template(template_id: TemplateId, body: TemplateUpdate) -> TemplateOut:
    t = service.update_template(
        owner_id=principal(router).user_id,
        template_id=str(template_id),
        changes=body.changes(),
        meta=request_meta(router),
        deps=default_deps(),
    )
    return template_out(t)


@router.delete(
    "/certificate-templates/<template_id>",
    summary="Delete a template no certificate was issued with (409 template_has_certificates otherwise)",
    description="Events that named it get the built-in layout.",
    tags=TAGS,
    status_code=204,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def delete_template(template_id: TemplateId) -> None:
    service.delete_template(
        owner_id=principal(router).user_id,
        template_id=str(template_id),
        meta=request_meta(router),
        deps=default_deps(),
    )


@router.get(
    "/certificate-templates/<template_id>/versions",
    summary="Every version of a template, newest first",
    tags=TAGS,
    security=BEARER,
)
def list_versions(
    template_id: TemplateId, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> TemplateVersionPage:
    page = service.list_versions(principal(router).user_id, str(template_id), page_request(limit, cursor))
    return TemplateVersionPage(items=[template_out(t) for t in page.items], next_cursor=page.next_cursor)


@router.post(
    "/certificate-templates/<template_id>/preview",
    summary="Render a sample certificate with the template (a short-lived download)",
    description="Send `{}` for the saved template, or `orientation`/`layout` changes to preview "
    "them unsaved. Answers a presigned GET of the PDF that expires in minutes.",
    tags=TAGS,
    security=BEARER,
)
def preview_template(template_id: TemplateId, body: PreviewRequest) -> DownloadOut:
    got = service.preview(
        owner_id=principal(router).user_id,
        template_id=str(template_id),
        orientation=body.orientation,
        layout_changes=body.layout.changes() if body.layout else None,
        deps=default_deps(),
    )
    return DownloadOut(url=got.url, expires_at=got.expires_at)


@router.post(
    "/certificate-templates/<template_id>/images",
    summary="Upload a template image: a presigned POST (background ≤ 5 MB, logo and signature ≤ 1 MB)",
    description="POST the file to `url` with `fields` before `expires_at`, then PATCH the layout's "
    "`<kind>_image_key` with `key`.",
    tags=TAGS,
    status_code=201,
    security=BEARER,
)
def upload_image(template_id: TemplateId, body: ImageUploadRequest) -> PresignedUploadOut:
    got = service.image_upload(
        owner_id=principal(router).user_id,
        template_id=str(template_id),
        kind=body.kind,
        content_type=body.content_type,
        size=body.size,
        deps=default_deps(),
    )
    return PresignedUploadOut(url=got.url, fields=got.fields, key=got.key, expires_at=got.expires_at)
