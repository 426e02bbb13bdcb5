"""gen.render.rules: the PrometheusRule manifest reuses the plain file's YAML text for its spec;
whatever the strings hold, both load to the same groups."""

from __future__ import annotations

import textwrap

import yaml

from gen.build import compile_rules
from gen.config import Config
from gen.render.rules import prometheus_rule, render_rule_files

# Strings the emitter writes in different styles: literal blocks (with blank lines, trailing
# spaces, leading indentation), quoted scalars, unicode, YAML-looking text, a very long line.
AWKWARD = [
    "line one\nline two\n",
    "first\n\n\nafter blank lines",
    "trailing spaces   \nnext line",
    "  leading spaces\n    deeper\nback",
    "\ttab first\nsecond",
    "中文告警：节点 {{ $labels.node }} 磁盘不足",
    "key: value # not a comment",
    "- not a list",
    "'quoted' \"both\"",
    "",
    "x" * 12_000,
    "ends with newline and spaces\n  ",
]


def test_manifest_spec_loads_to_the_plain_groups(tmp_path):
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "_selectors.py").write_text("SELECTORS = {}\n", encoding="utf-8")
    annotations = ", ".join(f'"a{i}": {s!r}' for i, s in enumerate(AWKWARD))
    (folder / "odd.py").write_text(textwrap.dedent(f"""
        from gen.model import Alert, Group
        groups = [Group("odd", [
            Alert("Odd", expr="up\\n  ==\\n\\n 0", severity="info", summary="s", description="d",
                  annotations={{{annotations}}}, lint_skip=("silent-case",)),
        ])]
    """), encoding="utf-8")
    compiled = compile_rules(Config(), str(folder))
    files = render_rule_files(compiled.rule_files, compiled.config)

    plain = yaml.safe_load(files["rules/odd.yaml"])
    (manifest_path,) = [p for p in files if p.startswith("prometheusrules/")]
    manifest = yaml.safe_load(files[manifest_path])
    assert manifest == prometheus_rule(compiled.rule_files[0], compiled.config)
    assert manifest["spec"] == plain
    resolved = compiled.rule_files[0].groups[0].rules[0]
    assert plain["groups"][0]["rules"][0]["annotations"] == dict(resolved.annotations)
    assert plain["groups"][0]["rules"][0]["expr"] == resolved.expr


def test_shared_values_are_written_out_not_aliased():
    from gen.core.yamlfmt import dump

    shared = {"team": "sre"}
    text = dump({"a": {"labels": shared}, "b": {"labels": shared}}).decode()
    assert "&" not in text and "*" not in text
    assert yaml.safe_load(text) == {"a": {"labels": shared}, "b": {"labels": shared}}
