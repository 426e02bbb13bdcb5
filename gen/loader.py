"""Finds the catalog: every public module of the rules folders, and their default selectors.

This is the only place that imports catalog code. A catalog folder holds one module per
area (its file name names the PrometheusRule) with a module-level `groups` list, plus
`_selectors.py` whose `SELECTORS` dict gives each exporter's default label matchers (and
whose `REPLICATED` names the exporters teams run as several replicas). Private modules and
packages (`_fixtures/`, the series builders of the cases) are helpers the areas import
relatively. Several folders (the toolkit's catalog and a team's) make one catalog: module
names are unique across them, and a team's `_selectors.py` may add exporters but not
redefine upstream's (that is monitoring.yaml's `selectors:`). `_platforms.py`'s `PLATFORMS`
names the platforms monitoring.yaml's `platform:` may choose (gen.model.Platform); a team's
may add platforms, not redefine upstream's.

A module may also define `cases = {"AlertName": [Case(...), ...]}`: cases for an alert
defined elsewhere (an upstream alert whose expression the team's monitoring.yaml changes),
written against that monitoring.yaml; `gen test` runs them against the team's rules.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import types
from dataclasses import dataclass, field

from gen.errors import DefinitionError, UserError
from gen.model import Alert, Case, Group, Module, Platform
from gen.sources import is_upstream


@dataclass
class Catalog:
    modules: list[Module]
    selectors: dict[str, str]
    replicated: tuple[str, ...] = ()  # selector names of exporters commonly run as several replicas
    folders: tuple[str, ...] = ()  # where it was read, upstream first
    platforms: dict[str, Platform] = field(default_factory=dict)  # name -> what monitoring.yaml's `platform:` hides
    cases: dict[str, list[Case]] = field(default_factory=dict)  # modules' `cases`: alert name -> cases

    def alert_names(self) -> set[str]:
        return {r.name for m in self.modules for g in m.groups for r in g.rules if isinstance(r, Alert)}


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


def import_file(path: str, prefix: str):
    """Import one definition file as a module of a package of its own folder (so it may import
    its neighbours relatively); errors name the file and line."""
    path = os.path.abspath(path)
    return _import(path, _as_package(os.path.dirname(path), prefix))


def load_catalog(folders: str | tuple[str, ...] | list[str]) -> Catalog:
    """The catalog of one folder or several (gen.sources.Sources.rules), merged in order."""
    if isinstance(folders, str):
        return _checked(_load_folder(folders))
    parts = [_load_folder(folder) for folder in folders]
    if len(parts) == 1:
        return _checked(parts[0])
    modules: dict[str, Module] = {}
    selectors: dict[str, str] = {}
    replicated: list[str] = []
    platforms: dict[str, Platform] = {}
    owner: dict[str, str] = {}
    for part in parts:
        for name, text in part.selectors.items():
            if name in selectors:
                raise DefinitionError(f"{part.folders[0]}/_selectors.py: SELECTORS redefines {name!r} of "
                                      f"{owner[name]}/_selectors.py: set it under `selectors:` in monitoring.yaml instead")
            selectors[name], owner[name] = text, part.folders[0]
        replicated += [name for name in part.replicated if name not in replicated]
        for name, platform in part.platforms.items():
            if name in platforms:
                raise DefinitionError(f"{platform.source}: PLATFORMS redefines {name!r} of {platforms[name].source}: "
                                      "add a platform of another name instead")
            platforms[name] = platform
        for module in part.modules:
            if module.name in modules:
                raise DefinitionError(f"{module.path}: module {module.name!r} is also {modules[module.name].path}: "
                                      "each module names one PrometheusRule and rule file; rename one")
            modules[module.name] = module
    cases: dict[str, list[Case]] = {}
    for part in parts:
        for name, found in part.cases.items():
            cases.setdefault(name, []).extend(found)
    return _checked(Catalog(list(modules.values()), selectors, tuple(replicated),
                            tuple(f for p in parts for f in p.folders), platforms, cases))


def _platforms(folder: str, package: str) -> dict[str, Platform]:
    """`PLATFORMS` of the folder's `_platforms.py`, if it has one."""
    path = os.path.join(folder, "_platforms.py")
    if not os.path.exists(path):
        return {}
    platforms = getattr(_import(path, package), "PLATFORMS", None)
    if not isinstance(platforms, dict) or not all(isinstance(k, str) and isinstance(v, Platform) for k, v in platforms.items()):
        raise DefinitionError(f"{path}: PLATFORMS must be a dict of platform name -> Platform")
    return dict(platforms)


def _checked(catalog: Catalog) -> Catalog:
    """What needs the merged folders: a platform hides components the catalog has selectors
    for (a team's platform may hide a team's exporter), and every alert a module's `cases`
    names exists."""
    for name, platform in catalog.platforms.items():
        unknown = [h for h in platform.hidden if h not in catalog.selectors]
        if unknown:
            raise DefinitionError(f"{platform.source}: platform {name!r} hides {unknown[0]!r}, which SELECTORS does "
                                  f"not define (known: {', '.join(sorted(catalog.selectors))})")
    if catalog.cases:
        known = catalog.alert_names()
        for name, found in catalog.cases.items():
            if name not in known:
                raise DefinitionError(f"{found[0].source}: cases for {name!r}: no alert of that name in the catalog")
    return catalog


def _load_folder(folder: str) -> Catalog:
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
    upstream = is_upstream(folder)
    modules = []
    cases: dict[str, list[Case]] = {}
    for entry in sorted(os.listdir(folder)):
        if not entry.endswith(".py") or entry.startswith("_"):
            continue
        path = os.path.join(folder, entry)
        module = _import(path, package)
        groups = getattr(module, "groups", [] if hasattr(module, "cases") else None)  # cases alone: fine
        rel = f"{os.path.basename(folder)}/{entry}"  # stable whatever the working directory
        if not isinstance(groups, list) or not all(isinstance(g, Group) for g in groups):
            hint = " (the Alertmanager routing lives in routing_src/routing.py now)" if hasattr(module, "routing") else ""
            raise DefinitionError(f"{rel}: a catalog module must define `groups`, a list of Group{hint}")
        modules.append(Module(name=entry[:-3], file=rel, groups=groups, path=path, upstream=upstream))
        for name, found in _module_cases(module, rel).items():
            cases.setdefault(name, []).extend(found)
    return Catalog(modules=modules, selectors=selectors, replicated=replicated, folders=(folder,),
                   platforms=_platforms(folder, package), cases=cases)


def _module_cases(module, rel: str) -> dict[str, list[Case]]:
    found = getattr(module, "cases", None)
    if found is None:
        return {}
    if not isinstance(found, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(c, Case) for c in v) for k, v in found.items()):
        raise DefinitionError(f"{rel}: `cases` must map alert names to lists of Case")
    return found


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
        package = _as_package(folder, "_dashboards_")  # dashboards share helpers: `from ._kube import workload_pods`
        for entry in sorted(os.listdir(folder)):
            if not entry.endswith(".py") or entry.startswith("_"):
                continue
            module = _import(os.path.join(folder, entry), package)
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
