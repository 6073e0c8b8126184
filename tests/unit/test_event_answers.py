"""validate_answers: registration answers checked against an event's custom fields."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lectern.errors import ValidationFailed
from lectern.events.fields import check_field, validate_answers


def _f(
    fid: str, kind: str, required: bool = False, options: list[str] | None = None, label: str = ""
) -> dict:
    return {
        "field_id": fid,
        "label": label or fid.title(),
        "type": kind,
        "required": required,
        "options": options or [],
        "help_text": "",
        "position": 0,
    }


FIELDS = [
    _f("t", "text", required=True),
    _f("lt", "long_text"),
    _f("s", "select", options=["Red", "Blue"]),
    _f("ms", "multi_select", options=["A", "B", "C"]),
    _f("cb", "checkbox"),
    _f("n", "number"),
    _f("d", "date"),
]


def _errors(fields, answers) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as exc:
        validate_answers(fields, answers)
    assert exc.value.status == 422
    return {d["field"]: d["code"] for d in exc.value.details}


def test_valid_answers_are_normalised_with_a_label_and_type_snapshot():
    out = validate_answers(
        FIELDS,
        {
            "t": "  hello ",
            "lt": "long",
            "s": "Blue",
            "ms": ["C", "A", "C"],
            "cb": False,
            "n": "42",
            "d": "2030-01-02",
        },
    )
    assert out == {
        "t": {"label": "T", "type": "text", "value": "hello"},
        "lt": {"label": "Lt", "type": "long_text", "value": "long"},
        "s": {"label": "S", "type": "select", "value": "Blue"},
        "ms": {"label": "Ms", "type": "multi_select", "value": ["C", "A"]},
        "cb": {"label": "Cb", "type": "checkbox", "value": False},
        "n": {"label": "N", "type": "number", "value": 42},
        "d": {"label": "D", "type": "date", "value": "2030-01-02"},
    }


def test_optional_fields_may_be_left_out_or_empty():
    assert validate_answers(FIELDS, {"t": "x", "lt": "", "ms": [], "n": None}) == {
        "t": {"label": "T", "type": "text", "value": "x"}
    }


def test_no_fields_and_no_answers():
    assert validate_answers([], {}) == {}


@pytest.mark.parametrize("value", [None, "", "   ", []])
def test_required_missing(value):
    assert _errors(FIELDS, {"t": value}) == {"custom_answers.t": "required"}
    assert _errors(FIELDS, {}) == {"custom_answers.t": "required"}


def test_a_required_checkbox_must_be_ticked():
    fields = [_f("agree", "checkbox", required=True)]
    assert _errors(fields, {"agree": False}) == {"custom_answers.agree": "required"}
    assert validate_answers(fields, {"agree": True})["agree"]["value"] is True


def test_a_required_multi_select_needs_one_option():
    fields = [_f("m", "multi_select", required=True, options=["A"])]
    assert _errors(fields, {"m": []}) == {"custom_answers.m": "required"}


@pytest.mark.parametrize(
    ("fid", "value", "code"),
    [
        ("t", 5, "invalid_type"),
        ("t", "x" * 501, "too_long"),
        ("lt", "x" * 5001, "too_long"),
        ("lt", ["a"], "invalid_type"),
        ("s", "Green", "invalid_option"),
        ("s", "red", "invalid_option"),
        ("s", ["Red"], "invalid_type"),
        ("ms", "A", "invalid_type"),
        ("ms", ["A", "Z"], "invalid_option"),
        ("ms", ["A", 1], "invalid_type"),
        ("cb", "yes", "invalid_type"),
        ("cb", 1, "invalid_type"),
        ("n", "forty", "not_a_number"),
        ("n", True, "not_a_number"),
        ("n", "nan", "not_a_number"),
        ("n", "inf", "not_a_number"),
        ("n", [1], "not_a_number"),
        ("d", "02/01/2030", "invalid_date"),
        ("d", "2030-02-30", "invalid_date"),
        ("d", 20300101, "invalid_date"),
    ],
)
def test_wrong_values_name_the_field_and_the_reason(fid, value, code):
    assert _errors(FIELDS, {"t": "ok", fid: value}) == {f"custom_answers.{fid}": code}


def test_unknown_field_ids_are_rejected():
    assert _errors(FIELDS, {"t": "ok", "nope": "x"}) == {"custom_answers.nope": "unknown_field"}


def test_every_bad_field_gets_its_own_detail():
    errors = _errors(FIELDS, {"s": "Green", "n": "x", "zzz": 1})
    assert errors == {
        "custom_answers.t": "required",
        "custom_answers.s": "invalid_option",
        "custom_answers.n": "not_a_number",
        "custom_answers.zzz": "unknown_field",
    }
    with pytest.raises(ValidationFailed) as exc:
        validate_answers(FIELDS, {"s": "Green"})
    assert all(set(d) == {"field", "code", "message"} and d["message"] for d in exc.value.details)


def test_answers_must_be_an_object():
    with pytest.raises(ValidationFailed) as exc:
        validate_answers(FIELDS, ["t"])  # type: ignore[arg-type]
    assert exc.value.details[0]["field"] == "custom_answers"


def test_numbers_keep_their_kind():
    fields = [_f("n", "number")]
    assert validate_answers(fields, {"n": 2.5})["n"]["value"] == 2.5
    assert validate_answers(fields, {"n": 3.0})["n"]["value"] == 3
    assert validate_answers(fields, {"n": -7})["n"]["value"] == -7


@pytest.mark.parametrize(
    ("field", "code"),
    [
        (_f("s", "select"), "options_required"),
        (_f("s", "multi_select", options=["A", "A"]), "options_not_unique"),
        (_f("s", "date", options=["A"]), "options_forbidden"),
    ],
)
def test_field_rules(field, code):
    with pytest.raises(ValidationFailed) as exc:
        check_field(field)
    assert exc.value.details[0] == {
        "field": "options",
        "code": code,
        "message": exc.value.details[0]["message"],
    }


# ---------------------------------------------------------------- properties

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@given(st.dictionaries(st.sampled_from([f["field_id"] for f in FIELDS] + ["x", "y"]), JSONISH, max_size=9))
def test_any_input_is_either_stored_normalised_or_rejected_field_by_field(answers):
    try:
        out = validate_answers(FIELDS, answers)
    except ValidationFailed as exc:
        assert exc.details and all(d["field"].startswith("custom_answers.") for d in exc.details)
        return
    assert set(out) <= set(answers) and "t" in out
    kinds = {f["field_id"]: f["type"] for f in FIELDS}
    for fid, stored in out.items():
        assert stored["type"] == kinds[fid] and stored["label"]


@given(st.lists(st.sampled_from(["A", "B", "C"]), min_size=1, max_size=10))
def test_multi_select_keeps_first_occurrence_order_without_duplicates(values):
    out = validate_answers([_f("m", "multi_select", options=["A", "B", "C"])], {"m": values})
    assert out["m"]["value"] == list(dict.fromkeys(values))


@given(st.dates())
def test_any_iso_date_round_trips(day):
    out = validate_answers([_f("d", "date")], {"d": day.isoformat()})
    assert out["d"]["value"] == day.isoformat()
