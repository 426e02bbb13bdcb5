"""Finds the dashboards: every public module of the dashboards folders."""

from __future__ import annotations

import os

from gen.core.catalog import Catalog
from gen.core.errors import DefinitionError
from gen.core.imports import as_package, import_path


def load_dashboards(folders: str | tuple[str, ...] | list[str], catalog: Catalog | None = None) -> list:
    """Every `dashboard` (or `dashboards` list) of the public modules of the dashboards folders;
    private modules (`_name.py`) are helpers the others import relatively. A module made from
    the catalog (the alert overview lists its rule groups) defines `build(catalog)` instead,
    returning a Dashboard or a list of them; it gets the whole catalog being built."""
    from gen.dash.grafanalib_import import import_grafanalib
    from gen.dash.model import Dashboard

    folders = [folders] if isinstance(folders, str) else list(folders)
    folders = [os.path.abspath(f) for f in folders if os.path.isdir(f)]
    if not folders:
        return []
    import_grafanalib()  # before the modules import it: cheaper this way (see there)
    found: list = []
    for folder in folders:
        package = as_package(folder, "_dashboards_")  # dashboards share helpers: `from ._kube import workload_pods`
        for entry in sorted(os.listdir(folder)):
            if not entry.endswith(".py") or entry.startswith("_"):
                continue
            module = import_path(os.path.join(folder, entry), package)
            rel = f"{os.path.basename(folder)}/{entry}"
            if callable(getattr(module, "build", None)):
                if catalog is None:
                    raise DefinitionError(f"{rel}: `build(catalog)` needs the catalog: load the dashboards with it")
                items = module.build(catalog)
                items = items if isinstance(items, list) else [items]
            else:
                items = getattr(module, "dashboards", None)
                if items is None:
                    items = [getattr(module, "dashboard", None)]
            if not items or not all(isinstance(d, Dashboard) for d in items):
                raise DefinitionError(f"{rel}: a dashboard module must define `dashboard` (a Dashboard), "
                                      "`dashboards`, or `build(catalog)` returning them")
            found.extend(items)
    seen: dict[str, object] = {}
    for d in found:
        if d.uid in seen:
            raise DefinitionError(f"{d.source}: dashboard uid {d.uid!r} already used at {seen[d.uid]}")
        seen[d.uid] = d.source
    return found
