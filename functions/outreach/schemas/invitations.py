"""Request/response models of the invitation routes (organiser and invitee)."""

from datetime import datetime
from typing import Annotated, Literal

from lectern.schemas import OpaqueToken, Request, Response, UUIDPath
from pydantic import Field, StringConstraints, model_validator

Status = Literal["sent", "registered", "declined", "revoked"]
Reason = Literal["invalid_address", "duplicate", "already_registered", "already_invited", "suppressed"]
Address = Annotated[str, StringConstraints(max_length=320)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class InvitationCreate(Request):
    """Exactly one of `emails` (1-500 addresses) or `contact_list` (the uuid of one of my lists)."""

    emails: list[Address] | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="1-500 addresses (invalid or repeated ones are reported per address, not refused)",
    )
    contact_list: UUIDPath | None = Field(
        default=None, description="One of my contact lists; more than 500 members run in the background (202)"
    )
    message: Note | None = Field(default=None, description="A note shown in the invitation mail")

    @model_validator(mode="after")
    def _one_target(self) -> "InvitationCreate":
        if (self.emails is None) == (self.contact_list is None):
            raise ValueError("send exactly one of `emails` or `contact_list`")
        return self


class InvitationResultOut(Response):
    index: int = Field(description="Position in `emails` (or in the list)")
    email: str
    included: bool = Field(description="Invited (dry run: would be invited)")
    reason: Reason | None = Field(description="Why not included")
    message: str | None = None
    invitation: str | None = Field(
        default=None, description="The invitation's uuid (new, or the existing one)"
    )


class InvitationRunOut(Response):
    uuid: str
    event: str
    contact_list: str
    status: Literal["running", "completed", "failed"]
    total: int | None = Field(description="Members of the list when the run started")
    processed: int
    invited: int
    skipped: int
    reasons: dict[str, int]
    error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class InvitationBatchOut(Response):
    dry_run: bool
    total: int = Field(description="Addresses considered")
    invited: int = Field(description="Invited (dry run: would be invited) — the exact recipient count")
    skipped: int
    reasons: dict[str, int] = Field(description="Skipped addresses per reason")
    results: list[InvitationResultOut]
    run: InvitationRunOut | None = Field(
        default=None, description="A large contact list's background run (answered 202)"
    )


class InvitationListItem(Response):
    uuid: str
    email: str
    status: Status
    mailed_at: datetime | None
    created_at: datetime


class InvitationOut(InvitationListItem):
    event: str
    message: str | None
    mail_pending: bool = Field(description="A mail is queued and not yet sent")
    resend_count: int
    registration: str | None = Field(description="The registration made through the link")
    registered_at: datetime | None
    declined_at: datetime | None
    revoked_at: datetime | None
    run: str | None
    updated_at: datetime


class InvitationPage(Response):
    items: list[InvitationListItem]
    next_cursor: str | None


class InvitationTokenRequest(Request):
    token: OpaqueToken


class InvitedEventOut(Response):
    uuid: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    format: str
    status: str


class InvitationOpenOut(Response):
    invitation: str = Field(description="The invitation's uuid")
    email: str = Field(description="The invited address: registering through the link must use it")
    email_locked: bool = True
    status: Status
    event: InvitedEventOut
