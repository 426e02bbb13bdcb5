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

import os

from gen.core.catalog import Catalog
from gen.core.errors import DefinitionError
from gen.core.imports import as_package, import_path
from gen.core.model import Case, Group, Module, Platform
from gen.sources import is_upstream


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
    platforms = getattr(import_path(path, package), "PLATFORMS", None)
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
    package = as_package(folder, "_catalog_")
    selectors: dict[str, str] = {}
    replicated: tuple[str, ...] = ()
    selectors_file = os.path.join(folder, "_selectors.py")
    if os.path.exists(selectors_file):
        defaults = import_path(selectors_file, package)
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
        module = import_path(path, package)
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


