"""Bad input fails the build with a message that says what and where, and leaves out/ alone.

Each test writes a tiny catalog (and config) under tmp_path, builds it once successfully
into an out folder, then runs the failing build into the same folder and checks:
  * the CLI exits non-zero,
  * stderr names the alert or config key and where it is defined (catalog file:line of the
    `Alert(` call, or config path + dotted key),
  * the out folder is byte-for-byte what it was, with no staging folder left next to it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from gen.render import outdir
from gen.cli import main

SELECTORS_PY = 'SELECTORS = {"ksm": \'job="kube-state-metrics"\', "cadvisor": \'job="kubelet", metrics_path="/metrics/cadvisor"\'}\n'

# A valid alert, always first in a module so bad alerts are never on a trivial line.
GOOD_ALERT = {
    "name": "GoodAlert",
    "expr": "sum by (namespace, pod) (kube_pod_info{${ksm}}) > ${threshold}",
    "params": {"threshold": 1},
    "for_": "5m",
    "severity": "warning",
    "summary": "Pods above ${threshold}.",
    "description": "Pod {{ $labels.namespace }}/{{ $labels.pod }} is counted {{ $value }} times.",
}

# The catalog for the config tests: PodCpu75 in group pod-resources, numeric and duration params.
POD_CPU = {
    "name": "PodCpu75",
    "expr": (
        "100 * sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{${cadvisor}}[${rate_window}]))\n"
        "/ sum by (namespace, pod) (kube_pod_container_resource_limits{${ksm}, resource=\"cpu\"})\n"
        "> ${threshold}"
    ),
    "params": {"threshold": 75, "rate_window": "@Duration('2m')"},
    "for_": "7m",
    "severity": "warning",
    "summary": "Pod CPU usage above ${threshold}% of its limit.",
    "description": "Pod {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | humanize }}% of its CPU limit.",
}


pytestmark = pytest.mark.usefixtures("no_bytecode")  # conftest.py


# --- writing catalogs -------------------------------------------------------------------


def _value(v) -> str:
    if isinstance(v, str) and v.startswith("@"):
        return v[1:]  # raw Python, e.g. Duration('2m')
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k!r}: {_value(x)}" for k, x in v.items()) + "}"
    return repr(v)


def alert_src(spec: dict) -> str:
    """Python source of one Alert(...) call, the name on the line after `Alert(`."""
    lines = ["        Alert(", f"            {spec['name']!r},"]
    for key, value in spec.items():
        if key != "name":
            lines.append(f"            {key}={_value(value)},")
    lines.append("        ),")
    return "\n".join(lines) + "\n"


def module_src(alerts: list[dict], group: str = "demo") -> str:
    body = "".join(alert_src(a) for a in alerts)
    return (
        '"""A test catalog module."""\n'
        "\n"
        "from gen.model import Alert, Duration, Group\n"
        "\n"
        "groups = [\n"
        f"    Group({group!r}, [\n"
        f"{body}"
        "    ]),\n"
        "]\n"
    )


def write_catalog(folder: Path, module: str, text: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "_selectors.py").write_text(SELECTORS_PY)
    path = folder / f"{module}.py"
    path.write_text(text)
    return path


def alert_lines(text: str, name: str) -> list[int]:
    """1-based line numbers of each `Alert(` call whose first argument is `name`."""
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines):
        if line.strip() == "Alert(" and i + 1 < len(lines) and lines[i + 1].strip() == f"{name!r},":
            found.append(i + 1)
    assert found, f"test bug: no Alert({name!r}) in the generated module"
    return found


def locations(message: str) -> set[tuple[str, int]]:
    """Every `path.py:line` in a message, the path resolved against the working directory."""
    out = set()
    for path, line in re.findall(r"([^\s:'\"]+\.py):(\d+)", message):
        out.add((os.path.realpath(os.path.join(os.getcwd(), path)), int(line)))
    return out


# --- running builds ---------------------------------------------------------------------


def build(capsys, rules_src: Path, config: Path, out: Path) -> tuple[int, str, str]:
    capsys.readouterr()  # drop anything printed before
    rc = main(["build", "--no-upstream", "--rules-src", str(rules_src), "--config", str(config), "--out", str(out)])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def baseline(capsys, tmp_path: Path, good_src: Path, config: Path) -> tuple[Path, dict[str, bytes]]:
    """A successful build into tmp_path/out; its files, byte for byte."""
    out = tmp_path / "out"
    rc, _, err = build(capsys, good_src, config, out)
    assert rc == 0, f"baseline build failed:\n{err}"
    tree = outdir.read_tree(str(out))
    assert any(p.startswith("rules/") for p in tree) and "kustomization.yaml" in tree, sorted(tree)
    return out, tree


def assert_untouched(out: Path, before: dict[str, bytes]) -> None:
    assert outdir.read_tree(str(out)) == before, "the failed build changed the out folder"
    leftovers = sorted(p.name for p in out.parent.iterdir() if p.name.startswith((f"{out.name}.tmp-", f"{out.name}.old-")))
    assert leftovers == [], f"staging folders left behind: {leftovers}"


# --- definitions ------------------------------------------------------------------------

CATALOG_CASES = [
    pytest.param(
        [{**GOOD_ALERT, "name": "BrokenParen", "expr": "sum(rate(http_requests_total{${ksm}}[5m]) > 1"}],
        "BrokenParen",
        ["unclosed left parenthesis"],
        id="promql-syntax-error",
    ),
    pytest.param(
        [{**GOOD_ALERT, "name": "DoubledOperator", "expr": "sum(rate(http_requests_total{${ksm}}[5m]))\n  >> 2"}],
        "DoubledOperator",
        # promql-parser says only "invalid promql query"; Prometheus' parser (promtool) says where
        ["PromQL does not parse: 2:4: parse error: unexpected <op:>> (line:column in the expression)"],
        id="promql-syntax-error-with-position",
    ),
    pytest.param(
        [{**GOOD_ALERT, "name": "UnknownFunc", "expr": "foo_bar(x) > 1"}],
        "UnknownFunc",
        ['1:1: parse error: unknown function with name "foo_bar"'],
        id="unknown-promql-function",
    ),
    pytest.param(
        [{**GOOD_ALERT, "name": "NoSeverity", "severity": None}],
        "NoSeverity",
        ["severity"],
        id="missing-severity",
    ),
    pytest.param(
        [{**GOOD_ALERT, "name": "BadFor", "for_": "5x"}],
        "BadFor",
        ["5x"],
        id="bad-duration-in-definition",
    ),
    pytest.param(
        [{
            **GOOD_ALERT,
            "name": "LostLabel",
            "expr": "sum by (namespace) (kube_pod_info{${ksm}}) > 1",
            "description": "Pod {{ $labels.pod }} in {{ $labels.namespace }} is not counted.",
        }],
        "LostLabel",
        ["$labels.pod"],
        id="template-label-dropped-by-expression",
    ),
]


@pytest.mark.parametrize("bad_alerts, name, fragments", CATALOG_CASES)
def test_bad_definition(tmp_path, capsys, bad_alerts, name, fragments):
    config = tmp_path / "monitoring.yaml"
    config.write_text("")
    good_src = tmp_path / "good" / "rules_src"
    write_catalog(good_src, "demo", module_src([GOOD_ALERT]))
    out, before = baseline(capsys, tmp_path, good_src, config)

    text = module_src([GOOD_ALERT, *bad_alerts])
    if "severity=None," in text:  # "missing severity": leave the argument out entirely
        text = text.replace("            severity=None,\n", "")
    bad_src = tmp_path / "bad" / "rules_src"
    module = write_catalog(bad_src, "demo", text)
    (line,) = alert_lines(text, name)

    rc, _, err = build(capsys, bad_src, config, out)

    assert rc != 0, f"the build of a bad catalog succeeded:\n{err}"
    assert name in err, err
    assert (os.path.realpath(module), line) in locations(err), f"expected {module}:{line} in:\n{err}"
    for fragment in fragments:
        assert fragment in err, err
    assert "GoodAlert" not in err, f"the valid alert was blamed too:\n{err}"
    assert_untouched(out, before)


def test_duplicate_alert_name(tmp_path, capsys):
    config = tmp_path / "monitoring.yaml"
    config.write_text("")
    good_src = tmp_path / "good" / "rules_src"
    write_catalog(good_src, "demo", module_src([GOOD_ALERT]))
    out, before = baseline(capsys, tmp_path, good_src, config)

    dup = {**GOOD_ALERT, "name": "DupName"}
    text = module_src([GOOD_ALERT, dup, {**dup, "severity": "critical"}])
    bad_src = tmp_path / "bad" / "rules_src"
    module = write_catalog(bad_src, "demo", text)
    first, second = alert_lines(text, "DupName")

    rc, _, err = build(capsys, bad_src, config, out)

    assert rc != 0, f"a catalog with a duplicate alert name built:\n{err}"
    assert "DupName" in err, err
    where = locations(err)
    # Both definitions are named: the duplicate and the one it collides with.
    assert (os.path.realpath(module), second) in where, f"expected {module}:{second} in:\n{err}"
    assert (os.path.realpath(module), first) in where, f"expected {module}:{first} in:\n{err}"
    assert_untouched(out, before)


# --- configuration ----------------------------------------------------------------------

CONFIG_CASES = [
    pytest.param("tresholds: 1\n", "tresholds", [], id="unknown-top-level-key"),
    pytest.param("alerts:\n  PodCpu75:\n    treshold: 80\n", "alerts.PodCpu75.treshold", ["threshold"], id="unknown-key-under-alert"),
    pytest.param(
        "alerts:\n  PodCpu57:\n    threshold: 80\n", "alerts.PodCpu57", ["PodCpu75"], id="unknown-alert-name-suggests-match"
    ),
    pytest.param(
        "groups:\n  pod-resorces:\n    labels:\n      team: platform\n",
        "groups.pod-resorces",
        ["pod-resources"],
        id="unknown-group-name-suggests-match",
    ),
    pytest.param("alerts:\n  PodCpu75:\n    threshold: high\n", "alerts.PodCpu75.threshold", ["high"], id="string-for-number"),
    pytest.param('alerts:\n  PodCpu75:\n    disabled: "yes"\n', "alerts.PodCpu75.disabled", [], id="string-for-boolean"),
    pytest.param("alerts:\n  PodCpu75:\n    for: 5x\n", "alerts.PodCpu75.for", ["5x"], id="bad-duration-for"),
    pytest.param(
        "alerts:\n  PodCpu75:\n    rate_window: 5x\n", "alerts.PodCpu75.rate_window", ["5x"], id="bad-duration-parameter"
    ),
    pytest.param("selectors:\n  ksm: 'job=\"kube-state-metrics'\n", "selectors.ksm",
                 ["is not a list of label matchers", "unterminated quoted string"], id="malformed-selector"),
]


def test_a_malformed_selector_is_one_error_at_its_key_not_one_per_alert(tmp_path, capsys):
    src = tmp_path / "rules_src"
    write_catalog(src, "pods", module_src([POD_CPU, {**POD_CPU, "name": "PodCpu90"}], group="pod-resources"))
    config = tmp_path / "monitoring.yaml"
    config.write_text("selectors:\n  ksm: 'job=\"kube-state-metrics'\n")
    rc, _, err = build(capsys, src, config, tmp_path / "out")
    assert rc != 0
    assert err.count("selectors.ksm") == 1 and "rules_src" not in err and "PodCpu" not in err, err


@pytest.mark.parametrize("config_text, key, fragments", CONFIG_CASES)
def test_bad_config(tmp_path, capsys, config_text, key, fragments):
    src = tmp_path / "rules_src"
    write_catalog(src, "pods", module_src([POD_CPU], group="pod-resources"))
    config = tmp_path / "monitoring.yaml"
    config.write_text("")
    out, before = baseline(capsys, tmp_path, src, config)

    config.write_text(config_text)
    rc, _, err = build(capsys, src, config, out)

    assert rc != 0, f"a bad config built:\n{config_text}\n{err}"
    assert str(config) in err, f"config path missing from:\n{err}"
    # The dotted key, as a whole word (not a prefix of a longer key).
    assert re.search(re.escape(key) + r"(?![\w.-])", err), f"key {key!r} missing from:\n{err}"
    message = err.replace(str(config), "<config>").replace(key, "<key>")
    for fragment in fragments:
        assert fragment in message, err
    assert_untouched(out, before)


# Values the config may set but that are only checked after resolving (lint) must still be
# blamed on the config key that introduced them, not on the untouched catalog definition.
LATE_CONFIG_CASES = [
    pytest.param(
        "alerts:\n  PodCpu75:\n    annotations:\n      summary: 'Node {{ $labels.node }} is busy'\n",
        "alerts.PodCpu75.annotations.summary",
        id="annotation-override-uses-dropped-label",
    ),
    pytest.param(
        "alerts:\n  PodCpu75:\n    labels:\n      severity: page\n",
        "alerts.PodCpu75.labels.severity",
        id="unknown-severity-via-labels",
    ),
]


@pytest.mark.parametrize("config_text, key", LATE_CONFIG_CASES)
def test_bad_config_value_caught_by_lint_names_the_config_key(tmp_path, capsys, config_text, key):
    src = tmp_path / "rules_src"
    write_catalog(src, "pods", module_src([POD_CPU], group="pod-resources"))
    config = tmp_path / "monitoring.yaml"
    config.write_text("")
    out, before = baseline(capsys, tmp_path, src, config)

    config.write_text(config_text)
    rc, _, err = build(capsys, src, config, out)

    assert rc != 0, f"a bad config built:\n{config_text}\n{err}"
    assert_untouched(out, before)
    assert str(config) in err, f"config path missing from:\n{err}"
    assert key in err, f"key {key!r} missing from:\n{err}"


def test_modules_whose_manifest_names_collide(tmp_path, capsys):
    config = tmp_path / "monitoring.yaml"
    config.write_text("")
    good_src = tmp_path / "good" / "rules_src"
    write_catalog(good_src, "demo", module_src([GOOD_ALERT]))
    out, before = baseline(capsys, tmp_path, good_src, config)

    bad_src = tmp_path / "bad" / "rules_src"
    write_catalog(bad_src, "app_a", module_src([{**GOOD_ALERT, "name": "AlertA"}], group="a"))
    (bad_src / "app-a.py").write_text(module_src([{**GOOD_ALERT, "name": "AlertB"}], group="b"))

    rc, _, err = build(capsys, bad_src, config, out)

    assert rc != 0, "two modules were written to one PrometheusRule manifest without an error"
    assert "app_a.py" in err and "app-a.py" in err, err
    assert_untouched(out, before)


def test_a_new_alert_without_a_runbook_is_reported_by_the_build(tmp_path, capsys):
    src = tmp_path / "rules_src"
    text = module_src([GOOD_ALERT, {**GOOD_ALERT, "name": "NewAlert"}])
    module = write_catalog(src, "demo", text)
    runbooks = tmp_path / "docs" / "runbooks"  # beside the output folder, as the project keeps them
    runbooks.mkdir(parents=True)
    (runbooks / "GoodAlert.md").write_text("# GoodAlert\n## Meaning\n## Impact\n## Diagnosis\n## Mitigation\n")
    config = tmp_path / "monitoring.yaml"
    config.write_text("")
    rc, _, err = build(capsys, src, config, tmp_path / "out")
    assert rc == 0, err  # a warning: the build still writes out/
    [line] = [l for l in err.splitlines() if "[runbook]" in l]
    assert f":{alert_lines(text, 'NewAlert')[0]}: warning: alert NewAlert: no runbook: write " in line
    assert "docs/runbooks/NewAlert.md starting with '# NewAlert'" in line and "'## Mitigation'" in line
    assert os.path.realpath(module) in {p for p, _ in locations(line)}
    (runbooks / "NewAlert.md").write_text("# NewAlert\n## Meaning\n")
    rc, _, err = build(capsys, src, config, tmp_path / "out")
    assert "NewAlert.md lacks '## Impact', '## Diagnosis', '## Mitigation' [runbook]" in err, err
