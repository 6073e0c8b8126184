"""One synthesis of the default app for the infra tests that assert on it (synthesis with
cdk-nag takes ~30 s; each module used to repeat it)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.infra.templates import real_templates, whole_template

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def synthesise(outdir: Path, **kwargs: object) -> SimpleNamespace:
    from infra.app import build_app

    if not OPENAPI.exists():
        pytest.fail("docs/openapi.json is missing: run `make openapi`")
    app, stack = build_app(outdir=str(outdir), **kwargs)
    app.synth()  # runs cdk-nag; an unacknowledged error raises here
    return SimpleNamespace(
        stack=stack, json=whole_template(stack), templates=real_templates(stack), outdir=outdir
    )


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    return synthesise(tmp_path_factory.mktemp("cdk.out"))
