"""Request/response models of the organiser's bulk add."""

from typing import Annotated, Any, Literal

from lectern.schemas import Name, OptionalText, Request, Response
from pydantic import Field

Answers = Annotated[
    dict[Annotated[str, Field(max_length=64)], Any],
    Field(max_length=100, description="Answers to the event's custom fields: {field uuid: value}"),
]


class BulkRegistrant(Request):
    email: str = Field(
        min_length=1,
        max_length=320,
        description="Checked per person: an invalid address is reported in its result, not as a 422",
    )
    full_name: Name
    professional_title: OptionalText = ""
    organization_name: OptionalText = ""
    custom_answers: Answers = Field(default_factory=dict)


class BulkAddRequest(Request):
    registrants: list[BulkRegistrant] = Field(min_length=1, max_length=500)
    notify: bool = Field(default=False, description="Send each added person the usual confirmation mail")


class BulkResultOut(Response):
    index: int = Field(description="position in `registrants`")
    email: str
    added: bool = Field(description="added (in a dry run: would be added)")
    status: Literal["confirmed", "waitlisted"] | None
    reason: str | None = Field(
        description=(
            "why not added: already_registered, duplicate_in_request, invalid_email, invalid_custom_answers, "
            "event_full, not_processed (time budget ran out: send again), ...; "
            "or would_be_waitlisted / waitlisted for people added to the waitlist"
        )
    )
    message: str | None
    registration_id: str | None


class BulkAddOut(Response):
    dry_run: bool
    total: int
    added: int = Field(description="people added (in a dry run: who would be)")
    confirmed: int
    waitlisted: int
    skipped: int
    results: list[BulkResultOut]
