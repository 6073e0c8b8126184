"""The route table for tests and tools: the same one the local runtime and the CDK app use
(`local.routes`, built on `infra.routes` from the generated OpenAPI document), seen as
(method, template relative to /api/v1, group, secured)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # relative to /api/v1, no trailing slash: /users/me/sessions/{session_id}
    group: str
    secured: bool


@functools.cache
def _table():  # type: ignore[no-untyped-def]
    from functions.groups import GROUPS
    from local.routes import RouteTable, from_infra
    from tools.openapi import build

    return RouteTable(from_infra(build(), {g.name for g in GROUPS}))


@functools.cache
def route_table() -> tuple[Route, ...]:
    return tuple(
        Route(r.method, r.template[len(API_PREFIX) :] or "/", r.group, r.secured) for r in _table().routes()
    )


def match(method: str, path: str) -> tuple[Route | None, list[str]]:
    """The route for `method path` (a full /api/v1 path), else None and the methods the path allows."""
    found = _table().match(path)
    if found is None:
        return None, []
    r = found.routes.get(method.upper())
    if r is None:
        return None, found.allowed
    return Route(r.method, r.template[len(API_PREFIX) :], r.group, r.secured), found.allowed
