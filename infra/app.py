"""CDK entry point: `python infra/app.py` (or `cdk synth`) synthesises into cdk.out/, offline.

Context comes from cdk.json (also when run without the cdk CLI) and `-c key=value` on the CLI;
see infra/config.py for the keys. cdk-nag's AwsSolutions pack validates the app at synthesis:
an unacknowledged error fails it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":
    # `python infra/app.py` puts infra/ first on sys.path, where infra/constructs would shadow the
    # `constructs` library: import from the repository root instead, as tests and the CLI do.
    sys.path[:1] = [str(ROOT), str(ROOT / "layers" / "shared" / "python")]
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from infra.config import DeploymentConfig  # noqa: E402
from infra.stack import LecternStack  # noqa: E402


def cdk_json_context(root: Path = ROOT) -> dict[str, Any]:
    path = root / "cdk.json"
    return dict(json.loads(path.read_text()).get("context", {})) if path.exists() else {}


def build_app(
    context: dict[str, Any] | None = None, outdir: str | None = None, **stack_kwargs: Any
) -> tuple[cdk.App, LecternStack]:
    """The app with cdk-nag attached. `context` overrides cdk.json; the CLI's `-c` overrides both."""
    app = cdk.App(context={**cdk_json_context(), **(context or {})}, outdir=outdir)
    config = DeploymentConfig.from_context(app.node.try_get_context)
    account, region = os.environ.get("CDK_DEFAULT_ACCOUNT"), os.environ.get("CDK_DEFAULT_REGION")
    stack = LecternStack(
        app,
        f"Lectern-{config.stage}",
        config=config,
        env=cdk.Environment(account=account, region=region) if account and region else None,
        **stack_kwargs,
    )
    cdk.Validations.of(app).add_plugins(
        AwsSolutionsChecks(app, verbose=True, write_suppressions_to_cloud_formation=True)
    )
    return app, stack


def main() -> None:
    # The cdk CLI says where to write (CDK_OUTDIR); run directly, write where it would: cdk.out/.
    app, stack = build_app(outdir=None if os.environ.get("CDK_OUTDIR") else str(ROOT / "cdk.out"))
    app.synth()
    if not stack.layer.full_build:
        print(
            f"note: {stack.config.layer_dir} not found, the shared layer holds `lectern` only (no "
            "dependencies); run `make layer` (python infra/build_layer.py) before deploying",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
