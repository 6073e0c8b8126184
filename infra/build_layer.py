"""Build the shared Lambda layer into build/layer (what `make layer` runs; it downloads wheels).

    python infra/build_layer.py [--out build/layer] [--compile-python PATH | --no-compile]

1. `pip install` the runtime dependencies of pyproject.toml for Lambda's platform — arm64,
   CPython of the runtime's version, binary wheels only (no Docker, nothing compiled here);
2. copy the `lectern` package in;
3. compile every module to bytecode with an interpreter *of the runtime's version* (bytecode is
   version-specific: a 3.11 .pyc is ignored by 3.12), in `unchecked-hash` mode: Lambda unpacks
   the layer with file times that do not match the sources, so timestamp-checked .pyc files
   would be recompiled (in memory, /opt is read-only) at every cold start. Unchecked-hash .pyc
   files in __pycache__ are used as they are; the sources stay for tracebacks.

The infra tests check the command this builds, never run it.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from infra.runtime import PIP_PLATFORM, PYTHON_VERSION  # noqa: E402

LECTERN_SRC = ROOT / "layers" / "shared" / "python" / "lectern"


def runtime_dependencies(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    return list(tomllib.loads(pyproject.read_text())["project"]["dependencies"])


def pip_command(target: Path, deps: list[str], python: str = sys.executable) -> list[str]:
    return [
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--no-compile",  # pip would write bytecode for *this* interpreter; step 3 compiles for the runtime
        "--platform",
        PIP_PLATFORM,
        "--only-binary=:all:",
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        "cp",
        "--target",
        str(target),
        *deps,
    ]


def compile_command(python: str, directory: Path) -> list[str]:
    return [
        python,
        "-m",
        "compileall",
        "-q",
        "-j",
        "0",
        "--invalidation-mode",
        "unchecked-hash",
        str(directory),
    ]


def find_runtime_python(version: str = PYTHON_VERSION) -> str | None:
    """A working interpreter of the runtime's version: on PATH, or installed by pyenv."""
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}"), reverse=True)
    for candidate in candidates:
        # a pyenv shim is on PATH even when that version is not selected: ask it
        if candidate and interpreter_version(candidate) == version:
            return candidate
    return None


def interpreter_version(python: str) -> str | None:
    try:
        out = subprocess.run(  # noqa: S603 (an interpreter path we found or were given)
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def build(out: Path, compile_python: str | None, *, compile_: bool = True) -> Path:
    if compile_:
        compile_python = compile_python or find_runtime_python()
        if not compile_python:
            raise SystemExit(
                f"no python{PYTHON_VERSION} interpreter found to compile the layer's bytecode "
                f"(pass --compile-python PATH, or --no-compile to ship sources only: slower cold starts)"
            )
        got = interpreter_version(compile_python)
        if got != PYTHON_VERSION:
            raise SystemExit(f"{compile_python} is Python {got}; the Lambda runtime is {PYTHON_VERSION}")
    if out.exists():
        shutil.rmtree(out)
    site = out / "python"
    site.mkdir(parents=True)
    subprocess.run(pip_command(site, runtime_dependencies()), check=True)  # noqa: S603 (our own argv)
    shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts pointing at the build machine's python
    shutil.copytree(LECTERN_SRC, site / "lectern", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if compile_ and compile_python:
        subprocess.run(compile_command(compile_python, site), check=True)  # noqa: S603 (our own argv)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "layer")
    parser.add_argument(
        "--compile-python", help=f"a python{PYTHON_VERSION} interpreter (default: found on PATH/pyenv)"
    )
    parser.add_argument("--no-compile", action="store_true", help="ship sources only (slower cold starts)")
    args = parser.parse_args(argv)
    out = build(args.out, args.compile_python, compile_=not args.no_compile)
    print(f"built {out} for python{PYTHON_VERSION} {PIP_PLATFORM}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
