"""Which folders one build reads: the toolkit's catalog (gen.upstream) and the team's own.

Everything is located from the settings file (its `sources:` section, paths relative to the
file's folder) and the command line, never from where the engine is installed: a team's
repository keeps monitoring.yaml, rules_src/, dashboards_src/ and routing_src/ side by side,
and the upstream catalog comes with the installed toolkit. A team folder that is the
upstream folder itself (this repository, or a fork) is read once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from gen import upstream
from gen.config import Config
from gen.core.errors import ConfigError

RULES_DIR = "rules_src"
DASHBOARDS_DIR = "dashboards_src"
ROUTING_FILE = os.path.join("routing_src", "routing.py")


@dataclass(frozen=True)
class Sources:
    """The catalog folders (upstream first), the dashboards folders and the routing module."""

    rules: tuple[str, ...]
    dashboards: tuple[str, ...] = ()
    routing: str | None = None

    @classmethod
    def folder(cls, rules_src: str, dashboards_src: str | None = None, routing: str | None = None) -> "Sources":
        """One catalog folder with its siblings: dashboards_src/ and routing_src/routing.py beside it."""
        parent = os.path.dirname(os.path.abspath(rules_src))
        dashboards = dashboards_src or os.path.join(parent, DASHBOARDS_DIR)
        if routing is None and os.path.exists(os.path.join(parent, ROUTING_FILE)):
            routing = os.path.join(parent, ROUTING_FILE)
        return cls((rules_src,), (dashboards,), routing)

    @classmethod
    def upstream(cls) -> "Sources":
        """The toolkit's own catalog alone."""
        return cls((upstream.RULES,), (upstream.DASHBOARDS,), upstream.ROUTING)


def settings_dir(config: Config) -> str:
    """The folder the settings' relative paths start from: the file's, else the working directory."""
    if config.path and os.path.isfile(config.path):
        return os.path.dirname(os.path.abspath(config.path))
    return os.getcwd()


def _same(a: str, b: str) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def _unique(folders: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for folder in folders:
        if not any(_same(folder, seen) for seen in out):
            out.append(folder)
    return tuple(out)


def _named(config: Config, base: str, key: str, items: list[str] | None, default: str, folder: bool) -> list[str]:
    """The paths a `sources.<key>` names (each must exist), else the default beside the settings if it exists."""
    if items is None:
        path = os.path.join(base, default)
        return [path] if os.path.exists(path) else []
    out = []
    for item in items:
        path = os.path.normpath(os.path.join(base, item))
        if not (os.path.isdir(path) if folder else os.path.isfile(path)):
            raise ConfigError(f"{config.path}: sources.{key}: {item!r} ({path}) is not a {'folder' if folder else 'file'}")
        out.append(path)
    return out


def of(config: Config, rules_src: str | None = None, dashboards_src: str | None = None,
       routing: str | None = None) -> Sources:
    """The sources `config` names; command-line folders replace the team's (not upstream's)."""
    base = settings_dir(config)
    s = config.sources
    rules = [rules_src] if rules_src else _named(config, base, "rules", s.rules, RULES_DIR, True)
    dashboards = [dashboards_src] if dashboards_src else _named(config, base, "dashboards", s.dashboards,
                                                                DASHBOARDS_DIR, True)
    if routing is None and s.routing != "upstream":
        found = _named(config, base, "routing", [s.routing] if s.routing else None, ROUTING_FILE, False)
        routing = found[0] if found else None
    if s.upstream:
        rules.insert(0, upstream.RULES)
        dashboards.insert(0, upstream.DASHBOARDS)
        if routing is None:
            routing = upstream.ROUTING
    elif s.routing == "upstream":
        raise ConfigError(f"{config.path}: sources.routing: `upstream` needs sources.upstream: true")
    if not rules:
        raise ConfigError(f"{config.path}: sources: no catalog: sources.upstream is false and there is no "
                          f"{RULES_DIR}/ beside {config.path} (or name one under sources.rules)")
    return Sources(_unique(rules), _unique(dashboards), routing)


def is_upstream(folder: str) -> bool:
    """Whether `folder` is the toolkit's own catalog (its alerts link to upstream's runbooks)."""
    return _same(folder, upstream.RULES)
