"""`make bench`: DynamoDB calls per operation against the floors in docs/data-model.md, and
cold-init time per function as a ratio to a bare boto3 handler measured in the same run.

    python -m tools.bench [--json] [--strict-cold] [--runs N] [--skip-cold] [--skip-calls]

Exit status 1 when an operation makes more DynamoDB calls than its floor, when an operation
of the floors table has no bench scenario (or its scenario fails), and — only with
`--strict-cold`, because cold-init timings on a shared machine are noisy — when a function's
cold-init ratio misses the target.

Section 1 (tools/bench_ops.py) drives each operation through the HTTP-level test harness
(tests/support/api.py) under moto. Section 2 (tools/bench_cold.py) spawns fresh interpreters.

This module imports only the standard library at import time, so the floors-table parser is
cheap to test (tests/unit/test_bench_parsing.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA_MODEL = ROOT / "docs" / "data-model.md"
FLOORS_MARKER = "<!-- bench-floors"


# ---------------------------------------------------------------- floors table


def _cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|"):
        line = line[:-1]
    return [c.strip() for c in line.split("|")]


def parse_floors(markdown: str) -> dict[str, int]:
    """The first table after the `<!-- bench-floors` marker → {operation id: floor}, in table
    order. Operation ids may be wrapped in backticks. Raises ValueError on anything unexpected
    (no marker, no table, missing columns, a non-integer floor, a duplicate id)."""
    lines = markdown.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith(FLOORS_MARKER)), None)
    if start is None:
        raise ValueError(f"no {FLOORS_MARKER!r} marker")
    rows = iter(lines[start + 1 :])
    header: list[str] | None = None
    for line in rows:
        if line.strip().startswith("|"):
            header = [c.lower() for c in _cells(line)]
            break
        if line.strip():
            raise ValueError(f"expected the floors table right after the marker, found: {line.strip()!r}")
    if header is None:
        raise ValueError("no table after the bench-floors marker")
    try:
        op_col, floor_col = header.index("operation"), header.index("floor")
    except ValueError:
        raise ValueError(f"floors table needs 'operation' and 'floor' columns, has {header}") from None
    separator = next(rows, "")
    if not set(separator.replace("|", "").strip()) <= set("-: ") or "-" not in separator:
        raise ValueError(f"expected a table separator row, found: {separator.strip()!r}")
    floors: dict[str, int] = {}
    for line in rows:
        if not line.strip().startswith("|"):
            break
        cells = _cells(line)
        if len(cells) != len(header):
            raise ValueError(f"row has {len(cells)} cells, header has {len(header)}: {line.strip()!r}")
        op = cells[op_col].strip("`").strip()
        if not op:
            raise ValueError(f"empty operation id: {line.strip()!r}")
        try:
            floor = int(cells[floor_col])
        except ValueError:
            raise ValueError(f"floor of {op!r} is not an integer: {cells[floor_col]!r}") from None
        if floor < 0:
            raise ValueError(f"floor of {op!r} is negative: {floor}")
        if op in floors:
            raise ValueError(f"operation {op!r} listed twice")
        floors[op] = floor
    if not floors:
        raise ValueError("the floors table has no rows")
    return floors


def load_floors(path: Path = DATA_MODEL) -> dict[str, int]:
    return parse_floors(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- reporting


def _table(headers: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:  # type: ignore[assignment]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def fmt(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([fmt(headers), fmt(["-" * w for w in widths]), *(fmt(r) for r in rows)])


def _print_calls(result: dict[str, Any]) -> None:
    print("== DynamoDB calls per operation (moto, HTTP-level harness tests/support/api.py) ==")
    print("calls = DynamoDB API calls made while the route group's handler runs (botocore")
    print("BaseClient._make_api_call hook: pynamodb and boto3). Secured routes run the real authorizer")
    print("first, as API Gateway does; its calls are tagged by wrapping tests.support.api.authorize and")
    print("shown apart in 'authz' (not part of 'calls'). `authorizer` calls authorize() directly.")
    print("ses / events = SES and EventBridge calls in the same window (information, no floor).")
    rows = []
    for r in result["operations"]:
        ratio = f"{r['calls'] / r['floor']:.2f}" if r["floor"] and r["calls"] is not None else "-"
        rows.append(
            [
                r["operation"],
                "-" if r["calls"] is None else str(r["calls"]),
                str(r["floor"]) if r["floor"] is not None else "-",
                ratio,
                r["verdict"],
                "-" if r["authz"] is None else str(r["authz"]),
                "-" if r["ses"] is None else str(r["ses"]),
                "-" if r["events"] is None else str(r["events"]),
                ", ".join(r["dynamodb_ops"]) if r["dynamodb_ops"] else ("(see below)" if r["error"] else ""),
            ]
        )
    print(
        _table(
            [
                "operation",
                "calls",
                "floor",
                "ratio",
                "result",
                "authz",
                "ses",
                "events",
                "DynamoDB calls (in order)",
            ],
            rows,
            right={1, 2, 3, 5, 6, 7},
        )
    )
    for r in result["operations"]:
        if r["error"]:
            print(f"  {r['operation']}: {r['verdict']}: {r['error']}")
        for note in dict.fromkeys(r.get("notes") or []):
            print(f"  {r['operation']}: note: {note}")
    for op in result["unlisted"]:
        print(f"  note: scenario {op!r} is in tools/bench_ops.py but not in the floors table (not judged)")
    print()


def _print_cold(result: dict[str, Any]) -> None:
    c = result
    print(f"== Cold init per function (median of {c['runs']} fresh `python -c` runs, order alternated) ==")
    print("import = import the handler module; client = create the first DynamoDB client it uses")
    print("(TableItem._get_connection().connection.client, no network call). floor = a bare handler that")
    print("imports boto3 and creates boto3.client('dynamodb') (tools/bench_floor.py), same run, same env.")
    print(
        f"Bytecode precompiled first (compileall {' '.join(c['compiled'])}), PYTHONDONTWRITEBYTECODE unset:"
    )
    verdicts = (
        "--strict-cold given: a miss fails the bench."
        if c["strict"]
        else "informational (this machine is noisy): pass --strict-cold to make a miss fail the bench."
    )
    print(f"Lambda ships .pyc. Target ratio <= {c['target']:.2f}; {verdicts}")
    print(f"Environment: {c.get('environment', 'dev virtualenv')}")
    rows = []
    for f in c["functions"]:
        rows.append(
            [
                f["name"],
                f"{f['import_ms']:.0f}",
                "-" if f["client_ms"] is None else f"{f['client_ms']:.0f}",
                f"{f['total_ms']:.0f}",
                f"{f['min_ms']:.0f}-{f['max_ms']:.0f}",
                "-" if f["ratio"] is None else f"{f['ratio']:.2f}",
                f["verdict"],
                f["note"],
            ]
        )
    print(
        _table(
            ["function", "import ms", "client ms", "total ms", "range ms", "ratio", "result", "note"],
            rows,
            right={1, 2, 3, 4, 5},
        )
    )
    it = c.get("importtime")
    if it:
        print()
        where = f"{it['function']} ({it['module']})"
        print(f"Slowest function: {where}; `-X importtime`, one run (tracing inflates it):")
        print(
            _table(
                ["module (top 10 by cumulative; indent = nesting)", "cumulative ms", "self ms"],
                [
                    ["  " * m["depth"] + m["module"], f"{m['cumulative_ms']:.1f}", f"{m['self_ms']:.1f}"]
                    for m in it["top_cumulative"]
                ],
                right={1, 2},
            )
        )
        print(
            "self time by top-level package: "
            + ", ".join(f"{p['package']} {p['self_ms']:.0f} ms" for p in it["by_package"])
        )
    print()


def _summary_line(calls: dict[str, Any] | None, cold: dict[str, Any] | None) -> str:
    parts = []
    if calls is not None:
        ops = calls["operations"]
        within = sum(1 for r in ops if r["verdict"] == "PASS")
        over = sum(1 for r in ops if r["verdict"] == "FAIL")
        broken = sum(1 for r in ops if r["verdict"] not in ("PASS", "FAIL"))
        part = f"{within} operations at or under floor, {over} over"
        if broken:
            part += f", {broken} not measured (missing/error)"
        parts.append(part)
    if cold is not None:
        ratios = ", ".join(
            f"{f['name']} {f['ratio']:.2f}"
            for f in cold["functions"]
            if f["ratio"] is not None and f["name"] != "floor"
        )
        parts.append(f"cold-init ratios: {ratios}" + ("" if cold["strict"] else " (informational)"))
    return "bench: " + "; ".join(parts)


# ---------------------------------------------------------------- main


def _print_throughput(t: dict[str, Any]) -> None:
    print(
        f"\n## Attendance throughput (moto, in-process)\n\n"
        f"{t['participant_events']} participant events from {t['participants']} people "
        f"({t['deliveries']} deliveries incl. redeliveries): {t['seconds_processing']} s, "
        f"{t['per_event_ms']} ms per delivery; {t['dynamodb_calls']} DynamoDB calls "
        f"({t['calls_per_delivery']} per delivery: {t['dynamodb_by_operation']}); "
        f"meeting ended → completion and recompute of everyone: {t['seconds_completion']} s. "
        f"Outcomes: {t['outcomes']}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print machine-readable results instead of tables")
    ap.add_argument(
        "--strict-cold", action="store_true", help="fail when a cold-init ratio misses the target"
    )
    ap.add_argument("--runs", type=int, default=5, help="cold-init runs per function (median; default 5)")
    ap.add_argument("--skip-cold", action="store_true", help="only count DynamoDB calls")
    ap.add_argument("--skip-calls", action="store_true", help="only measure cold init")
    ap.add_argument(
        "--attendance",
        type=int,
        default=2_000,
        metavar="N",
        help="participant events for the attendance throughput run (0 skips it; default 2000; the "
        "issue's figure is 10000: make bench-full)",
    )
    ap.add_argument(
        "--certificates",
        type=int,
        default=100,
        metavar="N",
        help="certificates in one bulk issue run through the pipeline (0 skips it; default 100; "
        "make bench-full: 1000)",
    )
    ap.add_argument(
        "--import-rows",
        type=int,
        default=10_000,
        metavar="N",
        help="rows of the contacts CSV import run (0 skips it; default 10000, the issue's figure)",
    )
    args = ap.parse_args(argv)

    floors = load_floors()
    calls = cold = None
    failed = False
    if not args.skip_calls:
        from tools.bench_ops import run_operations

        calls = run_operations(floors)
        failed |= any(r["verdict"] != "PASS" for r in calls["operations"])
    if not args.skip_cold:
        from tools.bench_cold import run_cold

        cold = run_cold(runs=args.runs, strict=args.strict_cold)
        if args.strict_cold:
            failed |= any(f["verdict"] == "FAIL" for f in cold["functions"])

    render = None
    if not args.skip_calls:
        from tools.bench_render import render_ratio

        render = render_ratio()

    throughput = None
    if args.attendance and not args.skip_calls:
        from tools.bench_attendance import throughput as run_throughput

        throughput = run_throughput(participants=max(1, args.attendance // 20), events_each=20)

    bulk = None
    if args.certificates and not args.skip_calls:
        from tools.bench_certificates import bulk_issue

        bulk = bulk_issue(args.certificates)

    imported = None
    if args.import_rows and not args.skip_calls:
        from tools.bench_outreach import contacts_import

        imported = contacts_import(args.import_rows)

    line = _summary_line(calls, cold)
    if args.json:
        print(
            json.dumps(
                {
                    "calls": calls,
                    "cold_init": cold,
                    "attendance": throughput,
                    "bulk_issue": bulk,
                    "contacts_import": imported,
                    "summary": line,
                    "ok": not failed,
                },
                indent=2,
            )
        )
    else:
        if calls is not None:
            _print_calls(calls)
        if cold is not None:
            _print_cold(cold)
        if render is not None:
            print(
                f"\n## Certificate render + store (median of {render['runs']})\n\n"
                f"render_pdf + S3 put {render['render_and_store_ms']} ms vs bare reportlab page (same fonts, "
                f"text and QR) {render['bare_ms']} ms: ratio {render['ratio']} "
                f"(target <= {render['target']}: "
                f"{render['verdict']})"
            )
        if throughput is not None:
            _print_throughput(throughput)
        if bulk is not None:
            print(f"\n## Bulk certificate issue (the pipeline on moto)\n\n{json.dumps(bulk, indent=2)}")
        if imported is not None:
            print(f"\n## Contacts CSV import (one request, moto)\n\n{json.dumps(imported, indent=2)}")
        print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
