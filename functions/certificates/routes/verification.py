"""Public certificate routes (no sign-in): verification by number as JSON and as a page for
people (the QR code on every PDF points at the page), and the guest's download link from the
issue mail. Every request counts against a per-IP budget (60 a minute → 429 Retry-After)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from lectern.certificates import access, verification
from lectern.deps import default_deps
from lectern.errors import NotFound
from lectern.http import client_ip, errors
from lectern.schemas import OpaqueToken

from functions.certificates.schemas.certificates import DownloadOut
from functions.certificates.schemas.verification import (
    VerificationOut,
    VerifiedFacts,
    VerifiedSession,
)

router = Router()
TAGS = ["certificates"]
Number = Annotated[
    str, Path(max_length=64, description="The certificate number, e.g. LCT-7K3M-Q9XW-2HRT-B4NZ")
]
HTML = "text/html; charset=utf-8"
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
PAGE_RESPONSE: dict[int, OpenAPIResponse] = {
    200: {"description": "An HTML page", "content": {"text/html": {"schema": {"type": "string"}}}},
    404: {
        "description": "No certificate has this number: an HTML page (a path that is no certificate page at "
        "all gets the JSON error envelope)",
        "content": {
            "text/html": {"schema": {"type": "string"}},
            "application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}},
        },
    },
}

DOWNLOAD_RESPONSE: dict[int, OpenAPIResponse] = {
    200: {
        "description": "A presigned URL of the PDF",
        "content": {"application/json": {"model": DownloadOut}},
    },
    303: {
        "description": "Browsers (Accept: text/html): a redirect to the presigned URL",
        "headers": {"Location": {"description": "The presigned URL", "schema": {"type": "string"}}},
    },
}


def _throttle() -> None:
    verification.throttle(client_ip(router), default_deps().clock.now())


def verification_out(v: verification.Verification) -> VerificationOut:
    return VerificationOut(
        number=v.number,
        status=v.status,  # type: ignore[arg-type]
        signature_valid=v.signature_valid,
        issued_at=v.issued_at,
        issuer=v.issuer,
        revoked_reason=v.revoked_reason,
        revoked_at=v.revoked_at,
        superseded_by_number=v.superseded_by_number,
        holder_withheld=v.holder_withheld,
        facts=VerifiedFacts.model_validate(
            {**v.facts, "sessions": [VerifiedSession.model_validate(s) for s in v.sessions]}
        ),
        page_url=verification.verify_url(v.number),
    )


@router.get(
    "/public/certificates/<number>",
    summary="Verify a certificate by its number: valid, revoked (why) or superseded, and what it says",
    description="`signature_valid` false means the record was altered after it was issued. The holder's "
    'name reads "(withheld)" once they erased their account; the certificate still verifies. '
    "404 for any number that is not a certificate's.",
    tags=TAGS,
    openapi_extensions=errors("429"),
)
def verify_certificate(number: Number) -> VerificationOut:
    _throttle()
    return verification_out(verification.verification(number))


@router.get(
    "/public/certificates/<number>/page",
    summary="The verification of a certificate as a page for people (the QR code's target)",
    tags=TAGS,
    responses=PAGE_RESPONSE,
    openapi_extensions=errors("429"),
)
def verification_page(number: Number) -> Response[str]:
    _throttle()
    try:
        body, status = verification.html_page(verification.verification(number)), 200
    except NotFound:
        body, status = verification.not_found_page(), 404
    return Response(status, HTML, body, headers=PAGE_HEADERS)


@router.get(
    "/public/certificates/<number>/download",
    summary="A guest holder's download link (from the issue mail): a presigned URL valid for 5 minutes",
    description="`token` is the one from the mail (valid 7 days, bound to this certificate). A browser "
    "(Accept: text/html) is redirected (303) to the PDF; other clients get `{url, expires_at}`. 401 "
    "`invalid_token` for a forged or expired token; 409 for a revoked or superseded certificate.",
    tags=TAGS,
    responses=DOWNLOAD_RESPONSE,
    openapi_extensions=errors("401", "409", "429"),
)
def guest_download(
    number: Number,
    token: Annotated[OpaqueToken, Query(description="The token from the issue mail")],
) -> Response[str]:
    _throttle()
    got = access.guest_download(number, token, default_deps().clock.now())
    no_store = {"Cache-Control": "no-store"}
    accept = str(router.current_event.get_header_value("accept", default_value="") or "")
    if "text/html" in accept.lower():
        return Response(303, "text/plain", "", headers={"Location": got.url, **no_store})
    body = DownloadOut(url=got.url, expires_at=got.expires_at).model_dump_json()
    return Response(200, "application/json", body, headers=no_store)
