"""Request/response models of the contact routes (PRODUCT.md §9; spec-review M2, L1)."""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from lectern.schemas import Email, LongText, Name, OptionalText, Request, Response
from pydantic import Field, field_validator

RegistrationStatus = Literal["confirmed", "waitlisted", "pending_payment", "cancelled"]


def _confirmed() -> list[RegistrationStatus]:
    return ["confirmed"]


def _not_null(v: Any) -> Any:
    if v is None:
        raise ValueError("may not be null")
    return v


# ---------------------------------------------------------------- lists


class ContactListCreate(Request):
    name: Name
    description: LongText = ""


class ContactListUpdate(Request):
    """Only the fields sent change."""

    name: Name | None = None
    description: LongText | None = None

    @field_validator("name", "description")
    @classmethod
    def _present(cls, v: Any) -> Any:
        return _not_null(v)


class ContactListSummaryOut(Response):
    uuid: str
    name: str
    contact_count: int
    updated_at: datetime


class ContactListOut(Response):
    uuid: str
    name: str
    description: str
    contact_count: int
    created_at: datetime
    updated_at: datetime


class ContactListPage(Response):
    items: list[ContactListSummaryOut]
    next_cursor: str | None


class ListDeletionOut(Response):
    deleted: bool
    removed_memberships: int
    remaining_memberships: int = Field(description="Call DELETE again to remove the rest")


# ---------------------------------------------------------------- contacts


class ContactCreate(Request):
    email: Email
    name: OptionalText = ""
    title: OptionalText = ""
    organization: OptionalText = ""
    notes: LongText = ""


class ContactUpdate(Request):
    """Only the fields sent change. A new email must not be another of my contacts' (409)."""

    email: Email | None = None
    name: OptionalText | None = None
    title: OptionalText | None = None
    organization: OptionalText | None = None
    notes: LongText | None = None

    @field_validator("email", "name", "title", "organization", "notes", mode="before")
    @classmethod
    def _present(cls, v: Any) -> Any:
        return _not_null(v)


class ContactSummaryOut(Response):
    uuid: str
    email: str
    name: str
    title: str
    organization: str


class ContactPage(Response):
    items: list[ContactSummaryOut]
    next_cursor: str | None


class ListRefOut(Response):
    uuid: str
    name: str
    added_at: datetime


class ContactOut(Response):
    uuid: str
    email: str
    name: str
    title: str
    organization: str
    notes: str
    created_at: datetime
    updated_at: datetime
    lists: list[ListRefOut]


class ContactAddedOut(Response):
    created: bool = Field(description="A new contact (false: my existing contact with this address)")
    already_in_list: bool
    contact: ContactOut


# ---------------------------------------------------------------- import


class ContactImportJson(Request):
    """The CSV file as a JSON string (the alternative to a `text/csv` body; bodies sent as JSON
    are limited to 256 KB)."""

    csv: Annotated[str, Field(min_length=1, max_length=256 * 1024)]


class FromEventRequest(Request):
    event: UUID = Field(description="One of my events")
    statuses: list[RegistrationStatus] = Field(default_factory=_confirmed, min_length=1, max_length=4)


class RowErrorOut(Response):
    row: int = Field(description="Row number as a spreadsheet shows it (the header is row 1)")
    field: str
    code: str
    message: str


class ImportOut(Response):
    uuid: str | None = Field(description="The import's record (null for a dry run: nothing is stored)")
    contact_list: str
    dry_run: bool
    source: Literal["csv", "event"]
    created_at: datetime
    total_rows: int = Field(description="Non-blank rows (or registrants) read")
    created: int = Field(description="New contacts added to the list")
    added_existing: int = Field(description="Existing contacts (same address) added to the list, unchanged")
    already_in_list: int
    duplicates: int = Field(description="Rows repeating an earlier row's address (skipped)")
    invalid: int = Field(description="Rows skipped because of errors")
    blank_rows: int
    errors: list[RowErrorOut]
    errors_truncated: bool = Field(description="More than 1,000 errors: only the first are listed")
    mapping: dict[str, str] = Field(description="Contact field → the column it was read from")
    ignored_columns: list[str]
    event: str | None = None
