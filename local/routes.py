"""The route table of the local API Gateway — the CDK app's own: `infra.routes` reads the
OpenAPI document (`x-lectern-function`, `security`, plus the meta extras) and attaches each
operation to an API Gateway resource (`resource_paths`: mixed segments such as `{token}.ics`
become `{token}`, sibling variables share one name). Local mode builds the document fresh
from the code (`tools.openapi.build()`) instead of reading docs/openapi.json.

Webhooks are function URLs, served by local.server (WEBHOOKS), not by this table.

Paths are matched with or without a trailing slash; `{param}` matches one segment and
`{param+}` the rest of the path; percent-encoded segments are decoded into pathParameters.
When two resources match, the more specific one wins (static segments before variables), as
in API Gateway.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class Route:
    method: str  # upper case
    template: str  # full path, no trailing slash, e.g. /api/v1/users/{user_id}
    group: str  # the function (route group) that serves it
    secured: bool  # runs the Lambda authorizer first


# Third-party webhooks are Lambda function URLs in AWS (infra/constructs/webhooks.py), not API
# Gateway routes: the local server serves them from `local.server.WEBHOOKS` with function URL
# events. This tuple stays for a webhook that would sit behind the gateway (none does).
WEBHOOK_ROUTES: tuple[Route, ...] = ()


@dataclass
class _Template:
    template: str
    segments: tuple[str, ...]
    methods: dict[str, Route] = field(default_factory=dict)

    @property
    def specificity(self) -> tuple[int, ...]:
        # lower is more specific: static segment 0, {param} 1, {param+} 2
        return tuple(2 if s.endswith("+}") else 1 if s.startswith("{") else 0 for s in self.segments)

    def match(self, parts: list[str]) -> dict[str, str] | None:
        params: dict[str, str] = {}
        for i, seg in enumerate(self.segments):
            if seg.startswith("{") and seg.endswith("+}"):
                rest = parts[i:]
                if not rest or rest == [""]:
                    return None
                params[seg[1:-2]] = unquote("/".join(rest))
                return params
            if i >= len(parts):
                return None
            if seg.startswith("{") and seg.endswith("}"):
                if parts[i] == "":
                    return None
                params[seg[1:-1]] = unquote(parts[i])
            elif seg != unquote(parts[i]):
                return None
        return params if len(parts) == len(self.segments) else None


@dataclass(frozen=True)
class Match:
    template: str
    routes: dict[str, Route]  # method → route, every method the path serves
    params: dict[str, str]

    @property
    def allowed(self) -> list[str]:
        return sorted(self.routes)

    @property
    def preflight_group(self) -> str:
        """Who answers OPTIONS on this resource (every group answers preflight alike; the CDK
        app picks the first by name)."""
        return sorted({r.group for r in self.routes.values()})[0]


class RouteTable:
    def __init__(self, routes: Iterable[Route]) -> None:
        self._templates: dict[str, _Template] = {}
        for route in routes:
            tpl = self._templates.get(route.template)
            if tpl is None:
                tpl = _Template(route.template, _split(route.template))
                self._templates[route.template] = tpl
            if route.method in tpl.methods and tpl.methods[route.method] != route:
                raise ValueError(f"two functions serve {route.method} {route.template}")
            tpl.methods[route.method] = route
        self._ordered = sorted(self._templates.values(), key=lambda t: t.specificity)

    def __len__(self) -> int:
        return sum(len(t.methods) for t in self._templates.values())

    def routes(self) -> list[Route]:
        return [r for t in self._ordered for r in t.methods.values()]

    def groups(self) -> set[str]:
        return {r.group for r in self.routes()}

    def match(self, raw_path: str) -> Match | None:
        """The most specific template matching the (still percent-encoded) path."""
        parts = _split(raw_path)
        for tpl in self._ordered:
            params = tpl.match(list(parts))
            if params is not None:
                return Match(tpl.template, dict(tpl.methods), params)
        return None


def _split(path: str) -> tuple[str, ...]:
    path = path.split("?", 1)[0]
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return tuple(path.strip("/").split("/")) if path.strip("/") else ()


def from_infra(doc: dict[str, Any], groups: Iterable[str]) -> list[Route]:
    """The CDK app's routes for `doc`, as full-path local routes on their API Gateway resource."""
    from infra import routes as infra_routes

    resources = infra_routes.resource_paths(infra_routes.routes_from_document(doc, groups))
    return [
        Route(r.method, API_PREFIX + "/" + "/".join(parts), r.group, r.protected)
        for r, parts in sorted(resources.items())
    ]


@dataclass
class Loaded:
    table: RouteTable
    doc: dict[str, Any]
    groups: dict[str, str]  # group name → module
    missing: list[str]  # groups listed in GROUPS whose module does not exist yet


def _module_missing(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except ModuleNotFoundError as exc:
        return bool(exc.name) and module.startswith(str(exc.name))


def load(strict: bool = False) -> Loaded:
    """Import every route group and build the table from the OpenAPI document.

    A group whose module raises on import fails the start, loudly. A group whose module does
    not exist at all (still being written) is skipped with a warning, unless `strict`.
    """
    import functions.groups as groups_mod
    import tools.openapi

    declared = tuple(groups_mod.GROUPS)
    missing = [g.name for g in declared if _module_missing(g.module)]
    if missing and strict:
        raise SystemExit(f"route group module(s) missing: {', '.join(missing)}")
    present = tuple(g for g in declared if g.name not in missing)
    for g in present:
        importlib.import_module(g.module)  # an import error surfaces here, with its traceback
    if missing:
        groups_mod.GROUPS = present
    try:
        doc = tools.openapi.build()
    finally:
        groups_mod.GROUPS = declared
    known = {g.name for g in present}
    routes = from_infra(doc, known) + [r for r in WEBHOOK_ROUTES if r.group in known]
    return Loaded(RouteTable(routes), doc, {g.name: g.module for g in present}, missing)


def publish_openapi(doc: dict[str, Any], state_dir: Path) -> Path | None:
    """Serve the freshly built document from the meta function (as the packaged build would)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    target = state_dir / "openapi.json"
    target.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n")
    meta: Any = sys.modules.get("functions.meta.routes.meta")
    if meta is not None and hasattr(meta, "OPENAPI_FILE"):
        meta.OPENAPI_FILE = target
        return target
    return None
