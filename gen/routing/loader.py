"""Finds the Alertmanager routing: the module-level `routing` of a routing module
(routing_src/routing.py, or the toolkit's own when a team keeps none)."""

from __future__ import annotations

import os

from gen.core.errors import DefinitionError
from gen.routing.model import Routing


def load_routing(path: str) -> Routing:
    """The `routing` a module defines; DefinitionError naming the file otherwise."""
    from gen.core.imports import import_file

    if not os.path.isfile(path):
        raise DefinitionError(f"{path}: routing module not found")
    module = import_file(path, "_routing_")
    routing = getattr(module, "routing", None)
    if not isinstance(routing, Routing):
        raise DefinitionError(f"{os.path.relpath(path)}: a routing module must define `routing`, a Routing (gen.routing.model)")
    return routing
