"""The API Gateway route table, read from the OpenAPI contract (docs/openapi.json).

Every operation names the group function that serves it (`x-lectern-function`) and says whether
it needs a token (`security`). The CDK app, the tests and the local runtime read the same
document, so the deployed routes cannot drift from the code.

Plain Python (no CDK import) so tests can derive their expectations from it cheaply.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.runtime import ROOT

OPENAPI_FILE = ROOT / "docs" / "openapi.json"
API_BASE: tuple[str, ...] = ("api", "v1")  # the document's server URL, /api/v1
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")

_PARAM = re.compile(r"^\{[A-Za-z_][A-Za-z0-9_]*\+?\}$")
_PARAM_INSIDE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_LITERAL = re.compile(r"^[A-Za-z0-9._~:@!$&'()*+,;=-]+$")


@dataclass(frozen=True, order=True)
class Route:
    path: str  # as in the contract, relative to /api/v1, e.g. "/auth/login/"
    method: str  # upper case
    group: str  # the route group function that serves it
    protected: bool  # True: the REQUEST authorizer runs first

    @property
    def segments(self) -> tuple[str, ...]:
        """API Gateway resource path parts below /api/v1 (before sibling unification)."""
        return tuple(resource_part(s) for s in self.path.strip("/").split("/") if s)


# Served by the meta function but left out of the document itself (include_in_schema=False).
EXTRA_PUBLIC_ROUTES: tuple[Route, ...] = (
    Route("/openapi.json", "GET", "meta", False),
    Route("/docs", "GET", "meta", False),
    Route("/docs/{asset}", "GET", "meta", False),
)


def resource_part(segment: str) -> str:
    """One URL segment as an API Gateway path part.

    API Gateway allows a literal or a whole `{param}` per part; a segment that mixes both
    (`{token}.ics`) becomes the variable `{token}`: the function's own router matches the exact
    path, API Gateway only needs to reach the function.
    """
    if _PARAM.match(segment):
        return segment
    if "{" in segment or "}" in segment:
        names = _PARAM_INSIDE.findall(segment)
        if not names:
            raise ValueError(f"cannot map path segment {segment!r} to an API Gateway resource")
        return "{" + names[0] + "}"
    if not _LITERAL.match(segment):
        raise ValueError(f"path segment {segment!r} has characters API Gateway does not allow")
    return segment


def is_protected(operation: Mapping[str, Any]) -> bool:
    """A token is required when the operation lists a security requirement and none is empty
    (`security: [{}, {"bearerAuth": []}]` means the token is optional: no authorizer then,
    the function reads the token itself)."""
    requirements = operation.get("security") or []
    return bool(requirements) and all(bool(r) for r in requirements)


def load_document(path: Path = OPENAPI_FILE) -> dict[str, Any]:
    if not path.exists():
        raise FileNotFoundError(
            f"{path} does not exist: generate it with `make openapi` (python -m tools.openapi) first"
        )
    return json.loads(path.read_text())


def routes_from_document(doc: Mapping[str, Any], groups: Iterable[str]) -> list[Route]:
    """Every operation of the document plus EXTRA_PUBLIC_ROUTES, checked against the groups."""
    known = set(groups)
    routes: list[Route] = []
    for path, item in (doc.get("paths") or {}).items():
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue  # path-level keys: parameters, summary, ...
            if method == "options":
                raise ValueError(f"OPTIONS {path}: preflight is answered by every function, not a route")
            group = op.get("x-lectern-function")
            if group not in known:
                raise ValueError(
                    f"{method.upper()} {path}: x-lectern-function {group!r} is not a route group"
                )
            routes.append(Route(path, method.upper(), group, is_protected(op)))
    seen = {(r.segments, r.method) for r in routes}
    for extra in EXTRA_PUBLIC_ROUTES:
        if extra.group in known and (extra.segments, extra.method) not in seen:
            routes.append(extra)
    return sorted(routes)


def resource_paths(routes: Iterable[Route]) -> dict[Route, tuple[str, ...]]:
    """The API Gateway resource (parts below /api/v1) each route is attached to.

    API Gateway allows one variable part among siblings: `/events/{uuid}` and
    `/events/{event_id}` share the first variable name seen (routes are sorted, so this is
    deterministic). Path parameter names do not matter to the functions: their routers match
    the request path themselves.
    """
    variable_child: dict[tuple[str, ...], str] = {}
    out: dict[Route, tuple[str, ...]] = {}
    for route in sorted(routes):
        parts: tuple[str, ...] = ()
        for part in route.segments:
            if part.startswith("{"):
                part = variable_child.setdefault(parts, part)
            parts = (*parts, part)
        if not parts:
            raise ValueError(f"{route.method} {route.path}: the API root has no route")
        out[route] = parts
    duplicates: dict[tuple[tuple[str, ...], str], Route] = {}
    for route, parts in out.items():
        other = duplicates.setdefault((parts, route.method), route)
        if other is not route:
            raise ValueError(
                f"{route.method} {route.path} and {other.path} map to the same API Gateway method"
            )
    return out
