"""Certificates (PRODUCT.md §6, spec-review M7): the organiser's list per event, revoke and
re-issue; the holder's list; downloads as presigned GETs that expire in minutes — never a
public object URL. Another organiser's (or holder's) certificate is 404."""

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from lectern.certificates import access, issuing, verification
from lectern.certificates.facts import WITHHELD
from lectern.data.certificates import CertificateItem
from lectern.deps import default_deps
from lectern.http import BEARER, CursorQuery, LimitQuery, errors, page_request, principal, request_meta
from lectern.integrations.storage import PresignedGet
from lectern.schemas import UUIDPath

from functions.certificates.schemas.certificates import (
    CertificateOut,
    CertificatePage,
    DownloadOut,
    RevokeRequest,
)

router = Router()
TAGS = ["certificates"]
CertificateId = Annotated[UUIDPath, Path(description="The certificate's uuid")]
EventId = Annotated[UUIDPath, Path(description="The event's uuid")]


def certificate_out(c: CertificateItem) -> CertificateOut:
    facts: dict[str, Any] = dict(c.facts or {})
    return CertificateOut(
        uuid=c.certificate_id,
        number=c.number,
        status=c.status,  # type: ignore[arg-type]
        event=c.event_id,
        event_title=str(facts.get("event_title") or ""),
        registration=c.registration_id,
        holder_name=WITHHELD if c.holder_erased else str(facts.get("holder_name") or WITHHELD),
        email=c.email,
        dates=str(facts.get("dates") or ""),
        cpd_hours=float(facts.get("cpd_hours") or 0),
        cpd_category=str(facts.get("cpd_category") or ""),
        issuer=str(facts.get("issuer") or ""),
        issued_at=c.issued_at,
        template=c.template_id,
        template_version=int(c.template_version) if c.template_version is not None else None,
        revoked_reason=c.revoked_reason,
        revoked_at=c.revoked_at,
        superseded_by=c.superseded_by,
        supersedes=c.supersedes,
        verify_url=verification.verify_url(c.number),
    )


def download_out(got: PresignedGet) -> DownloadOut:
    return DownloadOut(url=got.url, expires_at=got.expires_at)


@router.get(
    "/events/<event_id>/certificates",
    summary="The certificates issued for my event",
    tags=TAGS,
    security=BEARER,
)
def list_event_certificates(
    event_id: EventId,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    status: Annotated[
        Literal["valid", "revoked", "superseded"] | None,
        Query(description="Only certificates with this status"),
    ] = None,
) -> CertificatePage:
    page = access.event_certificates(
        principal(router).user_id, str(event_id), page_request(limit, cursor), status
    )
    return CertificatePage(items=[certificate_out(c) for c in page.items], next_cursor=page.next_cursor)


@router.get(
    "/events/<event_id>/certificates/<certificate_id>/download",
    summary="Download a certificate of my event (a presigned URL valid for 5 minutes)",
    tags=TAGS,
    security=BEARER,
)
def download_event_certificate(event_id: EventId, certificate_id: CertificateId) -> DownloadOut:
    deps = default_deps()
    got = access.organiser_download(
        principal(router).user_id, str(event_id), str(certificate_id), deps.clock.now()
    )
    return download_out(got)


@router.post(
    "/certificates/<certificate_id>/revoke",
    summary="Revoke a certificate I issued, with a reason (public verification shows it; audited)",
    description="The holder's CPD hours from it stop counting. The registration keeps its (revoked) "
    "certificate, so automatic runs never issue it again; POST …/reissue issues a new one. 409 "
    "`certificate_not_valid` when it is already revoked or superseded.",
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def revoke_certificate(certificate_id: CertificateId, body: RevokeRequest) -> CertificateOut:
    cert = issuing.revoke(
        owner_id=principal(router).user_id,
        certificate_id=str(certificate_id),
        reason=body.reason,
        meta=request_meta(router),
        deps=default_deps(),
    )
    return certificate_out(cert)


@router.post(
    "/certificates/<certificate_id>/reissue",
    summary="Re-issue a certificate from the registration as it is now (e.g. a corrected name)",
    description="A new certificate with a new number replaces this one, which shows as superseded "
    "(or stays revoked) and names its replacement; the holder's CPD entry moves to the new one. "
    "409 when it was already replaced (`certificate_superseded`), when the registration is no "
    "longer eligible (`not_eligible`, `registration_cancelled`, ...) or changed meanwhile.",
    tags=TAGS,
    status_code=201,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def reissue_certificate(certificate_id: CertificateId) -> CertificateOut:
    cert = issuing.reissue(
        owner_id=principal(router).user_id,
        certificate_id=str(certificate_id),
        meta=request_meta(router),
        deps=default_deps(),
    )
    return certificate_out(cert)


@router.get("/users/me/certificates", summary="My certificates (newest first)", tags=TAGS, security=BEARER)
def list_my_certificates(limit: LimitQuery = 50, cursor: CursorQuery = None) -> CertificatePage:
    page = access.my_certificates(principal(router).user_id, page_request(limit, cursor))
    return CertificatePage(items=[certificate_out(c) for c in page.items], next_cursor=page.next_cursor)


@router.get(
    "/users/me/certificates/<certificate_id>/download",
    summary="Download one of my certificates (a presigned URL valid for 5 minutes)",
    description="409 `certificate_not_valid` for a revoked or superseded certificate.",
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def download_my_certificate(certificate_id: CertificateId) -> DownloadOut:
    deps = default_deps()
    return download_out(
        access.holder_download(principal(router).user_id, str(certificate_id), deps.clock.now())
    )
