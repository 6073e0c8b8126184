"""Bench section 2: cold init per function, as a ratio to a floor measured in the same run.

Every measurement is a fresh `python -c` interpreter with the test environment (no network):
(a) import the handler module, (b) create the first DynamoDB client the function uses —
pynamodb's botocore client (`TableItem._get_connection().connection.client`), if the handler
imported `lectern.data` at all. The floor is tools/bench_floor.py: import boto3, create one
`boto3.client("dynamodb")`. Interpreter start-up itself is not timed (it is the same for all).

Bytecode is compiled first and PYTHONDONTWRITEBYTECODE is removed from the children's
environment, since Lambda ships .pyc; an untimed warm-up round also fills the OS file cache.
Runs alternate the order of the functions (forwards, backwards) to spread drift.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from typing import Any

from tools.bench import ROOT

TARGET_RATIO = 1.3
COMPILE_DIRS = ("layers", "functions", "tools")

_CODE = """\
import time
_t0 = time.perf_counter()
import {module} as _mod
_t1 = time.perf_counter()
{client}
_t2 = time.perf_counter()
print("BENCH-COLD", _t1 - _t0, _t2 - _t1, int(_uses))
"""

_FUNCTION_CLIENT = """\
import sys
_uses = "lectern.data.base" in sys.modules
if _uses:
    from lectern.data.base import TableItem
    TableItem._get_connection().connection.client
"""

_FLOOR_CLIENT = """\
_uses = True
_mod.make_client()
"""


def _targets() -> list[tuple[str, str, str]]:
    """(name, module, client code): the floor, every route group, the authorizer."""
    from functions.groups import AUTHORIZER_MODULE, GROUPS

    out = [("floor", "tools.bench_floor", _FLOOR_CLIENT)]
    out += [(g.name, g.module, _FUNCTION_CLIENT) for g in GROUPS]
    out.append(("authorizer", AUTHORIZER_MODULE, _FUNCTION_CLIENT))
    return out


def _child_env() -> dict[str, str]:
    import tests.conftest  # noqa: F401  the same environment the tests (and section 1) use

    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # Lambda runs from .pyc
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def _run(code: str, env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  our own interpreter and code
        [sys.executable, *flags, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _measure(code: str, env: dict[str, str]) -> tuple[float, float, bool]:
    proc = _run(code, env)
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH-COLD "):
            _, imp, client, uses = line.split()
            return float(imp) * 1000, float(client) * 1000, uses == "1"
    raise RuntimeError(f"cold-init child failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")


def _importtime(code: str, env: dict[str, str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    proc = _run(code, env, "-X", "importtime")
    rows: list[dict[str, Any]] = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        try:
            self_us, cumulative_us, name = line[len("import time:") :].split("|", 2)
            depth = (len(name) - len(name.lstrip()) - 1) // 2
            rows.append(
                {
                    "module": name.strip(),
                    "depth": depth,
                    "self_ms": int(self_us) / 1000,
                    "cumulative_ms": int(cumulative_us) / 1000,
                }
            )
        except ValueError:
            continue
    top = sorted(rows, key=lambda r: r["cumulative_ms"], reverse=True)[:10]
    packages: dict[str, float] = {}
    for r in rows:
        pkg = r["module"].split(".")[0]
        packages[pkg] = packages.get(pkg, 0.0) + r["self_ms"]
    by_package = [
        {"package": p, "self_ms": ms} for p, ms in sorted(packages.items(), key=lambda kv: -kv[1])[:8]
    ]
    return top, by_package


def run_cold(runs: int = 5, strict: bool = False) -> dict[str, Any]:
    env = _child_env()
    subprocess.run(  # noqa: S603  our own interpreter, compileall
        [sys.executable, "-m", "compileall", "-q", *COMPILE_DIRS],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    targets = _targets()
    codes = {name: _CODE.format(module=module, client=client) for name, module, client in targets}
    for name, _, _ in targets:  # warm-up round, not timed: .pyc written, file cache warm
        _measure(codes[name], env)
    samples: dict[str, list[tuple[float, float, bool]]] = {name: [] for name, _, _ in targets}
    for i in range(runs):
        order = targets if i % 2 == 0 else list(reversed(targets))
        for name, _, _ in order:
            samples[name].append(_measure(codes[name], env))

    functions: list[dict[str, Any]] = []
    floor_total = None
    for name, module, _ in targets:
        s = samples[name]
        totals = [imp + client for imp, client, _ in s]
        uses = s[0][2]
        entry: dict[str, Any] = {
            "name": name,
            "module": module,
            "import_ms": statistics.median(imp for imp, _, _ in s),
            "client_ms": statistics.median(client for _, client, _ in s) if uses else None,
            "total_ms": statistics.median(totals),
            "min_ms": min(totals),
            "max_ms": max(totals),
            "samples_ms": [round(t, 1) for t in totals],
            "ratio": None,
            "verdict": "-",
            "note": "",
        }
        if name == "floor":
            floor_total = entry["total_ms"]
            entry["ratio"] = 1.0
            entry["note"] = "import boto3 + boto3.client('dynamodb')"
        else:
            assert floor_total
            entry["ratio"] = entry["total_ms"] / floor_total
            entry["verdict"] = "PASS" if entry["ratio"] <= TARGET_RATIO else "FAIL"
            if not uses:
                entry["note"] = "no DynamoDB client: the handler never imports lectern.data"
        functions.append(entry)

    measured = [f for f in functions if f["name"] != "floor"]
    slowest = max(measured, key=lambda f: f["total_ms"])
    top, by_package = _importtime(codes[slowest["name"]], env)
    return {
        "runs": runs,
        "target": TARGET_RATIO,
        "strict": strict,
        "compiled": list(COMPILE_DIRS),
        "functions": functions,
        "importtime": {
            "function": slowest["name"],
            "module": slowest["module"],
            "top_cumulative": top,
            "by_package": by_package,
        },
    }
