"""Who may see and download which certificate. PDFs are never public: every download is a
presigned GET of the certificate's own key that expires in minutes (`DOWNLOAD_TTL_SECONDS`),
with `Content-Disposition: attachment` and a safe file name.

* organiser: the event's certificates (GetItem event for ownership → Query GSI1
  `EVENT#<event>#CERTS`, one page per call) and any of them as a download (GetItem);
* holder: `USER#<user>#CERTS` on GSI2 (one Query per page) and their own downloads (GetItem);
  a revoked or superseded certificate is not offered to its holder (409);
* guest holder (no account yet): the issue mail carries a link whose token (`lectern.signing`)
  is bound to the certificate id and expires (`GUEST_LINK_DAYS`); the public route trades it for
  a presigned GET (GetItem number → GetItem certificate).

Another tenant's certificate, or someone else's, is 404 — existence is never leaked.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from lectern import signing
from lectern.certificates import verification
from lectern.data.base import TableItem
from lectern.data.certificates import CertificateItem
from lectern.data.pagination import Page, PageRequest, query_page
from lectern.errors import Conflict, InvalidToken, NotFound
from lectern.events.access import owned_event
from lectern.integrations import storage

DOWNLOAD_TTL_SECONDS = 300
GUEST_LINK_DAYS = 7
_TOKEN_PURPOSE = "certificate-download"


def _not_found() -> NotFound:
    return NotFound("The certificate does not exist.")


def get(certificate_id: str) -> CertificateItem:
    try:
        return CertificateItem.get(*CertificateItem.key(certificate_id), consistent_read=True)
    except CertificateItem.DoesNotExist as exc:
        raise _not_found() from exc


def owned(owner_id: str, certificate_id: str) -> CertificateItem:
    """A certificate the organiser issued (one GetItem)."""
    cert = get(certificate_id)
    if cert.owner_id != owner_id:
        raise _not_found()
    return cert


def filename(cert: CertificateItem) -> str:
    return f"certificate-{cert.number}.pdf"


def _presign(cert: CertificateItem, now: datetime) -> storage.PresignedGet:
    if not cert.pdf_key:
        raise Conflict("The certificate has no PDF.", code="certificate_without_pdf")
    # The URL's own clock (X-Amz-Date) has whole seconds: so has its expiry.
    signed_at = now.replace(microsecond=0)
    return storage.presign_get(cert.pdf_key, signed_at, ttl=DOWNLOAD_TTL_SECONDS, filename=filename(cert))


def _only_valid(cert: CertificateItem) -> None:
    if cert.status != "valid":
        raise Conflict(
            f"This certificate is {cert.status}; it can no longer be downloaded by its holder.",
            code="certificate_not_valid",
        )


# ---------------------------------------------------------------- organiser


def event_certificates(
    owner_id: str, event_id: str, page: PageRequest, status: str | None = None
) -> Page[CertificateItem]:
    owned_event(owner_id, event_id)
    pk, _ = CertificateItem.event_index(event_id, "")
    return query_page(
        TableItem.gsi1.query,
        page,
        f"certs:event:{event_id}:{owner_id}:{status or ''}",
        hash_key=pk,
        filter_condition=(CertificateItem.status == status) if status else None,
    )


def organiser_download(
    owner_id: str, event_id: str, certificate_id: str, now: datetime
) -> storage.PresignedGet:
    cert = owned(owner_id, certificate_id)
    if cert.event_id != event_id:
        raise _not_found()
    return _presign(cert, now)


# ---------------------------------------------------------------- holder


def my_certificates(user_id: str, page: PageRequest) -> Page[CertificateItem]:
    pk, _ = CertificateItem.holder_index(user_id, "", "")
    return query_page(
        TableItem.gsi2.query,
        page,
        f"certs:holder:{user_id}",
        hash_key=pk,
        scan_index_forward=False,
    )


def holder_download(user_id: str, certificate_id: str, now: datetime) -> storage.PresignedGet:
    cert = get(certificate_id)
    if cert.user_id != user_id:
        raise _not_found()
    _only_valid(cert)
    return _presign(cert, now)


# ---------------------------------------------------------------- guest link


def download_token(certificate_id: str, now: datetime, days: int = GUEST_LINK_DAYS) -> tuple[str, datetime]:
    """A signed link token (`lectern.signing`) bound to the certificate, and its expiry."""
    expires = (now + timedelta(days=days)).replace(microsecond=0)
    return signing.issue(_TOKEN_PURPOSE, {"certificate": certificate_id}, expires), expires


def check_download_token(certificate_id: str, token: str, now: datetime) -> None:
    message = (
        "The download link is invalid or has expired. Create a Lectern account with the email "
        "address the certificate was sent to: it is then listed under your certificates."
    )
    claims = signing.read(_TOKEN_PURPOSE, token, now, message)
    if claims.get("certificate") != certificate_id:
        raise InvalidToken(message)


def guest_download_path(number: str) -> str:
    return f"/api/v1/public/certificates/{number}/download"


def guest_download(number: str, token: str, now: datetime) -> storage.PresignedGet:
    cert = verification.lookup(number)
    check_download_token(cert.certificate_id, token, now)
    _only_valid(cert)
    return _presign(cert, now)
