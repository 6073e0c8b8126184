"""Custom registration fields: their rules, and validating registration answers against them.

A field is stored on the event as `{field_id, label, type, required, options, help_text,
position}`. Answers are stored on the registration with their own label/type snapshot, so
changing or deleting a field later never touches answers already given.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from lectern.errors import ValidationFailed

TYPES = ("text", "long_text", "select", "multi_select", "checkbox", "number", "date")
WITH_OPTIONS = frozenset({"select", "multi_select"})
MAX_FIELDS = 30
MAX_OPTIONS = 50
MAX_TEXT = 500
MAX_LONG_TEXT = 5000


def check_field(field: dict[str, Any]) -> None:
    """The rules a whole field must satisfy (after a create or a partial change)."""
    options = field.get("options")
    if field["type"] in WITH_OPTIONS:
        if not options:
            raise ValidationFailed.field(
                "options",
                f"a {field['type']} field needs a non-empty list of options",
                code="options_required",
            )
        if len(set(options)) != len(options):
            raise ValidationFailed.field("options", "options must be unique", code="options_not_unique")
    elif options:
        raise ValidationFailed.field(
            "options", f"a {field['type']} field takes no options", code="options_forbidden"
        )


def sorted_fields(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(fields, key=lambda f: (f.get("position", 0), f["field_id"]))


class _Bad(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        raise _Bad("invalid_type", "must be text")
    value = value.strip()
    if len(value) > limit:
        raise _Bad("too_long", f"must be at most {limit} characters")
    return value


def _number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise _Bad("not_a_number", "must be a number")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError as exc:
            raise _Bad("not_a_number", "must be a number") from exc
    if not isinstance(value, (int, float)):
        raise _Bad("not_a_number", "must be a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Bad("not_a_number", "must be a finite number")
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
    return value


def _date(value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad("invalid_date", "must be an ISO date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError as exc:
        raise _Bad("invalid_date", "must be an ISO date (YYYY-MM-DD)") from exc


def _normalise(field: dict[str, Any], value: Any) -> Any:
    kind = field["type"]
    options = field.get("options") or []
    if kind == "text":
        return _text(value, MAX_TEXT)
    if kind == "long_text":
        return _text(value, MAX_LONG_TEXT)
    if kind == "select":
        if not isinstance(value, str):
            raise _Bad("invalid_type", "must be one of the options")
        if value not in options:
            raise _Bad("invalid_option", f"must be one of: {', '.join(options)}")
        return value
    if kind == "multi_select":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _Bad("invalid_type", "must be a list of options")
        bad = [v for v in value if v not in options]
        if bad:
            raise _Bad("invalid_option", f"not among the options: {', '.join(bad)}")
        return list(dict.fromkeys(value))
    if kind == "checkbox":
        if not isinstance(value, bool):
            raise _Bad("invalid_type", "must be true or false")
        if field.get("required") and value is not True:
            raise _Bad("required", "must be ticked")
        return value
    if kind == "number":
        return _number(value)
    if kind == "date":
        return _date(value)
    raise _Bad("invalid_type", f"unknown field type {kind}")


def validate_answers(fields: list[dict[str, Any]], answers: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Check registration answers (keyed by field uuid) against the event's fields.

    Returns what to store: `{field_id: {"label", "type", "value"}}` (optional fields left empty
    are not stored). Raises `ValidationFailed` with one detail per bad field
    (`custom_answers.<field_id>`)."""
    if not isinstance(answers, dict):
        raise ValidationFailed.field(
            "custom_answers", "must be an object keyed by field id", code="invalid_type"
        )
    by_id = {f["field_id"]: f for f in fields}
    details: list[dict[str, Any]] = []
    out: dict[str, dict[str, Any]] = {}

    def bad(field_id: str, code: str, message: str) -> None:
        details.append({"field": f"custom_answers.{field_id}", "code": code, "message": message})

    for field_id in answers:
        if field_id not in by_id:
            bad(str(field_id), "unknown_field", "this event has no such field")
    for field in sorted_fields(fields):
        fid = field["field_id"]
        value = answers.get(fid)
        if _missing(value):
            if field.get("required"):
                bad(fid, "required", f"“{field['label']}” is required")
            continue
        try:
            normalised = _normalise(field, value)
        except _Bad as exc:
            bad(fid, exc.code, exc.message)
            continue
        if field.get("required") and _missing(normalised):
            bad(fid, "required", f"“{field['label']}” is required")
            continue
        out[fid] = {"label": field["label"], "type": field["type"], "value": normalised}
    if details:
        fields_named = ", ".join(d["field"] for d in details)
        raise ValidationFailed(f"Some answers are invalid: {fields_named}.", details=details)
    return out
