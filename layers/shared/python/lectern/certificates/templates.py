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
import re
from collections.abc import Mapping
from typing import Any

from lectern.errors import ValidationFailed

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
