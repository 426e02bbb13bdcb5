"""Finds the catalog: every public module of a rules folder, and the folder's default selectors.

This is the only place that imports catalog code. A catalog folder holds one module per
area (its file name names the PrometheusRule) with a module-level `groups` list, plus
`_selectors.py` whose `SELECTORS` dict gives each exporter's default label matchers (and
whose `REPLICATED` names the exporters teams run as several replicas). A module
defining `routing` (a gen.routing.model.Routing) and no `groups` is the Alertmanager routing
(rules_src/routing.py), not an area. Private modules and packages (`_fixtures/`, the series
builders of the cases) are helpers the areas import relatively.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import types
from dataclasses import dataclass

from gen.errors import DefinitionError, UserError
from gen.model import Group, Module
from gen.routing.model import Routing


@dataclass
class Catalog:
    modules: list[Module]
    selectors: dict[str, str]
    routing: Routing | None = None
    replicated: tuple[str, ...] = ()  # selector names of exporters commonly run as several replicas
    routing_file: str | None = None


def _import(path: str, package: str):
    name = f"{package}.{os.path.splitext(os.path.basename(path))[0]}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except UserError:
        raise
    except SyntaxError as exc:
        raise DefinitionError(f"{exc.filename}:{exc.lineno}: syntax error: {exc.msg}") from None
    except Exception as exc:  # a bug in the catalog module: say where
        tb = exc.__traceback__
        line = 0
        while tb is not None:
            if os.path.abspath(tb.tb_frame.f_code.co_filename) == os.path.abspath(path):
                line = tb.tb_lineno
            tb = tb.tb_next
        raise DefinitionError(f"{os.path.relpath(path)}:{line}: {type(exc).__name__}: {exc}") from None
    return module


_LOADED: dict[str, tuple[tuple, Catalog]] = {}


def _stamp(folder: str) -> tuple:
    """What identifies a folder's contents cheaply: each .py file's path, size and mtime,
    helper packages (`_fixtures/`) included."""
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in names:
            if name.endswith(".py"):
                st = os.stat(os.path.join(root, name))
                found.append((os.path.relpath(os.path.join(root, name), folder), st.st_size, st.st_mtime_ns))
    return tuple(sorted(found))


def _as_package(folder: str, prefix: str) -> str:
    """Make `folder` an importable package, so its public modules can import its private
    helpers relatively (`from ._fixtures.nodes import filesystem`). A reload drops what the
    previous load imported, so an edited helper is read again."""
    package = prefix + hashlib.sha1(folder.encode()).hexdigest()[:10]
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]
    pkg = types.ModuleType(package)
    pkg.__path__ = [folder]
    sys.modules[package] = pkg
    return package


def load_catalog(folder: str) -> Catalog:
    """Import every `*.py` in `folder` not starting with `_`, sorted by name.

    A process that reads the same unchanged folder again (the build, the test-suite writer, a
    dashboard listing the catalog's groups) gets the catalog it already loaded: definitions
    are never modified after loading (resolve builds new objects)."""
    if not os.path.isdir(folder):
        raise DefinitionError(f"{folder}: catalog folder not found")
    folder = os.path.abspath(folder)
    stamp = _stamp(folder)
    cached = _LOADED.get(folder)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    catalog = _load_catalog(folder)
    _LOADED[folder] = (stamp, catalog)
    return catalog


def _load_catalog(folder: str) -> Catalog:
    package = _as_package(folder, "_catalog_")
    selectors: dict[str, str] = {}
    replicated: tuple[str, ...] = ()
    selectors_file = os.path.join(folder, "_selectors.py")
    if os.path.exists(selectors_file):
        defaults = _import(selectors_file, package)
        selectors = dict(getattr(defaults, "SELECTORS", {}))
        replicated = tuple(getattr(defaults, "REPLICATED", ()))
        unknown = [name for name in replicated if name not in selectors]
        if unknown:
            raise DefinitionError(f"{selectors_file}: REPLICATED names {unknown[0]!r}, which SELECTORS does not define")
    modules = []
    routing = routing_file = None
    for entry in sorted(os.listdir(folder)):
        if not entry.endswith(".py") or entry.startswith("_"):
            continue
        path = os.path.join(folder, entry)
        module = _import(path, package)
        groups = getattr(module, "groups", None)
        rel = f"{os.path.basename(folder)}/{entry}"  # stable whatever the working directory
        if groups is None and hasattr(module, "routing"):
            if not isinstance(module.routing, Routing):
                raise DefinitionError(f"{rel}: `routing` must be a Routing (gen.routing.model)")
            if routing is not None:
                raise DefinitionError(f"{rel}: a second routing module (the first is {routing_file})")
            routing, routing_file = module.routing, rel
            continue
        if not isinstance(groups, list) or not all(isinstance(g, Group) for g in groups):
            raise DefinitionError(f"{rel}: a catalog module must define `groups`, a list of Group")
        modules.append(Module(name=entry[:-3], file=rel, groups=groups))
    return Catalog(modules=modules, selectors=selectors, routing=routing, routing_file=routing_file,
                   replicated=replicated)


def load_dashboards(folder: str) -> list:
    """Every `dashboard` (or `dashboards` list) of the public modules of a dashboards folder;
    private modules (`_name.py`) are helpers the others import relatively."""
    from gen.dash.grafanalib_import import import_grafanalib
    from gen.dash.model import Dashboard

    if not os.path.isdir(folder):
        return []
    import_grafanalib()  # before the modules import it: cheaper this way (see there)
    folder = os.path.abspath(folder)
    package = _as_package(folder, "_dashboards_")  # dashboards share helpers: `from ._kube import workload_pods`
    found: list = []
    for entry in sorted(os.listdir(folder)):
        if not entry.endswith(".py") or entry.startswith("_"):
            continue
        module = _import(os.path.join(folder, entry), package)
        items = getattr(module, "dashboards", None)
        if items is None:
            items = [getattr(module, "dashboard", None)]
        rel = f"{os.path.basename(folder)}/{entry}"
        if not items or not all(isinstance(d, Dashboard) for d in items):
            raise DefinitionError(f"{rel}: a dashboard module must define `dashboard` (a Dashboard) or `dashboards`")
        found.extend(items)
    seen: dict[str, object] = {}
    for d in found:
        if d.uid in seen:
            raise DefinitionError(f"{d.source}: dashboard uid {d.uid!r} already used at {seen[d.uid]}")
        seen[d.uid] = d.source
    return found
