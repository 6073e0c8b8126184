"""The shared layer: `lectern` plus its runtime dependencies, at /opt/python in every function.

`make layer` (infra/build_layer.py) builds the full layer into build/layer for Lambda's
platform (arm64, the runtime's Python) and compiles it. When that directory does not exist,
the app synthesises from a stub with `lectern` only, so synthesis and the infra tests work
offline; such a template is not meant to be deployed.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Annotations
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constructs.functions import ARCHITECTURE, RUNTIME
from infra.runtime import ROOT
from infra.staging import stage_layer_stub


def resolve_layer_dir(layer_dir: str, root: Path = ROOT) -> tuple[Path, bool]:
    """(directory, is_full_build)."""
    path = Path(layer_dir)
    if not path.is_absolute():
        path = root / path
    if (path / "python").is_dir():
        return path, True
    return stage_layer_stub(root=root), False


class SharedLayer(Construct):
    def __init__(self, scope: Construct, id: str, *, layer_dir: str, stage: str) -> None:
        super().__init__(scope, id)
        self.directory, self.full_build = resolve_layer_dir(layer_dir)
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            layer_version_name=f"lectern-{stage}-shared",
            description="lectern domain package and its runtime dependencies",
            code=lambda_.Code.from_asset(str(self.directory)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
        )
        if not self.full_build:
            Annotations.of(self).add_info(
                f"{layer_dir} not found: the shared layer holds `lectern` only (no dependencies). "
                "Run `make layer` before deploying."
            )
