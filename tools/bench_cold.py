"""Bench section 2: cold init per function, as a ratio to a floor measured in the same run.

Every measurement is a fresh `python -c` interpreter with the test environment (no network):
(a) import the handler module, (b) create the first DynamoDB client the function uses —
pynamodb's botocore client (`TableItem._get_connection().connection.client`), if the handler
imported `lectern.data` at all. The floor is tools/bench_floor.py: import boto3, create one
`boto3.client("dynamodb")`. Interpreter start-up itself is not timed (it is the same for all).

The children run the way Lambda does: an isolated interpreter (`-I -S`: no site-packages,
no PYTHON* variables) whose path is only the layer (`build/bench-layer`: the runtime
dependencies of pyproject.toml installed with `pip install --target`, exactly the set the
deployed layer holds, for this machine's platform), `layers/shared/python` and the function
code. The dev virtualenv (moto, CDK, schemathesis… ~200 packages, cryptography among them)
would otherwise be measured instead of the function. If the layer cannot be built (no package
index), the bench falls back to the dev environment and says so.

Bytecode is compiled first (Lambda ships .pyc); an untimed warm-up round also fills the OS
file cache. Runs alternate the order of the functions (forwards, backwards) to spread drift.
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
import sys
sys.path[:0] = {path!r}
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


LAYER_DIR = ROOT / "build" / "bench-layer"


def _runtime_requirements() -> list[str]:
    import tomllib

    with open(ROOT / "pyproject.toml", "rb") as fh:
        return list(tomllib.load(fh)["project"]["dependencies"])


def build_layer() -> str | None:
    """Install the runtime dependencies into build/bench-layer (cached by their pins).
    Returns None on success, else why the dev environment is used instead."""
    import hashlib

    reqs = _runtime_requirements()
    stamp = LAYER_DIR / ".stamp"
    digest = hashlib.sha256("\n".join(reqs).encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return None
    proc = subprocess.run(  # noqa: S603  pip with our own pinned requirements
        [sys.executable, "-m", "pip", "install", "-q", "--no-compile", "--target", str(LAYER_DIR), *reqs],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        return "could not build build/bench-layer (" + proc.stderr.strip()[-200:] + ")"
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "compileall", "-q", str(LAYER_DIR)], capture_output=True, check=False
    )
    stamp.write_text(digest)
    return None


def _child_path() -> list[str]:
    return [str(LAYER_DIR), str(ROOT / "layers" / "shared" / "python"), str(ROOT)]


def _child_env() -> dict[str, str]:
    import tests.conftest  # noqa: F401  the same environment the tests (and section 1) use

    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # Lambda runs from .pyc
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


_ISOLATED: list[str] = []


def _run(code: str, env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  our own interpreter and code
        [sys.executable, *_ISOLATED, *flags, "-c", code],
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
    fallback = build_layer()
    path: list[str] = []
    _ISOLATED.clear()
    if fallback is None:
        _ISOLATED.extend(["-I", "-S"])
        path = _child_path()
    subprocess.run(  # noqa: S603  our own interpreter, compileall
        [sys.executable, "-m", "compileall", "-q", *COMPILE_DIRS],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    targets = _targets()
    codes = {name: _CODE.format(module=module, client=client, path=path) for name, module, client in targets}
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
        "environment": "Lambda-like: -I -S, build/bench-layer + layers/shared/python + function code"
        if fallback is None
        else f"dev virtualenv ({fallback})",
        "functions": functions,
        "importtime": {
            "function": slowest["name"],
            "module": slowest["module"],
            "top_cumulative": top,
            "by_package": by_package,
        },
    }
