"""A content-addressed cache of rendered dashboards, for `python -m gen build` and `check`.

Importing grafanalib and executing dashboards_src/ is most of a build's time (bench/README.md)
while dashboards change far less often than alerts. The rendered files are kept under the
user cache folder (gen.dash.schema.CACHE_DIR) keyed by everything they are made from: the dashboards' and the catalog's
source files, the engine's source, grafanalib's version, monitoring.yaml as resolved for them
(every enabled alert's parameters, selectors, the dashboards and multi-cluster settings).
Any change to any of these is a miss and a full render. Only the CLI uses it; tests, `gen
test` and online lint always render.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from gen.dash.model import Variable
from gen.dash import schema
from gen.core.resolved import alert_params, format_value

FORMAT = "dashboards-v1"
_GEN = Path(__file__).resolve().parents[1]


@dataclass
class Cached:
    """What a build needs from dashboards it does not load: uids, variables, rendered files."""

    uids: set[str]  # every dashboard's, disabled ones included
    dashboards: list  # CachedDashboard, the enabled ones
    files: dict[str, bytes]  # out/ paths -> bytes


@dataclass
class CachedDashboard:
    """Enough of a Dashboard for alert links: its uid and variables."""

    uid: str
    variables: list[Variable]


def _tree(folder: Path, suffixes: tuple[str, ...]) -> list[tuple[str, bytes]]:
    out = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", "toolchain", "node_modules"))
        for name in sorted(names):
            if name.endswith(suffixes):
                path = Path(root) / name
                out.append((str(path.relative_to(folder)), path.read_bytes()))
    return out


def key(compiled, sources) -> str:
    """Everything the rendered dashboards are made of (`sources`: a gen.sources.Sources)."""
    config = compiled.config
    params = {name: {k: format_value(v) for k, v in values.items()}
              for name, values in alert_params(compiled.rule_files).items()}
    known = sorted(r.name for m in compiled.catalog.modules for g in m.groups for r in g.rules)
    resolved = {
        "params": params,
        "known": known,
        "selectors": compiled.catalog.selectors_with(config.selectors),
        "dashboards": dataclasses.asdict(config.dashboards),
        "multi_cluster": dataclasses.asdict(config.multi_cluster),
        "grafana_url": config.grafana_url,
    }
    h = hashlib.sha256(FORMAT.encode())
    h.update(json.dumps(resolved, sort_keys=True, default=str).encode())
    folders = [("gen", _GEN, (".py", ".json", "VERSION"))]
    folders += [(f"rules{i}", Path(f), (".py",)) for i, f in enumerate(sources.rules)]
    folders += [(f"dashboards{i}", Path(f), (".py",)) for i, f in enumerate(sources.dashboards)]
    for label, folder, suffixes in folders:
        for rel, data in _tree(folder, suffixes) if folder.is_dir() else []:
            h.update(f"\0{label}/{rel}\0{len(data)}\0".encode())
            h.update(data)
    for package in ("grafanalib", "fastjsonschema"):
        h.update(f"\0{package}={metadata.version(package)}".encode())
    return h.hexdigest()[:32]


def _path(k: str) -> Path:
    return schema.CACHE_DIR / f"{FORMAT}-{k}.json"


def load(k: str) -> Cached | None:
    """The cached render for key `k`, or None (missing, unreadable or malformed: render again)."""
    try:
        data = json.loads(_path(k).read_text(encoding="utf-8"))
        return Cached(
            uids=set(data["uids"]),
            dashboards=[CachedDashboard(d["uid"], [Variable(n, "", label=l) for n, l in d["variables"]])
                        for d in data["dashboards"]],
            files={p: t.encode("utf-8") for p, t in data["files"].items()},
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def store(k: str, uids: set[str], dashboards: list, files: dict[str, bytes]) -> None:
    """Keep a successful render; a read-only checkout just renders every time."""
    data = {
        "uids": sorted(uids),
        "dashboards": [{"uid": d.uid, "variables": [[v.name, v.series_label] for v in d.variables]} for d in dashboards],
        "files": {p: b.decode("utf-8") for p, b in sorted(files.items())},
    }
    try:
        schema.CACHE_DIR.mkdir(parents=True, exist_ok=True)
        tmp = _path(k).with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, _path(k))
    except OSError:
        pass
