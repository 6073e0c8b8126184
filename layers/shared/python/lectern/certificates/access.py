"""Who may see and download which certificate. PDFs are never public: every download is a
presigned GET of the certificate's own key that expires in minutes (`DOWNLOAD_TTL_SECONDS`),
with `Content-Disposition: attachment` and a safe file name.

* organiser: the event's certificates (GetItem event for ownership → Query GSI1
  `EVENT#<event>#CERTS`, one page per call) and any of them as a download (GetItem);
* holder: `USER#<user>#CERTS` on GSI2 (one Query per page) and their own downloads (GetItem);
  a revoked or superseded certificate is not offered to its holder (409);
* guest holder (no account yet): the issue mail carries a link with a token HMAC-bound to the
  certificate id and an expiry (`GUEST_LINK_DAYS`); the public route trades it for a presigned
  GET (GetItem number → GetItem certificate).

Another tenant's certificate, or someone else's, is 404 — existence is never leaked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from lectern import secrets
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


def _mac(certificate_id: str, expires: int) -> str:
    key = secrets.derived_key(_TOKEN_PURPOSE)
    digest = hmac.new(key, f"{certificate_id}:{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def download_token(certificate_id: str, now: datetime, days: int = GUEST_LINK_DAYS) -> tuple[str, datetime]:
    """`<expiry epoch>-<HMAC(certificate id, expiry)>` (URL-safe) and the expiry."""
    expires = int((now + timedelta(days=days)).timestamp())
    return f"{expires}-{_mac(certificate_id, expires)}", datetime.fromtimestamp(expires, UTC)


def check_download_token(certificate_id: str, token: str, now: datetime) -> None:
    expires_text, _, mac = (token or "").partition("-")
    if not expires_text.isdigit() or len(expires_text) > 12 or not mac:
        raise InvalidToken("The download link is invalid.")
    if not hmac.compare_digest(mac, _mac(certificate_id, int(expires_text))):
        raise InvalidToken("The download link is invalid.")
    if int(expires_text) <= int(now.timestamp()):
        raise InvalidToken(
            "The download link has expired. Create a Lectern account with this email address to "
            "find the certificate under your certificates."
        )


def guest_download_path(number: str) -> str:
    return f"/api/v1/public/certificates/{number}/download"


def guest_download(number: str, token: str, now: datetime) -> storage.PresignedGet:
    cert = verification.lookup(number)
    check_download_token(cert.certificate_id, token, now)
    _only_valid(cert)
    return _presign(cert, now)
