"""Request/response models of certificate templates (PRODUCT.md §6, spec-review H1, L1): the
layout's keys are those of `lectern.certificates.templates.DEFAULT_LAYOUT`; the domain module
checks their values (lengths, placeholders, colours, image keys) and names `layout.<key>`."""

from datetime import datetime
from typing import Literal

from lectern.schemas import Name, Request, Response
from pydantic import Field, StrictBool

Orientation = Literal["landscape", "portrait"]
Font = Literal["serif", "sans"]
ImageKind = Literal["background", "logo", "signature"]
ImageType = Literal["image/png", "image/jpeg"]

_PLACEHOLDERS = "May use {name}, {event}, {dates}, {hours}, {category}."
_COLOR = "#RRGGBB"
_IMAGE = "A key from POST /certificate-templates/{template_id}/images of this template; null: none"


class ShowIn(Request):
    """Which facts the certificate shows (only the flags sent change)."""

    cpd_hours: StrictBool | None = None
    category: StrictBool | None = None
    dates: StrictBool | None = None
    session_breakdown: StrictBool | None = None
    certificate_number: StrictBool | None = None
    qr_code: StrictBool | None = None
    issuer: StrictBool | None = None


class LayoutIn(Request):
    """Only the keys sent are set (the others keep their value, or the default on create)."""

    title: str | None = Field(default=None, max_length=2000, description=f"1-120 characters. {_PLACEHOLDERS}")
    subtitle: str | None = Field(default=None, max_length=2000, description=f"Up to 200. {_PLACEHOLDERS}")
    body_text: str | None = Field(default=None, max_length=5000, description=f"Up to 1000. {_PLACEHOLDERS}")
    footer: str | None = Field(default=None, max_length=2000, description=f"Up to 300. {_PLACEHOLDERS}")
    font: Font | None = None
    primary_color: str | None = Field(default=None, max_length=7, description=f"{_COLOR}: heading, name")
    text_color: str | None = Field(default=None, max_length=7, description=_COLOR)
    border_color: str | None = Field(default=None, max_length=7, description=_COLOR)
    show: ShowIn | None = Field(default=None, description="Flags sent change; null: the default flags")
    issuer_name: str | None = Field(default=None, max_length=2000, description="Empty: the organiser")
    signatory_name: str | None = Field(default=None, max_length=2000, description="Empty: no signature block")
    signatory_title: str | None = Field(default=None, max_length=2000)
    background_image_key: str | None = Field(default=None, max_length=1024, description=_IMAGE)
    logo_image_key: str | None = Field(default=None, max_length=1024, description=_IMAGE)
    signature_image_key: str | None = Field(default=None, max_length=1024, description=_IMAGE)

    def changes(self) -> dict[str, object]:
        return self.model_dump(exclude_unset=True)


class TemplateCreate(Request):
    name: Name
    orientation: Orientation = "landscape"
    layout: LayoutIn | None = Field(default=None, description="Omitted keys take the built-in defaults")


class TemplateUpdate(Request):
    """Only the fields sent change. If certificates were issued with the latest version, the
    change makes a new version (they keep theirs); otherwise the latest version changes."""

    name: Name | None = None
    orientation: Orientation | None = None
    layout: LayoutIn | None = None

    def changes(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for key in self.model_fields_set:
            value = getattr(self, key)
            if value is None:
                continue  # null means "unchanged"
            out[key] = value.changes() if isinstance(value, LayoutIn) else value
        return out


class PreviewRequest(Request):
    """Send `{}` to preview the saved template, or unsaved changes to see them first."""

    orientation: Orientation | None = None
    layout: LayoutIn | None = None


class ImageUploadRequest(Request):
    kind: ImageKind
    content_type: ImageType
    size: int = Field(
        ge=1, le=5 * 1024 * 1024, description="bytes; background ≤ 5 MB, logo and signature ≤ 1 MB"
    )


class ShowOut(Response):
    cpd_hours: bool
    category: bool
    dates: bool
    session_breakdown: bool
    certificate_number: bool
    qr_code: bool
    issuer: bool


class LayoutOut(Response):
    title: str
    subtitle: str
    body_text: str
    footer: str
    font: Font
    primary_color: str
    text_color: str
    border_color: str
    show: ShowOut
    issuer_name: str
    signatory_name: str
    signatory_title: str
    background_image_key: str | None
    logo_image_key: str | None
    signature_image_key: str | None


class TemplateSummaryOut(Response):
    """A template in a list (its latest version; lighter than the detail)."""

    uuid: str = Field(description="The template's stable id (= original_template)")
    name: str
    orientation: Orientation
    version: int
    issued_count: int = Field(description="Certificates issued with this version")
    created_at: datetime = Field(description="When this version was created")
    updated_at: datetime


class TemplateOut(TemplateSummaryOut):
    version_id: str = Field(description="This version's own id")
    is_latest_version: bool
    original_template: str = Field(description="The template's stable id (what events name)")
    layout: LayoutOut


class TemplatePage(Response):
    items: list[TemplateSummaryOut]
    next_cursor: str | None


class TemplateVersionPage(Response):
    items: list[TemplateOut]
    next_cursor: str | None


class PresignedUploadOut(Response):
    url: str
    fields: dict[str, str] = Field(description="Send these form fields, then the file as `file`")
    key: str = Field(description="Set this as the layout's <kind>_image_key once uploaded")
    expires_at: datetime


class DownloadOut(Response):
    url: str
    expires_at: datetime
