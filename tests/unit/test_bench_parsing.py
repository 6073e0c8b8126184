"""The `make bench` floors table: parsed from docs/data-model.md (no moto, no subprocess)."""

from __future__ import annotations

import pytest

from tools.bench import load_floors, parse_floors
from tools.bench_ops import OPERATIONS

EXPECTED = {
    "auth.signup",
    "auth.signup_existing",
    "auth.verify_email",
    "auth.login",
    "auth.login_failed",
    "auth.refresh",
    "auth.refresh_reuse",
    "auth.logout",
    "auth.password_reset",
    "auth.password_reset_confirm",
    "authorizer",
    "users.me",
    "users.me_update",
    "users.change_password",
    "users.sessions_list",
    "users.session_revoke",
    "cpd.requirement_create",
    "cpd.requirement_get",
    "cpd.requirements_list",
    "cpd.requirement_update",
    "cpd.requirement_delete",
    "cpd.activity_create",
    "cpd.activity_get",
    "cpd.activities_list",
    "cpd.activity_update",
    "cpd.activity_delete",
    "cpd.summary",
}


def test_data_model_floors_table_lists_the_operations_with_integer_floors() -> None:
    floors = load_floors()
    assert EXPECTED <= set(floors), f"missing from the floors table: {sorted(EXPECTED - set(floors))}"
    assert all(type(f) is int and f >= 1 for f in floors.values()), floors
    assert floors["auth.signup"] == 1
    assert floors["auth.password_reset_confirm"] == 5
    assert floors["authorizer"] == 1


def test_every_operation_in_the_table_has_a_bench_scenario() -> None:
    assert set(load_floors()) <= set(OPERATIONS)


TABLE = """# doc
| other | table |
|---|---|
| `not.this` | 9 |

<!-- bench-floors: parsed -->
| operation | pattern | floor |
|---|---|---|
| `a.one` | x \u2192 y | 1 |
| b.two | z | 3 |

| after | table |
|---|---|
| `c.three` | 2 |
"""


def test_parser_reads_only_the_table_after_the_marker() -> None:
    assert parse_floors(TABLE) == {"a.one": 1, "b.two": 3}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("| operation | floor |\n|---|---|\n| `a` | 1 |\n", "marker"),
        (TABLE.replace("| 3 |", "| 3\u20134 |"), "not an integer"),
        (TABLE.replace("| floor |", "| calls |"), "'floor'"),
        (TABLE.replace("b.two", "a.one"), "twice"),
        ("<!-- bench-floors -->\n\ntext\n", "right after the marker"),
    ],
)
def test_parser_rejects_malformed_tables(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_floors(text)
