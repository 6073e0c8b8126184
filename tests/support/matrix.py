"""What the authorization matrix needs to know about each path parameter: how to create, for
user A, a resource that a parameter of that name refers to. Each area adds its own
`tests/support/matrix_<area>.py` with a `FACTORIES` dict (parameter name → factory(api, owner)
→ id) and optionally `BODIES` (route template → a valid-looking body), so areas never edit the
same file. A path parameter without a factory fails the matrix."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

import tests.support as support_pkg

Factory = Callable[[Any, Any], str]


def load() -> tuple[dict[str, Factory], dict[str, dict[str, Any]]]:
    factories: dict[str, Factory] = {}
    bodies: dict[str, dict[str, Any]] = {}
    for mod in pkgutil.iter_modules(support_pkg.__path__):
        if mod.name.startswith("matrix_"):
            m = importlib.import_module(f"tests.support.{mod.name}")
            for name, fn in getattr(m, "FACTORIES", {}).items():
                if name in factories:
                    raise RuntimeError(f"two factories for path parameter {name!r}")
                factories[name] = fn
            bodies.update(getattr(m, "BODIES", {}))
    return factories, bodies
