"""Public verification of a certificate by its number (no sign-in)."""

from datetime import datetime

from lectern.schemas import Response
from pydantic import Field

from functions.certificates.schemas.certificates import CertificateStatus


class VerifiedSession(Response):
    title: str
    date: str
    minutes: int
    scheduled_minutes: int
    attended: bool = Field(description="the session counted towards the certificate")
    cpd_hours: float | None


class VerifiedFacts(Response):
    holder_name: str = Field(description='"(withheld)" after the holder erased their account')
    professional_title: str
    event_title: str
    dates: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    cpd_hours: float
    cpd_category: str
    multi_session: bool
    sessions_attended: int
    sessions_total: int
    attended_minutes: int
    sessions: list[VerifiedSession] = Field(description="multi-session events: the per-session breakdown")


class VerificationOut(Response):
    number: str
    status: CertificateStatus
    signature_valid: bool = Field(
        description="false: the record was altered after it was issued (tampered) — do not rely on it"
    )
    issued_at: datetime
    issuer: str
    revoked_reason: str | None
    revoked_at: datetime | None
    superseded_by_number: str | None
    holder_withheld: bool
    facts: VerifiedFacts
    page_url: str = Field(description="The same, as a page for people")
