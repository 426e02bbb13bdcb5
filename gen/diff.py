"""What changes between two builds of out/, in the terms a reviewer thinks in.

A pull request that bumps the toolkit changes hundreds of generated lines; the review
question is "which alerts fire differently now". This compares two out/ trees, given as
{path relative to out/: bytes}: alerts and recording rules by name (from the plain rule
files, out/rules/; the PrometheusRule manifests wrap the same rules), per field; dashboards
by uid (out/grafana/), per panel title; every other file by path. Computing is pure;
rendering (text for a terminal, Markdown for a pull request) is separate.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
from dataclasses import dataclass, field

import yaml

from gen.core.errors import OptionError

RULES_DIR = "rules/"
GRAFANA_DIR = "grafana/"
# Files that wrap the ones above (PrometheusRules, dashboard ConfigMaps and GrafanaDashboards):
# listed under "other files" only when what they wrap did not change.
WRAPPERS = ("prometheusrules/", "dashboards/", "grafana-operator/")
# libyaml's loader where PyYAML was built with it: both sides' rule files are parsed on every
# comparison (0.5 s for the catalog's out/ with the pure-Python loader)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class FieldChange:
    field: str  # "expr", "for", "labels.severity", "annotations.summary", ...
    old: str | None
    new: str | None


@dataclass
class RuleChange:
    kind: str  # "alert" or "record"
    name: str
    where: str  # rule file and group of the new side (of the old when removed)
    change: str  # "added", "removed", "changed"
    fields: list[FieldChange] = field(default_factory=list)


@dataclass
class DashboardChange:
    uid: str
    title: str
    change: str  # "added", "removed", "changed"
    panels_added: list[str] = field(default_factory=list)
    panels_removed: list[str] = field(default_factory=list)
    panels_changed: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)  # dashboard-level keys that changed (title, variables, ...)


@dataclass
class TreeChanges:
    rules: list[RuleChange] = field(default_factory=list)
    dashboards: list[DashboardChange] = field(default_factory=list)
    files: list[tuple[str, str]] = field(default_factory=list)  # (path, "added"/"removed"/"changed")

    @property
    def empty(self) -> bool:
        return not (self.rules or self.dashboards or self.files)


def _rules(tree: dict[str, bytes]) -> dict[tuple[str, str, int], tuple[str, dict]]:
    """(kind, name, n) -> (file/group, rule): n tells apart rules sharing a name (an alert at
    two severities), counted in file order."""
    out: dict[tuple[str, str, int], tuple[str, dict]] = {}
    for path in sorted(p for p in tree if p.startswith(RULES_DIR) and p.endswith(".yaml")):
        doc = yaml.load(tree[path], Loader=_LOADER) or {}
        for group in doc.get("groups") or []:
            for rule in group.get("rules") or []:
                kind = "alert" if "alert" in rule else "record"
                name = rule.get(kind)
                n = sum(1 for k in out if k[:2] == (kind, name))
                out[(kind, name, n)] = (f"{path[len(RULES_DIR):]} / {group.get('name')}", rule)
    return out


def _text(value) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _fields(old: dict, new: dict) -> list[FieldChange]:
    changes = []
    for key in ("expr", "for", "keep_firing_for"):
        if old.get(key) != new.get(key):
            changes.append(FieldChange(key, _text(old.get(key)), _text(new.get(key))))
    for section in ("labels", "annotations"):
        a, b = old.get(section) or {}, new.get(section) or {}
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                changes.append(FieldChange(f"{section}.{key}", _text(a.get(key)), _text(b.get(key))))
    return changes


def _panels(dashboard: dict) -> dict[str, dict]:
    """Panels by title (rows' nested panels included; untitled ones by type and position),
    without their place on the grid."""
    found: dict[str, dict] = {}

    def visit(panels):
        for i, panel in enumerate(panels or []):
            title = panel.get("title") or f"<untitled {panel.get('type', 'panel')} #{i}>"
            while title in found:
                title += "'"
            # where a panel sits is not what it shows: one panel added moves all below it
            found[title] = {k: v for k, v in panel.items() if k not in ("panels", "id", "gridPos")}
            visit(panel.get("panels"))

    visit(dashboard.get("panels"))
    return found


def _dashboards(tree: dict[str, bytes]) -> dict[str, dict]:
    out = {}
    for path in sorted(p for p in tree if p.startswith(GRAFANA_DIR) and p.endswith(".json")):
        data = json.loads(tree[path])
        out[data.get("uid") or path] = data
    return out


def _dashboard_change(uid: str, old: dict | None, new: dict | None) -> DashboardChange | None:
    if old is None or new is None:
        d = new or old
        return DashboardChange(uid, d.get("title", uid), "added" if old is None else "removed")
    if old == new:
        return None
    a, b = _panels(old), _panels(new)
    change = DashboardChange(uid, new.get("title", uid), "changed",
                             panels_added=[t for t in b if t not in a],
                             panels_removed=[t for t in a if t not in b],
                             panels_changed=[t for t in b if t in a and a[t] != b[t]])
    change.other = sorted(k for k in set(old) | set(new) if k != "panels" and old.get(k) != new.get(k))
    return change


def compare(old: dict[str, bytes], new: dict[str, bytes]) -> TreeChanges:
    """What changed from `old` to `new` (two out/ trees)."""
    result = TreeChanges()
    a, b = _rules(old), _rules(new)
    for key in sorted(set(a) | set(b), key=lambda k: (k[0] != "alert", k[1], k[2])):
        kind, name, _ = key
        if key not in a:
            result.rules.append(RuleChange(kind, name, b[key][0], "added"))
        elif key not in b:
            result.rules.append(RuleChange(kind, name, a[key][0], "removed"))
        else:
            fields = _fields(a[key][1], b[key][1])
            if fields:
                result.rules.append(RuleChange(kind, name, b[key][0], "changed", fields))
    da, db = _dashboards(old), _dashboards(new)
    for uid in sorted(set(da) | set(db)):
        change = _dashboard_change(uid, da.get(uid), db.get(uid))
        if change is not None:
            result.dashboards.append(change)
    wrapped_changed = [p.rsplit("/", 1)[-1].rsplit(".", 1)[0] for p in set(old) | set(new)
                       if p.startswith((RULES_DIR, GRAFANA_DIR)) and old.get(p) != new.get(p)]
    for path in sorted(set(old) | set(new)):
        if path.startswith((RULES_DIR, GRAFANA_DIR)) or old.get(path) == new.get(path):
            continue
        stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if path.startswith(WRAPPERS) and any(stem.endswith(s) for s in wrapped_changed):
            continue
        result.files.append((path, "added" if path not in old else "removed" if path not in new else "changed"))
    return result


def _expr_diff(old: str | None, new: str | None) -> list[str]:
    return list(difflib.unified_diff((old or "").splitlines(), (new or "").splitlines(), lineterm="", n=2))[2:]


def _one_line(text: str | None) -> str:
    return "(none)" if text is None else " ".join(text.split())


def render_text(changes: TreeChanges) -> str:
    if changes.empty:
        return "no changes\n"
    lines = []
    for r in changes.rules:
        lines.append(f"{r.kind} {r.name} {r.change}  [{r.where}]")
        for f in r.fields:
            if f.field == "expr":
                lines += ["    expr:"] + [f"      {line}" for line in _expr_diff(f.old, f.new)]
            else:
                lines.append(f"    {f.field}: {_one_line(f.old)} -> {_one_line(f.new)}")
    for d in changes.dashboards:
        lines.append(f"dashboard {d.uid} ({d.title}) {d.change}")
        for label, items in (("panels added", d.panels_added), ("panels removed", d.panels_removed),
                             ("panels changed", d.panels_changed), ("settings changed", d.other)):
            if items:
                lines.append(f"    {label}: {', '.join(items)}")
    for path, change in changes.files:
        lines.append(f"file {path} {change}")
    return "\n".join(lines) + "\n"


def render_markdown(changes: TreeChanges) -> str:
    if changes.empty:
        return "No changes to out/.\n"
    out = []
    counts = {c: sum(1 for r in changes.rules if r.kind == "alert" and r.change == c) for c in ("added", "removed", "changed")}
    out.append(f"**Alerts**: {counts['added']} added, {counts['removed']} removed, {counts['changed']} changed; "
               f"**dashboards**: {len(changes.dashboards)} changed; **other files**: {len(changes.files)}\n")
    for kind, title in (("alert", "Alerts"), ("record", "Recording rules")):
        rules = [r for r in changes.rules if r.kind == kind]
        if not rules:
            continue
        out.append(f"### {title}\n")
        for r in rules:
            out.append(f"- **{r.name}** {r.change} (`{r.where}`)")
            for f in r.fields:
                if f.field == "expr":
                    out.append("  ```diff\n" + "\n".join(f"  {line}" for line in _expr_diff(f.old, f.new)) + "\n  ```")
                else:
                    out.append(f"  - `{f.field}`: `{_one_line(f.old)}` → `{_one_line(f.new)}`")
        out.append("")
    if changes.dashboards:
        out.append("### Dashboards\n")
        for d in changes.dashboards:
            parts = [f"{label}: {', '.join(items)}" for label, items in (
                ("panels added", d.panels_added), ("panels removed", d.panels_removed),
                ("panels changed", d.panels_changed), ("settings changed", d.other)) if items]
            out.append(f"- **{d.title}** (`{d.uid}`) {d.change}" + (f": {'; '.join(parts)}" if parts else ""))
        out.append("")
    if changes.files:
        out.append("### Other files\n")
        out += [f"- `{path}` {change}" for path, change in changes.files]
        out.append("")
    return "\n".join(out)


def _git(at: str, *args: str, stdin: bytes | None = None) -> bytes:
    run = subprocess.run(["git", "-C", at, *args], input=stdin, capture_output=True)
    if run.returncode != 0:
        raise OptionError(f"git {' '.join(args[:2])}: {run.stderr.decode(errors='replace').strip() or 'failed'}")
    return run.stdout


def git_tree(repo_dir: str, ref: str, folder: str) -> dict[str, bytes]:
    """`folder` (a path inside the repository holding `repo_dir`) as commit `ref` has it,
    read with one `git cat-file --batch` for all its files. git runs at the repository's
    top: pathspecs are relative to -C."""
    root = _git(repo_dir, "rev-parse", "--show-toplevel").decode().strip()
    rel = os.path.relpath(os.path.realpath(folder), os.path.realpath(root)).replace(os.sep, "/")
    if subprocess.run(["git", "-C", repo_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                      capture_output=True).returncode != 0:
        raise OptionError(f"--against {ref}: neither a folder nor a commit of the repository at {root}")
    listing = _git(root, "ls-tree", "-r", "-z", ref, "--", rel + "/")
    entries = []
    for item in filter(None, listing.split(b"\0")):
        meta, path = item.split(b"\t", 1)
        _, kind, sha = meta.split()
        if kind == b"blob":
            entries.append((path.decode()[len(rel) + 1:], sha.decode()))
    if not entries:
        raise OptionError(f"{ref}: has no files under {rel}/ (was out/ committed there?)")
    data = _git(root, "cat-file", "--batch", stdin="".join(f"{sha}\n" for _, sha in entries).encode())
    files, pos = {}, 0
    for path, _ in entries:
        header_end = data.index(b"\n", pos)
        size = int(data[pos:header_end].split()[2])
        files[path] = data[header_end + 1:header_end + 1 + size]
        pos = header_end + 1 + size + 1
    return files
