"""Request/response models of certificates: the organiser's and the holder's lists, downloads
(presigned GETs that expire in minutes), revoke and re-issue (PRODUCT.md §6, spec-review M7)."""

from datetime import datetime
from typing import Annotated, Literal

from lectern.schemas import Request, Response
from pydantic import Field, StringConstraints

from functions.certificates.schemas.templates import DownloadOut

CertificateStatus = Literal["valid", "revoked", "superseded"]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]

__all__ = ["CertificateOut", "CertificatePage", "DownloadOut", "RevokeRequest"]


class CertificateOut(Response):
    uuid: str
    number: str = Field(
        description="The public certificate number (verification: /public/certificates/{number})"
    )
    status: CertificateStatus
    event: str = Field(description="The event's uuid")
    event_title: str
    registration: str = Field(description="The registration's uuid")
    holder_name: str
    email: str
    dates: str = Field(description="The event's dates as printed, in the event's timezone")
    cpd_hours: float
    cpd_category: str
    issuer: str
    issued_at: datetime
    template: str | None = Field(description="The template's uuid; null: the built-in layout")
    template_version: int | None
    revoked_reason: str | None
    revoked_at: datetime | None
    superseded_by: str | None = Field(description="The uuid of the certificate that replaced this one")
    supersedes: str | None = Field(description="The uuid of the certificate this one replaced")
    verify_url: str = Field(description="The public verification page (the QR code on the PDF)")


class CertificatePage(Response):
    items: list[CertificateOut]
    next_cursor: str | None = Field(
        default=None, description="Opaque cursor for the next page; null at the end"
    )


class RevokeRequest(Request):
    reason: Reason = Field(description="Why (shown on the public verification page)")
