"""The certificate layout schema (lectern.certificates.templates): defaults, normalisation,
errors naming `layout.<field>`, placeholders, image keys scoped to the template, merging a
PATCH, and `fill` (never `str.format`)."""

from __future__ import annotations

import pytest
from lectern.certificates import templates as T
from lectern.errors import ValidationFailed

OWNER, TEMPLATE = "owner-1", "template-1"


def _error(layout, **kw) -> dict:
    with pytest.raises(ValidationFailed) as exc:
        T.validate_layout(layout, **kw)
    (detail,) = exc.value.details
    return detail


def test_the_default_layout_is_valid_and_complete():
    assert T.validate_layout(None) == T.DEFAULT_LAYOUT
    assert T.validate_layout({}) == T.DEFAULT_LAYOUT
    assert set(T.DEFAULT_LAYOUT["show"]) == set(T.SHOW_FLAGS)
    assert T.default_layout() is not T.DEFAULT_LAYOUT
    copy = T.default_layout()
    copy["show"]["qr_code"] = False
    assert T.DEFAULT_LAYOUT["show"]["qr_code"] is True  # a deep copy


def test_values_are_normalised():
    out = T.validate_layout(
        {"title": "  Hi  ", "primary_color": "#a1b2c3", "subtitle": None, "show": {"dates": False}}
    )
    assert out["title"] == "Hi" and out["primary_color"] == "#A1B2C3" and out["subtitle"] == ""
    assert out["show"] == {**T.DEFAULT_LAYOUT["show"], "dates": False}


@pytest.mark.parametrize(
    ("layout", "field", "code"),
    [
        ("not an object", "layout", "invalid"),
        ({"nope": 1}, "layout.nope", "extra_forbidden"),
        ({"title": ""}, "layout.title", "string_too_short"),
        ({"footer": "x" * 301}, "layout.footer", "string_too_long"),
        ({"signatory_name": ["x"]}, "layout.signatory_name", "string_type"),
        ({"body_text": "{name} {unknown}"}, "layout.body_text", "unknown_placeholder"),
        ({"body_text": "{}"}, "layout.body_text", "unknown_placeholder"),
        ({"body_text": "{name:>10}"}, "layout.body_text", "unknown_placeholder"),
        ({"body_text": "{{name}}"}, "layout.body_text", "unbalanced_brace"),
        ({"title": "}{"}, "layout.title", "unbalanced_brace"),
        ({"font": "Serif"}, "layout.font", "enum"),
        ({"text_color": "#FFF"}, "layout.text_color", "color"),
        ({"text_color": 0xFFFFFF}, "layout.text_color", "color"),
        ({"show": ["qr_code"]}, "layout.show", "dict_type"),
        ({"show": {"qr_code": 1}}, "layout.show.qr_code", "bool_type"),
        ({"show": {"logo": True}}, "layout.show.logo", "extra_forbidden"),
        ({"logo_image_key": 5}, "layout.logo_image_key", "string_type"),
    ],
)
def test_bad_values_name_their_field(layout, field, code):
    detail = _error(layout)
    assert (detail["field"], detail["code"]) == (field, code)


def test_image_keys_only_under_this_templates_prefix_of_their_kind():
    prefix = T.image_prefix(OWNER, TEMPLATE, "logo")
    assert prefix == f"templates/{OWNER}/{TEMPLATE}/logo/"
    ok = T.validate_layout({"logo_image_key": prefix + "a.png"}, owner_id=OWNER, template_id=TEMPLATE)
    assert ok["logo_image_key"] == prefix + "a.png"
    assert (
        T.validate_layout({"logo_image_key": ""}, owner_id=OWNER, template_id=TEMPLATE)["logo_image_key"]
        is None
    )
    for key, value in (
        ("logo_image_key", f"templates/{OWNER}/other/logo/a.png"),
        ("logo_image_key", f"templates/other/{TEMPLATE}/logo/a.png"),
        ("background_image_key", prefix + "a.png"),
        ("logo_image_key", prefix + "../../../../users/x/avatar.png"),
        ("logo_image_key", "a.png"),
    ):
        assert _error({key: value}, owner_id=OWNER, template_id=TEMPLATE)["code"] == "foreign_image_key"
    # Without the ids (a template not created yet) no key is valid.
    assert _error({"logo_image_key": prefix + "a.png"})["code"] == "foreign_image_key"


def test_merging_a_patch_replaces_keys_and_show_flag_by_flag():
    current = T.validate_layout({"title": "A", "show": {"qr_code": False}})
    merged = T.merge_layout(current, {"subtitle": "B", "show": {"dates": False}})
    assert merged["title"] == "A" and merged["subtitle"] == "B"
    assert merged["show"]["qr_code"] is False and merged["show"]["dates"] is False
    assert current["subtitle"] != "B"  # the current layout is not modified


def test_a_stored_layout_is_read_over_the_defaults():
    stored = {"title": "Old", "show": {"qr_code": False, "retired_flag": True}, "retired_key": 1}
    out = T.merged_layout(stored)
    assert out["title"] == "Old" and out["show"]["qr_code"] is False
    assert "retired_key" not in out and "retired_flag" not in out["show"]
    assert T.layout_of(None) == T.DEFAULT_LAYOUT


def test_fill_substitutes_known_placeholders_only():
    values = {"name": "Ada", "event": "Ethics", "hours": "2 hours"}
    assert T.fill("{name} attended {event} ({hours}) {category}", values) == "Ada attended Ethics (2 hours) "
    assert T.fill("{name.__class__} {other}", values) == "{name.__class__} {other}"
    assert T.fill("{name}", {"name": "{event}"}) == "{event}"  # values are not re-read as placeholders
