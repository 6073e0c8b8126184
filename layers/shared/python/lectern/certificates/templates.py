"""Certificate templates: the layout schema the renderer reads, and versioned templates
(PRODUCT.md §6, spec-review H1).

The layout
----------
A template's `layout` is a plain dict (stored as JSON on the template version). `DEFAULT_LAYOUT`
lists every key with its default; `validate_layout()` is the one check of a layout and returns
it normalised (every key present, colours upper-case, texts stripped). The renderer
(`lectern.certificates.render`) reads exactly these keys:

| key                   | type                    | meaning                                            |
|-----------------------|-------------------------|----------------------------------------------------|
| title                 | str (1..120)            | the heading, e.g. "Certificate of Attendance"      |
| subtitle              | str (0..200)            | the line above the holder's name                   |
| body_text             | str (0..1000)           | the paragraph under the name                       |
| footer                | str (0..300)            | small print at the bottom                          |
| font                  | "serif" \\| "sans"      | the bundled DejaVu family                          |
| primary_color         | "#RRGGBB"               | heading and the holder's name                      |
| text_color            | "#RRGGBB"               | everything else                                    |
| border_color          | "#RRGGBB"               | the frame                                          |
| show                  | {flag: bool}            | which facts appear (see SHOW_FLAGS)                |
| issuer_name           | str (0..200)            | "" → the facts' issuer (the organiser)             |
| signatory_name        | str (0..200)            | "" → no signature block                            |
| signatory_title       | str (0..200)            |                                                    |
| background_image_key  | S3 key \\| None         | `templates/<owner>/<template>/background/…`        |
| logo_image_key        | S3 key \\| None         | `…/logo/…` (files bucket, see `image_prefix`)      |
| signature_image_key   | S3 key \\| None         | `…/signature/…`                                    |

Texts (title, subtitle, body_text, footer) may carry the placeholders in `PLACEHOLDERS` —
`{name}`, `{event}`, `{dates}`, `{hours}`, `{category}` — and nothing else: no other braces, no
format specs. `fill(text, values)` substitutes them (never `str.format`). Image keys point at
PNG/JPEG objects in the files bucket; a key whose object is missing or unreadable is drawn as
no image (the renderer never fails a certificate for a missing picture).
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import ClientError
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from lectern import audit, aws
from lectern.config import get_settings
from lectern.data import tx
from lectern.data.base import TableItem
from lectern.data.certificates import CertificateTemplateHeadItem, CertificateTemplateItem
from lectern.data.pagination import Page, PageRequest, query_page
from lectern.deps import Deps
from lectern.errors import Conflict, NotFound, ValidationFailed
from lectern.integrations import storage
from lectern.request import RequestMeta

# ---------------------------------------------------------------- the layout schema

PLACEHOLDERS: frozenset[str] = frozenset({"name", "event", "dates", "hours", "category"})
FONTS: frozenset[str] = frozenset({"serif", "sans"})
ORIENTATIONS: frozenset[str] = frozenset({"landscape", "portrait"})
SHOW_FLAGS: tuple[str, ...] = (
    "cpd_hours",
    "category",
    "dates",
    "session_breakdown",
    "certificate_number",
    "qr_code",
    "issuer",
)
IMAGE_KINDS: tuple[str, ...] = ("background", "logo", "signature")
IMAGE_KEYS: dict[str, str] = {kind: f"{kind}_image_key" for kind in IMAGE_KINDS}
COLOR_KEYS: tuple[str, ...] = ("primary_color", "text_color", "border_color")
# text key → (min length, max length); placeholders allowed in the first four.
PLACEHOLDER_TEXTS: dict[str, tuple[int, int]] = {
    "title": (1, 120),
    "subtitle": (0, 200),
    "body_text": (0, 1000),
    "footer": (0, 300),
}
PLAIN_TEXTS: dict[str, tuple[int, int]] = {
    "issuer_name": (0, 200),
    "signatory_name": (0, 200),
    "signatory_title": (0, 200),
}

DEFAULT_LAYOUT: dict[str, Any] = {
    "title": "Certificate of Attendance",
    "subtitle": "This is to certify that",
    "body_text": "has attended {event}.",
    "footer": "",
    "font": "serif",
    "primary_color": "#1F3A5F",
    "text_color": "#222222",
    "border_color": "#1F3A5F",
    "show": {
        "cpd_hours": True,
        "category": True,
        "dates": True,
        "session_breakdown": False,
        "certificate_number": True,
        "qr_code": True,
        "issuer": True,
    },
    "issuer_name": "",
    "signatory_name": "",
    "signatory_title": "",
    "background_image_key": None,
    "logo_image_key": None,
    "signature_image_key": None,
}

_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_BRACED = re.compile(r"\{([^{}]*)\}")


def default_layout() -> dict[str, Any]:
    """A fresh copy of the built-in layout (events without a template use it)."""
    return copy.deepcopy(DEFAULT_LAYOUT)


def image_prefix(owner_id: str, template_id: str, kind: str) -> str:
    """Where a template's uploaded images of one kind live in the files bucket."""
    return f"templates/{owner_id}/{template_id}/{kind}/"


def _invalid(key: str, message: str, code: str = "invalid") -> ValidationFailed:
    return ValidationFailed.field(f"layout.{key}", message, code=code)


def _check_placeholders(key: str, text: str) -> None:
    for name in _BRACED.findall(text):
        if name not in PLACEHOLDERS:
            allowed = ", ".join("{" + p + "}" for p in sorted(PLACEHOLDERS))
            raise _invalid(key, f"unknown placeholder {{{name}}}; use {allowed}", "unknown_placeholder")
    if "{" in _BRACED.sub("", text) or "}" in _BRACED.sub("", text):
        raise _invalid(key, "unbalanced brace; placeholders look like {name}", "unbalanced_brace")


def _text(key: str, value: Any, bounds: tuple[int, int]) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _invalid(key, "must be a string", "string_type")
    value = value.strip()
    low, high = bounds
    if len(value) < low:
        raise _invalid(key, "must not be empty", "string_too_short")
    if len(value) > high:
        raise _invalid(key, f"must be at most {high} characters", "string_too_long")
    return value


def _image_key(key: str, value: Any, prefix: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _invalid(key, "must be a string (an uploaded image's key) or null", "string_type")
    if prefix is None or not value.startswith(prefix) or ".." in value or len(value) > 1024:
        raise _invalid(
            key,
            "must be a key returned by this template's image upload (POST …/images)",
            "foreign_image_key",
        )
    return value


def validate_layout(
    layout: Mapping[str, Any] | None,
    *,
    owner_id: str | None = None,
    template_id: str | None = None,
) -> dict[str, Any]:
    """`layout` normalised over the defaults (missing keys take `DEFAULT_LAYOUT`'s value, `show`
    flags one by one). Raises `ValidationFailed` naming `layout.<key>` for the first bad key.

    Image keys are accepted only under this owner's template prefix
    (`templates/<owner_id>/<template_id>/<kind>/`); without both ids no image key is valid."""
    if layout is None:
        layout = {}
    if not isinstance(layout, Mapping):
        raise ValidationFailed.field("layout", "must be an object")
    unknown = sorted(set(layout) - set(DEFAULT_LAYOUT))
    if unknown:
        raise _invalid(unknown[0], "unknown layout field", "extra_forbidden")
    out = default_layout()
    for key, bounds in PLACEHOLDER_TEXTS.items():
        if key in layout:
            out[key] = _text(key, layout[key], bounds)
        _check_placeholders(key, out[key])
    for key, bounds in PLAIN_TEXTS.items():
        if key in layout:
            out[key] = _text(key, layout[key], bounds)
    if "font" in layout:
        if layout["font"] not in FONTS:
            raise _invalid("font", "must be serif or sans", "enum")
        out["font"] = layout["font"]
    for key in COLOR_KEYS:
        if key in layout:
            value = layout[key]
            if not isinstance(value, str) or not _COLOR.match(value):
                raise _invalid(key, "must be a colour as #RRGGBB", "color")
            out[key] = value.upper()
    if "show" in layout and layout["show"] is not None:
        show = layout["show"]
        if not isinstance(show, Mapping):
            raise _invalid("show", "must be an object of true/false flags", "dict_type")
        for flag, value in show.items():
            if flag not in SHOW_FLAGS:
                message = f"unknown flag; use {', '.join(SHOW_FLAGS)}"
                raise _invalid(f"show.{flag}", message, "extra_forbidden")
            if not isinstance(value, bool):
                raise _invalid(f"show.{flag}", "must be true or false", "bool_type")
            out["show"][flag] = value
    for kind, key in IMAGE_KEYS.items():
        if key in layout:
            prefix = image_prefix(owner_id, template_id, kind) if owner_id and template_id else None
            out[key] = _image_key(key, layout[key], prefix)
    return out


def merge_layout(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A PATCH of the layout: the given keys replace the current ones, `show` flag by flag.
    (Validate the result with `validate_layout`.)"""
    merged = {k: v for k, v in current.items() if k in DEFAULT_LAYOUT}
    for key, value in changes.items():
        if key == "show" and isinstance(value, Mapping) and isinstance(merged.get("show"), Mapping):
            merged["show"] = {**merged["show"], **value}
        else:
            merged[key] = value
    return merged


def fill(text: str, values: Mapping[str, Any]) -> str:
    """`text` with its placeholders replaced by `values` (missing ones by "")."""

    def one(m: re.Match[str]) -> str:
        return str(values.get(m.group(1), "")) if m.group(1) in PLACEHOLDERS else m.group(0)

    return _BRACED.sub(one, text)


def merged_layout(layout: Mapping[str, Any] | None) -> dict[str, Any]:
    """A stored layout over the defaults (no validation: it was validated when saved), so a
    key added to the schema later has its default."""
    out = default_layout()
    for key, value in (layout or {}).items():
        if key == "show" and isinstance(value, Mapping):
            out["show"].update({k: bool(v) for k, v in value.items() if k in SHOW_FLAGS})
        elif key in out:
            out[key] = value
    return out


def layout_of(item: CertificateTemplateItem | None) -> dict[str, Any]:
    """The layout to render a template version with (the built-in one for None)."""
    return merged_layout(item.layout if item is not None else None)


MAX_IMAGE_BYTES = 5 * 1024 * 1024


def load_image(key: str) -> bytes | None:
    """A template image's bytes from the files bucket for the renderer (`images=load_image`),
    or None when it is not a template image, is missing or is too large."""
    if not key.startswith("templates/") or ".." in key:
        return None
    try:
        got = aws.client("s3").get_object(Bucket=get_settings().files_bucket, Key=key)
    except ClientError:
        return None
    if int(got.get("ContentLength") or 0) > MAX_IMAGE_BYTES:
        return None
    data: bytes = got["Body"].read(MAX_IMAGE_BYTES + 1)
    return data if len(data) <= MAX_IMAGE_BYTES else None


# ---------------------------------------------------------------- versioned templates
#
# Access patterns (one table, see lectern/data/certificates.py):
#
# * create: TransactWriteItems (Put Head cond. not exists, Put V#00001 cond. not exists, audit).
# * list: Query GSI1 `OWNER#<owner>#TEMPLATES` (latest versions only, newest first; 1 per page).
# * read: Query PK `TEMPLATE#<id>`, SK begins_with `V#`, newest first, Limit 1 — the latest
#   version; the owner is checked on it.
# * versions: the same Query, paginated (1 per page).
# * edit: GetItem Head, GetItem V#<latest> → TransactWriteItems, either
#   - in place (the latest version has no issued certificates): Update V#n cond.
#     `issued_count = 0 AND is_latest_version`, Update Head cond. `revision = r AND
#     latest_version = n` (revision + 1), audit; or
#   - a new version (it has): Put V#n+1 cond. not exists (GSI1 moves to it), Update V#n cond.
#     `is_latest_version` (→ false, GSI1 removed), Update Head cond. `revision = r AND
#     latest_version = n` (latest_version n+1, revision + 1), audit.
#   A lost race (a concurrent edit, or an issue that made `issued_count` > 0 meanwhile) reads
#   again and tries once more — a new version then if needed — else 409 `edit_conflict`. Two
#   edits can never both move the head from the same revision: never two latest versions.
# * delete: GetItem Head → TransactWriteItems (Delete V#00001 cond. `issued_count = 0`, Delete
#   Head cond. `revision = r AND latest_version = 1`, audit). A version n+1 exists only because
#   version n had issued certificates, so `latest_version > 1` already means "has certificates":
#   409 `template_has_certificates`. Events still naming a deleted template get the built-in
#   layout (`version_for_issue` → None).
# * image upload: GetItem Head (ownership) → presigned POST (no write).
# * preview: the read Query → render → S3 PutObject under `tmp/` (expires in a day) → presigned GET.

Item = CertificateTemplateItem
Head = CertificateTemplateHeadItem
RESOURCE = "certificate_template"
MAX_EDIT_ATTEMPTS = 2

IMAGE_TYPES: dict[str, str] = {"image/png": "png", "image/jpeg": "jpg"}
IMAGE_MAX_BYTES: dict[str, int] = {
    "background": MAX_IMAGE_BYTES,
    "logo": 1024 * 1024,
    "signature": 1024 * 1024,
}
PREVIEW_TTL_SECONDS = 300

T = TypeVar("T")


class LostRace(Exception):
    """A template write lost a race (one of its conditions failed, or a concurrent
    transaction touched the same items): read again and retry."""


def _not_found() -> NotFound:
    return NotFound("The certificate template does not exist.")


def _edit_conflict() -> Conflict:
    return Conflict(
        "The certificate template was changed at the same time; reload it and try again.",
        code="edit_conflict",
    )


def _has_certificates() -> Conflict:
    return Conflict(
        "Certificates were issued with this template; it cannot be deleted (they keep their design).",
        code="template_has_certificates",
    )


def _commit(build: Callable[[TransactWrite], None]) -> None:
    try:
        with tx.write() as t:
            build(t)
    except TransactWriteError as exc:
        if tx.lost_race(exc):
            raise LostRace() from exc
        raise


def _retrying(attempt: Callable[[], T]) -> T:
    for _ in range(MAX_EDIT_ATTEMPTS):
        try:
            return attempt()
        except LostRace:
            continue
    raise _edit_conflict()


def _owned_head(owner_id: str, template_id: str) -> CertificateTemplateHeadItem:
    try:
        head = Head.get(*Head.key(template_id), consistent_read=True)
    except Head.DoesNotExist as exc:
        raise _not_found() from exc
    if head.owner_id != owner_id or head.deleted:
        raise _not_found()
    return head


def _version(template_id: str, version: int) -> CertificateTemplateItem:
    try:
        return Item.get(*Item.key(template_id, version), consistent_read=True)
    except Item.DoesNotExist as exc:
        raise _not_found() from exc


def _latest(template_id: str) -> CertificateTemplateItem | None:
    for item in Item.query(
        Item.key(template_id, 0)[0],
        Item.sk.startswith("V#"),
        scan_index_forward=False,
        limit=1,
        page_size=1,
        consistent_read=True,
    ):
        return item
    return None


def _check_orientation(orientation: str) -> str:
    if orientation not in ORIENTATIONS:
        raise ValidationFailed.field("orientation", "must be landscape or portrait", code="enum")
    return orientation


def _check_uploaded(key_name: str, key: str) -> None:
    """An image key names an object that was really uploaded (one S3 HeadObject)."""
    try:
        aws.client("s3").head_object(Bucket=get_settings().files_bucket, Key=key)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchKey", "NotFound"):
            raise _invalid(key_name, "nothing was uploaded under this key yet", "image_not_uploaded") from exc
        raise


def _changed_layout(
    owner_id: str, template_id: str, current: dict[str, Any], changes: Mapping[str, Any]
) -> dict[str, Any]:
    """`current` with a PATCH of layout keys applied, validated; new image keys must exist."""
    layout = validate_layout(merge_layout(current, changes), owner_id=owner_id, template_id=template_id)
    for key in IMAGE_KEYS.values():
        if layout[key] is not None and layout[key] != current.get(key):
            _check_uploaded(key, layout[key])
    return layout


# ---------------------------------------------------------------- create / read / list


def create_template(
    *,
    owner_id: str,
    name: str,
    orientation: str,
    layout: Mapping[str, Any] | None,
    meta: RequestMeta,
    deps: Deps,
) -> CertificateTemplateItem:
    """Version 1 of a new template. Its images are uploaded afterwards (POST …/images), so a
    new template's layout names none."""
    template_id = deps.ids()
    checked = validate_layout(layout, owner_id=owner_id, template_id=template_id)
    now = deps.clock.now()
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
    item = Item(
        *Item.key(template_id, 1),
        template_id=template_id,
        version_id=deps.ids(),
        version=1,
        is_latest_version=True,
        owner_id=owner_id,
        name=name,
        orientation=_check_orientation(orientation),
        layout=checked,
        issued_count=0,
        created_at=now,
        updated_at=now,
    )
    item.gsi1pk, item.gsi1sk = Item.owner_index(owner_id, template_id)
    head = Head(
        *Head.key(template_id),
        template_id=template_id,
        owner_id=owner_id,
        latest_version=1,
        revision=0,
        deleted=False,
    )
    with tx.write() as t:
        t.save(head, condition=Head.pk.does_not_exist())
        t.save(item, condition=Item.pk.does_not_exist())
        t.save(log.entry("lectern.certificate_template.created", RESOURCE, template_id, version=1))
    return item


def get_template(owner_id: str, template_id: str) -> CertificateTemplateItem:
    """The latest version (one Query)."""
    item = _latest(template_id)
    if item is None or item.owner_id != owner_id:
        raise _not_found()
    return item


def list_templates(owner_id: str, page: PageRequest) -> Page[CertificateTemplateItem]:
    """The owner's templates (their latest versions), newest first: one Query of GSI1 per page."""
    return query_page(
        functools.partial(Item.query, index_name="GSI1"),
        page,
        f"certificate-templates:{owner_id}",
        hash_key=Item.owner_index(owner_id, "")[0],
        scan_index_forward=False,
    )


def list_versions(owner_id: str, template_id: str, page: PageRequest) -> Page[CertificateTemplateItem]:
    """Every version of a template, newest first: one Query per page (the owner is checked on
    the items; a later page of a signed cursor may be empty)."""
    got = query_page(
        Item.query,
        page,
        f"certificate-template-versions:{owner_id}:{template_id}",
        hash_key=Item.key(template_id, 0)[0],
        range_key_condition=Item.sk.startswith("V#"),
        scan_index_forward=False,
        consistent_read=True,
    )
    if (not got.items and not page.cursor) or any(i.owner_id != owner_id for i in got.items):
        raise _not_found()
    return got


# ---------------------------------------------------------------- edit


@dataclass(frozen=True)
class EditPlan:
    """What an edit read and what it will write (`prepare_edit` → `commit_edit`)."""

    head: CertificateTemplateHeadItem
    latest: CertificateTemplateItem
    name: str
    orientation: str
    layout: dict[str, Any]
    fields: tuple[str, ...]  # the fields that change; empty: nothing to write

    @property
    def new_version(self) -> bool:
        return int(self.latest.issued_count or 0) > 0


def prepare_edit(owner_id: str, template_id: str, changes: Mapping[str, Any]) -> EditPlan:
    """Read the head and the latest version (two GetItems) and work out the edit. `changes`
    holds `name`, `orientation` and/or `layout` (a partial layout: the keys given replace
    the current ones)."""
    head = _owned_head(owner_id, template_id)
    latest = _version(template_id, int(head.latest_version))
    current = layout_of(latest)
    name = changes.get("name", latest.name)
    orientation = _check_orientation(changes.get("orientation", latest.orientation))
    layout = current
    if changes.get("layout") is not None:
        layout = _changed_layout(owner_id, template_id, current, changes["layout"])
    fields = tuple(
        f
        for f, old, new in (
            ("name", latest.name, name),
            ("orientation", latest.orientation, orientation),
            ("layout", current, layout),
        )
        if old != new
    )
    return EditPlan(head, latest, name, orientation, layout, fields)


def commit_edit(plan: EditPlan, *, owner_id: str, meta: RequestMeta, deps: Deps) -> CertificateTemplateItem:
    """Write an edit in one transaction: in place, or as a new version when the latest one has
    issued certificates. Raises `LostRace` when the template or its issued count moved since
    `prepare_edit` read them."""
    if not plan.fields:
        return plan.latest
    now = deps.clock.now()
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
    head, latest = plan.head, plan.latest
    template_id = latest.template_id
    revision, version = int(head.revision or 0), int(latest.version)
    head_unchanged = (Head.revision == revision) & (Head.latest_version == version)
    still_latest = Item.is_latest_version == True  # noqa: E712
    changed = ",".join(plan.fields)

    if not plan.new_version:

        def in_place(t: TransactWrite) -> None:
            t.update(
                latest,
                actions=[
                    Item.name.set(plan.name),
                    Item.orientation.set(plan.orientation),
                    Item.layout.set(plan.layout),
                    Item.updated_at.set(now),
                ],
                condition=(Item.issued_count == 0) & still_latest,
            )
            t.update(head, actions=[Head.revision.set(revision + 1)], condition=head_unchanged)
            t.save(
                log.entry(
                    "lectern.certificate_template.updated",
                    RESOURCE,
                    template_id,
                    version=version,
                    fields=changed,
                )
            )

        _commit(in_place)
        latest.name, latest.orientation, latest.layout, latest.updated_at = (
            plan.name,
            plan.orientation,
            plan.layout,
            now,
        )
        return latest

    item = Item(
        *Item.key(template_id, version + 1),
        template_id=template_id,
        version_id=deps.ids(),
        version=version + 1,
        is_latest_version=True,
        owner_id=owner_id,
        name=plan.name,
        orientation=plan.orientation,
        layout=plan.layout,
        issued_count=0,
        created_at=now,
        updated_at=now,
    )
    item.gsi1pk, item.gsi1sk = Item.owner_index(owner_id, template_id)

    def new_version(t: TransactWrite) -> None:
        t.save(item, condition=Item.pk.does_not_exist())
        t.update(
            latest,
            actions=[Item.is_latest_version.set(False), TableItem.gsi1pk.remove(), TableItem.gsi1sk.remove()],
            condition=still_latest,
        )
        t.update(
            head,
            actions=[Head.latest_version.set(version + 1), Head.revision.set(revision + 1)],
            condition=head_unchanged,
        )
        t.save(
            log.entry(
                "lectern.certificate_template.versioned",
                RESOURCE,
                template_id,
                version=version + 1,
                previous_version=version,
                fields=changed,
            )
        )

    _commit(new_version)
    return item


def update_template(
    *, owner_id: str, template_id: str, changes: Mapping[str, Any], meta: RequestMeta, deps: Deps
) -> CertificateTemplateItem:
    """Edit a template: in place while its latest version has no issued certificates, else as
    version n+1 (issued certificates keep theirs). A lost race is retried once, then 409."""

    def attempt() -> CertificateTemplateItem:
        plan = prepare_edit(owner_id, template_id, changes)
        return commit_edit(plan, owner_id=owner_id, meta=meta, deps=deps)

    return _retrying(attempt)


# ---------------------------------------------------------------- delete


def delete_template(*, owner_id: str, template_id: str, meta: RequestMeta, deps: Deps) -> None:
    """Delete a template no certificate was issued with (every item of it: head and version 1);
    409 `template_has_certificates` otherwise."""
    now = deps.clock.now()
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)

    def attempt() -> None:
        head = _owned_head(owner_id, template_id)
        revision = int(head.revision or 0)
        if int(head.latest_version) > 1:
            raise _has_certificates()
        first = Item(*Item.key(template_id, 1))

        def delete(t: TransactWrite) -> None:
            t.delete(first, condition=Item.issued_count == 0)
            t.delete(head, condition=(Head.revision == revision) & (Head.latest_version == 1))
            t.save(log.entry("lectern.certificate_template.deleted", RESOURCE, template_id))

        try:
            _commit(delete)
        except LostRace:
            if int(_version(template_id, 1).issued_count or 0) > 0:
                raise _has_certificates() from None
            raise

    _retrying(attempt)


# ---------------------------------------------------------------- images and preview


def image_upload(
    *, owner_id: str, template_id: str, kind: str, content_type: str, size: int, deps: Deps
) -> storage.PresignedPost:
    """A presigned POST for one image of the template: the key is fresh and under
    `templates/<owner>/<template>/<kind>/`, the policy pins it, the content type and the size
    limit of the kind (5 MB background, 1 MB logo and signature). PATCH the layout with the
    returned key once the upload is done."""
    _owned_head(owner_id, template_id)
    if kind not in IMAGE_MAX_BYTES:
        raise ValidationFailed.field("kind", f"must be one of {', '.join(IMAGE_KINDS)}", code="enum")
    ext = IMAGE_TYPES.get(content_type)
    if ext is None:
        raise ValidationFailed.field(
            "content_type", "must be image/png or image/jpeg", code="unsupported_type"
        )
    max_bytes = IMAGE_MAX_BYTES[kind]
    if not 1 <= size <= max_bytes:
        raise ValidationFailed.field(
            "size", f"a {kind} image is 1 byte to {max_bytes // (1024 * 1024)} MB", code="too_large"
        )
    key = storage.scoped_key(image_prefix(owner_id, template_id, kind).rstrip("/"), f"{deps.ids()}.{ext}")
    return storage.presign_post(
        key,
        deps.clock.now(),
        content_type=content_type,
        allowed_types=frozenset(IMAGE_TYPES),
        max_bytes=max_bytes,
    )


def preview(
    *,
    owner_id: str,
    template_id: str,
    orientation: str | None,
    layout_changes: Mapping[str, Any] | None,
    deps: Deps,
) -> storage.PresignedGet:
    """A sample PDF of the template — with unsaved changes applied when given (nothing is
    stored on the template) — as a short-lived download. The PDF lives under `tmp/`, which the
    bucket's lifecycle expires."""
    item = get_template(owner_id, template_id)
    layout = layout_of(item)
    if layout_changes:
        layout = _changed_layout(owner_id, template_id, layout, layout_changes)
    # The renderer and its reportlab import are loaded only by the routes that render.
    from lectern.certificates import facts, render, verification

    pdf = render.render_pdf(
        orientation=_check_orientation(orientation or item.orientation),
        layout=layout,
        facts=facts.sample_facts(),
        verify_url=verification.verify_url(render.SAMPLE_NUMBER),  # a number that verifies nothing
        images=load_image,
    )
    key = storage.scoped_key(f"tmp/previews/{owner_id}/{template_id}", f"{deps.ids()}.pdf")
    aws.client("s3").put_object(
        Bucket=get_settings().files_bucket, Key=key, Body=pdf, ContentType="application/pdf"
    )
    return storage.presign_get(
        key, deps.clock.now(), ttl=PREVIEW_TTL_SECONDS, filename=f"{item.name} (preview).pdf"
    )


# ---------------------------------------------------------------- for issuing and events


def version_for_issue(owner_id: str, template_id: str | None) -> CertificateTemplateItem | None:
    """The template version a certificate is issued with now: the latest version of the
    owner's template (one Query), or None — no template, a deleted one, or another owner's —
    meaning the built-in layout (`layout_of(None)`)."""
    if not template_id:
        return None
    item = _latest(template_id)
    if item is None or item.owner_id != owner_id:
        return None
    return item


def count_issue(transaction: TransactWrite, template_item: CertificateTemplateItem) -> None:
    """Inside the issuing transaction: one more certificate issued with this version (so an
    edit of it now makes a new version). Condition: the version is still the one the PDF was
    rendered from — an in-place edit that committed in between fails the issue, which then reads
    and renders again (so a certificate never records a version whose design it does not show)."""
    transaction.update(
        template_item,
        actions=[Item.issued_count.add(1)],
        condition=Item.pk.exists() & (Item.updated_at == template_item.updated_at),
    )


def check_reference(owner_id: str, template_id: str, field: str = "certificate_template") -> None:
    """An event may name only one of its organiser's existing templates (one GetItem):
    422 naming `field` otherwise."""
    try:
        head = Head.get(*Head.key(template_id), consistent_read=True)
    except Head.DoesNotExist:
        head = None
    if head is None or head.owner_id != owner_id or head.deleted:
        raise ValidationFailed.field(
            field, "must be one of your certificate templates", code="unknown_template"
        )
