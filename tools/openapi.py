"""Generate the one OpenAPI 3 document of the whole API from every route group's routes.

* each operation is tagged with the group that serves it (`x-lectern-function`), which the
  CDK app and the local runtime use to route requests (one source of truth for the route table);
* operations that need a token carry `security: [{"bearerAuth": []}]`;
* every operation gets the error envelope for its possible errors.

`python -m tools.openapi` writes docs/openapi.json; `--check` fails if the committed document
differs from the code (CI drift check).
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "openapi.json"
_FILE_LIKE = re.compile(r"\.[a-z]+$")


def _error_schemas() -> dict[str, Any]:
    from lectern.http import ErrorEnvelope

    schema = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    return {"ErrorEnvelope": schema, **defs}


_ERRORS = {
    "400": "Malformed request (e.g. body is not JSON, invalid cursor)",
    "401": "Missing, invalid or expired token, or wrong credentials",
    "402": "Payment required (paid checkout is not available yet)",
    "403": "Not allowed for this account in its current state (e.g. email not verified)",
    "404": "Not found (also for resources the caller may not see)",
    "405": "Method not allowed on this path",
    "409": "Conflicts with the current state (e.g. a duplicate)",
    "413": "Request body too large",
    "415": "Request body is not JSON",
    "422": "Validation failed; details name each field",
    "429": "Too many requests; see Retry-After",
    "500": "Unexpected error; details carry the correlation id",
}


def public_path(path: str) -> str:
    """Routes are matched with or without a trailing slash; the contract spells them with one."""
    if path.endswith("/") or _FILE_LIKE.search(path):
        return path
    return path + "/"


def build() -> dict[str, Any]:
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    from functions.groups import GROUPS

    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Lectern API",
            "version": "1.0.0",
            "description": "CPD events, Zoom attendance and verifiable certificates. "
            "All paths are relative to the server URL (/api/v1).",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {},
        "components": {
            "schemas": _error_schemas(),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "tags": [],
    }
    for group in GROUPS:
        app = importlib.import_module(group.module).app
        part = json.loads(
            app.get_openapi_json_schema(
                title="Lectern",
                version="1.0.0",
                security_schemes={"bearerAuth": HTTPBearer(bearerFormat="JWT")},
            )
        )
        doc["tags"].append({"name": group.name, "description": group.description})
        for name, schema in part.get("components", {}).get("schemas", {}).items():
            existing = doc["components"]["schemas"].get(name)
            if existing is not None and existing != schema:
                raise SystemExit(f"schema name clash across groups: {name}")
            doc["components"]["schemas"][name] = schema
        for path, item in part.get("paths", {}).items():
            target = doc["paths"].setdefault(public_path(path), {})
            for method, op in item.items():
                if method in target:
                    raise SystemExit(f"two groups serve {method.upper()} {path}")
                op["x-lectern-function"] = group.name
                responses = op.setdefault("responses", {})
                codes = ["400", "404", "405", "413", "422", "429", "500"]
                if "requestBody" in op:
                    codes.append("415")
                # Route-specific errors, declared on the route: openapi_extensions=errors("409")
                codes.extend(op.pop("x-lectern-errors", []))
                if op.get("security") or group.name == "auth":
                    codes.append("401")  # auth's public routes answer 401 for bad credentials/tokens
                for code in codes:
                    responses.setdefault(
                        code,
                        {
                            "description": _ERRORS[code],
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}
                            },
                        },
                    )
                # powertools adds a generic 422 with its own schema; ours is the envelope
                responses["422"] = {
                    "description": _ERRORS["422"],
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}
                    },
                }
                target[method] = op
    for unused in ("HTTPValidationError", "ValidationError"):
        doc["components"]["schemas"].pop(unused, None)
    doc["paths"] = dict(sorted(doc["paths"].items()))
    doc["components"]["schemas"] = dict(sorted(doc["components"]["schemas"].items()))
    return doc


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if docs/openapi.json is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = OUTPUT.read_text() if OUTPUT.exists() else ""
        if current != text:
            print("docs/openapi.json is out of date: run `make openapi`", file=sys.stderr)
            return 1
        print("docs/openapi.json is current")
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({len(build()['paths'])} paths)")
    return 0


if __name__ == "__main__":
    sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared" / "python")]
    raise SystemExit(main())
