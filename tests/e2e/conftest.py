"""The e2e tier: the local API (`python -m local.server`, what `make dev` runs) over real HTTP.

One server per test session, on a free port; its console output goes to a log file whose tail
is shown if it fails to come up.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0
_NOT_INHERITED = ("LECTERN_", "AWS_", "POWERTOOLS_")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def api_server() -> Iterator[str]:
    """Base URL (http://127.0.0.1:<port>) of a running local API."""
    port = _free_port()
    # The server runs as `make dev` would: none of the settings the unit/integration tiers put
    # in this process's environment (tests/conftest.py) leak into it.
    env = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_INHERITED)}
    env.update(
        {
            "LECTERN_PORT": str(port),
            "LECTERN_EXIT_WITH_PARENT": str(os.getpid()),
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "layers" / "shared" / "python")]),
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    log_file = Path(tempfile.mkstemp(prefix="lectern-e2e-", suffix=".log")[1])
    with log_file.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "local.server"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed as a whole at the end
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"local server exited with {proc.returncode}:\n{_tail(log_file)}", pytrace=False)
            try:
                r = requests.get(f"{base}/api/v1/health", timeout=2)
                if r.status_code == 200 and r.json() == {"status": "ok"}:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"local server not healthy after {START_TIMEOUT:.0f}s:\n{_tail(log_file)}", pytrace=False
                )
            time.sleep(0.1)
        yield base
    finally:
        _stop(proc)
        if os.environ.get("LECTERN_E2E_KEEP_LOG"):
            print(f"\nlocal server log: {log_file}")
        else:
            log_file.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def api_v1(api_server: str) -> str:
    """Base URL of the API itself (…/api/v1)."""
    return f"{api_server}/api/v1"


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s
