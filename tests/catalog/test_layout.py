"""How catalog modules are written: series builders in the private `_fixtures` package the
areas import relatively, and twin alerts made once by gen.model.twins."""

from __future__ import annotations

import os
import textwrap

import pytest

from gen.core.errors import DefinitionError
from gen.rules.loader import load_catalog
from gen.model import Duration, twins


def test_twins_share_what_is_common_and_merge_params():
    low, high = twins(
        {"name": "DiskSlow", "severity": "warning", "params": {"threshold": 0.5}},
        {"name": "DiskSlowCritical", "severity": "critical", "params": {"threshold": 1}, "for_": "5m"},
        expr="latency > ${threshold}", for_="10m", params={"window": Duration("5m"), "threshold": 9},
    )
    assert (low.name, low.severity, low.for_, low.params) == ("DiskSlow", "warning", "10m", {"threshold": 0.5, "window": Duration("5m")})
    assert (high.name, high.severity, high.for_, high.params) == ("DiskSlowCritical", "critical", "5m", {"threshold": 1, "window": Duration("5m")})
    assert list(low.params) == ["threshold", "window"]  # a variant's own knobs first, as gen params lists them
    assert low.expr == high.expr == "latency > ${threshold}"
    assert os.path.basename(low.source.file) == os.path.basename(__file__)  # the caller's line, not gen's


def test_a_twin_with_an_unknown_field_is_an_error():
    with pytest.raises(TypeError, match="threshhold"):
        twins({"name": "A", "threshhold": 1}, expr="up == 0")


def _project(tmp_path, free: int) -> str:
    src = tmp_path / "rules_src"
    (src / "_fixtures").mkdir(parents=True, exist_ok=True)
    (src / "_fixtures" / "__init__.py").write_text("")
    (src / "_fixtures" / "disk.py").write_text(f'def disk():\n    return {{"disk_free{{job=\\"x\\"}}": "{free}x10"}}\n')
    (src / "disk.py").write_text(textwrap.dedent("""
        from gen.model import Alert, Case, Group
        from ._fixtures.disk import disk

        groups = [Group("disk", [Alert("DiskFull", expr="disk_free == 0", cases=[Case("empty", series=disk(), at="5m")])])]
    """))
    return str(src)


def test_areas_import_their_fixtures_and_an_edited_fixture_is_read_again(tmp_path):
    src = _project(tmp_path, 0)
    case = load_catalog(src).modules[0].groups[0].rules[0].cases[0]
    assert case.series == {'disk_free{job="x"}': "0x10"}
    fixture = tmp_path / "rules_src" / "_fixtures" / "disk.py"
    fixture.write_text(fixture.read_text().replace("0x10", "7x100"))
    case = load_catalog(src).modules[0].groups[0].rules[0].cases[0]
    assert case.series == {'disk_free{job="x"}': "7x100"}


def test_a_broken_fixture_names_its_file(tmp_path):
    src = _project(tmp_path, 0)
    (tmp_path / "rules_src" / "_fixtures" / "disk.py").write_text("def disk(:\n")
    with pytest.raises(DefinitionError, match=r"_fixtures/disk.py:1: syntax error"):
        load_catalog(src)


def _area_modules():
    from gen.upstream import RULES

    for entry in sorted(os.listdir(RULES)):
        if entry.endswith(".py") and not entry.startswith("_"):
            yield os.path.join(RULES, entry)


@pytest.mark.parametrize("path", list(_area_modules()), ids=os.path.basename)
def test_the_catalogs_cases_take_their_series_from_the_fixtures(path):
    """A function of an area module that a case calls for its series is a series builder:
    it belongs in rules_src/_fixtures/, so the area reads as a catalog."""
    import ast

    tree = ast.parse(open(path).read())
    local = {node.name: node.lineno for node in tree.body if isinstance(node, ast.FunctionDef)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Case":
            for keyword in node.keywords:
                if keyword.arg == "series":
                    for inner in ast.walk(keyword.value):
                        if isinstance(inner, ast.Call) and getattr(inner.func, "id", None) in local:
                            found.append(f"{os.path.basename(path)}:{inner.lineno} calls {inner.func.id} "
                                         f"(defined at line {local[inner.func.id]})")
    assert not found, "series builders outside rules_src/_fixtures/: " + "; ".join(found)
