"""Asset staging at synth time: plain file copies into build/, no network, no Docker.

A function's asset holds only `functions/__init__.py`, `functions/groups.py` and its own
folder, so the handler string stays `functions.<group>.handler.lambda_handler` and one group's
deployment never changes because another group's code did (the asset hash is its content).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from infra.runtime import ROOT

BUILD_DIR = ROOT / "build"
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".mypy_cache", ".pytest_cache", ".DS_Store")


def _fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def stage_function(
    folder: str,
    *,
    root: Path = ROOT,
    build_dir: Path = BUILD_DIR,
    extra_files: Mapping[str, Path] | None = None,
) -> Path:
    """Copy `functions/{__init__,groups}.py` and `functions/<folder>/` into a clean staging dir.

    `extra_files` maps a path inside the asset (e.g. `functions/meta/openapi.json`) to a source.
    """
    src = root / "functions"
    own = src / folder
    if not (own / "handler.py").is_file():
        raise FileNotFoundError(f"{own}/handler.py does not exist: a route group needs its handler module")
    out = _fresh(build_dir / "functions" / folder)
    pkg = out / "functions"
    pkg.mkdir()
    for name in ("__init__.py", "groups.py"):
        shutil.copy2(src / name, pkg / name)
    shutil.copytree(own, pkg / folder, ignore=_IGNORE)
    for target, source in (extra_files or {}).items():
        if not source.is_file():
            raise FileNotFoundError(f"{source} does not exist (needed as {target} in the {folder} asset)")
        dest = out / target
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest)
    return out


def stage_layer_stub(*, root: Path = ROOT, build_dir: Path = BUILD_DIR) -> Path:
    """A layer with the `lectern` package only (no third-party dependencies).

    Enough to synthesise and test offline; a deployable layer comes from `make layer`
    (infra/build_layer.py), which adds the dependencies built for Lambda's platform.
    """
    out = _fresh(build_dir / "layer-stub")
    shutil.copytree(
        root / "layers" / "shared" / "python" / "lectern", out / "python" / "lectern", ignore=_IGNORE
    )
    return out


def stage_module(module: str, *, root: Path = ROOT, build_dir: Path = BUILD_DIR) -> Path:
    """One handler module alone (webhooks and bus consumers): `a.b.c` stages `a/b/c.py` with
    the `__init__.py` of each package on its path, nothing else, so the handler string stays
    `a.b.c.lambda_handler` and a function redeploys only when its own module changes."""
    parts = module.split(".")
    source = root.joinpath(*parts).with_suffix(".py")
    if len(parts) < 2 or not source.is_file():
        raise FileNotFoundError(f"{source} does not exist: a handler module is needed for {module}")
    out = _fresh(build_dir / "modules" / module.replace(".", "-"))  # no dots: CDK reads one as a suffix
    for depth in range(1, len(parts)):
        package = out.joinpath(*parts[:depth])
        package.mkdir(exist_ok=True)
        init = root.joinpath(*parts[:depth], "__init__.py")
        if init.is_file():
            shutil.copy2(init, package / "__init__.py")
    shutil.copy2(source, out.joinpath(*parts).with_suffix(".py"))
    return out
