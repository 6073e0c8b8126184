"""The route table: (method, path template) → route group, and whether a token is needed.

Derived from the generated OpenAPI document (`x-lectern-function`, `security`), plus the few
meta routes that are deliberately not in the document. The local runtime and the tests route
with it; the CDK app builds API Gateway resources from the same document.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

API_PREFIX = "/api/v1"

# Served by the meta function but kept out of the OpenAPI document (they *are* the docs).
META_EXTRAS = (("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/{asset}"))


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # relative to /api/v1, without trailing slash: /users/me/sessions/{session_id}
    group: str
    secured: bool

    @functools.cached_property
    def regex(self) -> re.Pattern[str]:
        pattern = re.sub(
            r"\{[^/]+\}", r"[^/]+", re.escape(self.template).replace(r"\{", "{").replace(r"\}", "}")
        )
        return re.compile(f"^{API_PREFIX}{pattern}/?$")


@functools.cache
def route_table() -> tuple[Route, ...]:
    from tools.openapi import build

    routes = [Route(m, t, "meta", False) for m, t in META_EXTRAS]
    for path, item in build()["paths"].items():
        template = path.rstrip("/") or "/"
        for method, op in item.items():
            routes.append(Route(method.upper(), template, op["x-lectern-function"], bool(op.get("security"))))
    return tuple(routes)


def match(method: str, path: str) -> tuple[Route | None, list[str]]:
    """The route for `method path`, else None and the methods the path does allow."""
    allowed: set[str] = set()
    candidates = []
    for route in route_table():
        if route.regex.match(path):
            allowed.add(route.method)
            if route.method == method.upper():
                candidates.append(route)
    # A static segment beats a parameter (/events/public beats /events/{id}).
    candidates.sort(key=lambda r: r.template.count("{"))
    return (candidates[0] if candidates else None), sorted(allowed)
