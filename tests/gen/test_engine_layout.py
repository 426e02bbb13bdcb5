"""The engine's layers (README "The engine's layout"): the core imports nothing above it, a
stage (rules, dashboards, routing) only the core, the settings, the tools and itself, the
tools and live integrations nothing of the stages' internals. Checked on the import
statements of every module, lazy imports inside functions included."""

from __future__ import annotations

from support.paths import REPO
import ast
from pathlib import Path

import pytest

GEN = REPO / "gen"

CORE = ("gen.core",)
SETTINGS = ("gen.config", "gen.relay_settings", "gen.sources")
TOOLS = ("gen.tools",)
# package -> what its modules may import besides themselves
ALLOWED = {
    "gen.core": CORE,
    "gen.tools": CORE + TOOLS,
    "gen.rules": CORE + SETTINGS + TOOLS,
    "gen.dash": CORE + SETTINGS + TOOLS,
    "gen.routing": CORE + SETTINGS + TOOLS,
    "gen.render": CORE + SETTINGS + ("gen.routing", "gen.rules", "gen.dash"),
    "gen.live": CORE + SETTINGS + TOOLS + ("gen.dash", "gen.rules"),
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(GEN.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            if node.module == "gen":
                found |= {f"gen.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m == "gen" or m.startswith("gen.")}


def _within(module: str, prefixes) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _layered_modules():
    for package in ALLOWED:
        folder = GEN / package.split(".", 1)[1]
        for path in sorted(folder.rglob("*.py")):
            yield package, path


def test_every_layer_exists_and_holds_modules():
    counts = {package: sum(1 for p, _ in _layered_modules() if p == package) for package in ALLOWED}
    assert all(counts.values()), counts


@pytest.mark.parametrize("package, path", list(_layered_modules()), ids=lambda v: str(v).rsplit("gen/", 1)[-1])
def test_a_module_imports_only_the_layers_below_it(package, path):
    allowed = ALLOWED[package] + (package,)
    wrong = sorted(m for m in _imports(path) if not _within(m, allowed))
    assert not wrong, f"{_module_name(path)} imports {', '.join(wrong)}; its layer may import {', '.join(allowed)}"


def test_the_checker_sees_a_violation(tmp_path):
    """The import reader finds lazy imports and `from gen import x` (so the rule above bites)."""
    sample = tmp_path / "m.py"
    sample.write_text("def f():\n    from gen import build\n    import gen.cli\n")
    assert _imports(sample) == {"gen", "gen.build", "gen.cli"}
    assert not _within("gen.build", ALLOWED["gen.rules"])


def test_catalogs_public_names_still_import():
    """Team catalogs import gen.model and gen.series_values; they stay as the public names."""
    from gen import model, series_values
    from gen.core import model as core_model

    assert model.Alert is core_model.Alert and callable(series_values.expand)
