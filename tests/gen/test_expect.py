"""gen.expect: annotation rendering checked against Prometheus' own (promtool test rules)."""

from __future__ import annotations

from support.paths import REPO
import math
import os
import shutil
import subprocess

import pytest
import yaml

from gen.expect import Unpredictable, humanize, humanize1024, humanize_duration, render

ROOT = str(REPO)


def _promtool() -> str | None:
    env = os.environ.get("PROMTOOL")
    if env and os.access(env, os.X_OK):
        return env
    local = os.path.join(ROOT, "tools", "bin", "promtool")
    if os.access(local, os.X_OK):
        return local
    return shutil.which("promtool")


PROMTOOL = _promtool()
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool not found")

LABELS = {"a": "hello world"}

# Every construct render() models, each in its own annotation.
TEMPLATES = {
    "humanize": "{{ $value | humanize }}",
    "humanize1024": "{{ $value | humanize1024 }}B",
    "percentage": "{{ $value | humanizePercentage }}",
    "duration": "up for {{ $value | humanizeDuration }}",
    "printf": 'value {{ printf "%.2f" $value }} now',
    "printf_e": '{{ printf "%.3e" $value }}',
    "printf_g": '{{ printf "%.4g" $value }}',
    "label": "{{ $labels.a }} on {{$labels.a}}",
    "missing_label": "[{{ $labels.nope }}]",
    "trim": "a =   {{- $labels.a -}}   ; v =\n  {{- $value | humanize }} .",
    "trim_right": "{{ $value | humanize -}}\n\n  end",
    "mixed": "{{ $labels.a }}: {{ $value | humanize }} ({{ $value | humanizePercentage }}), {{ $value | humanizeDuration }}",
}

VALUES = [0, 1, 0.5, 1234.5, 1e6, 123456789, 0.000123, -2048, 86400 * 3 + 5, 59.5, 0.25]


def _run_promtool(tmp_path, rule_groups: list, tests: list) -> subprocess.CompletedProcess:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": rule_groups}, sort_keys=False), encoding="utf-8")
    doc = {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests}
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return subprocess.run([PROMTOOL, "test", "rules", "test.yaml"], cwd=tmp_path, capture_output=True, text=True, timeout=60)


def _alert_test(name: str, value: float, annotations: dict[str, str]) -> dict:
    return {
        "name": name,
        "interval": "1m",
        "input_series": [{"series": 'x{a="%s"}' % LABELS["a"], "values": f"{value!r}x5"}],
        "alert_rule_test": [
            {
                "eval_time": "2m",
                "alertname": "Value",
                "exp_alerts": [{"exp_labels": dict(LABELS), "exp_annotations": annotations}],
            }
        ],
    }


def _rule_group(templates: dict[str, str]) -> dict:
    return {"name": "g", "rules": [{"alert": "Value", "expr": "x > -1e300", "annotations": templates}]}


@pytest.mark.live  # promtool renders every value
@needs_promtool
@pytest.mark.parametrize("value", VALUES, ids=[repr(v) for v in VALUES])
def test_render_matches_prometheus(tmp_path, value):
    expected = {key: render(t, LABELS, value) for key, t in TEMPLATES.items()}
    proc = _run_promtool(tmp_path, [_rule_group(TEMPLATES)], [_alert_test(f"value {value!r}", value, expected)])
    assert proc.returncode == 0, f"render() differs from Prometheus for value {value!r}:\n{proc.stdout}{proc.stderr}"


@needs_promtool
def test_promtool_check_is_not_vacuous(tmp_path):
    """The harness fails when a prediction is wrong (so the test above proves something)."""
    expected = {key: render(t, LABELS, 1234.5) for key, t in TEMPLATES.items()}
    expected["humanize"] = "1.234k!"
    proc = _run_promtool(tmp_path, [_rule_group(TEMPLATES)], [_alert_test("wrong", 1234.5, expected)])
    assert proc.returncode != 0
    assert "1.234k!" in proc.stdout + proc.stderr


@pytest.mark.parametrize("fmt", ["%d", "%g", "%5g", "%x"])
def test_printf_formats_go_and_python_disagree_on_are_unpredictable(fmt):
    # Go prints %!d(float64=3) for %d, and %g without precision as the shortest exact form
    # (1.23456789e+08) where Python gives 6 digits: such cases must state annotations.
    with pytest.raises(Unpredictable):
        render('{{ printf "%s" $value }}' % fmt, LABELS, 123456789)


# --------------------------------------------------------------------------------------
# render() without promtool


def test_render_examples():
    assert render("{{ $labels.a }} is {{ $value | humanize }}", {"a": "pod-1"}, 1234.5) == "pod-1 is 1.234k"
    assert render("{{ $value | humanize1024 }}", {}, 2048) == "2ki"
    assert render("{{ $value | humanizePercentage }}", {}, 0.25) == "25%"
    assert render("{{ $value | humanizeDuration }}", {}, 86400 * 3 + 5) == "3d 0h 0m 5s"
    assert render('{{ printf "%.2f" $value }}', {}, 3.14159) == "3.14"
    assert render("no actions at all", {}, None) == "no actions at all"


def test_render_trimming():
    assert render("a  {{- $labels.x -}}  b", {"x": "X"}, None) == "aXb"
    assert render("a\n\t {{- $labels.x }}  b", {"x": "X"}, None) == "aX  b"
    assert render("a  {{ $labels.x -}} \n b", {"x": "X"}, None) == "a  Xb"


def test_render_labels_need_no_value():
    assert render("{{ $labels.a }}/{{ $labels.missing }}", {"a": "x"}, None) == "x/"


@pytest.mark.parametrize(
    "template",
    [
        "{{ $value }}",
        "{{ .Labels.x }}",
        "{{ .Value }}",
        "{{ if gt $value 1.0 }}high{{ end }}",
        "{{ range $labels }}x{{ end }}",
        "{{ $value | humanizeTimestamp }}",
        "{{ $value | printf \"%.2f\" }}",
        '{{ printf "%s" $labels.a }}',
        "{{ $externalLabels.cluster }}",
        '{{ with query "up" }}{{ . }}{{ end }}',
    ],
)
def test_render_unpredictable(template):
    with pytest.raises(Unpredictable) as exc:
        render(template, {"a": "x", "x": "y"}, 1.0)
    assert "not predictable" in str(exc.value)


@pytest.mark.parametrize(
    "template",
    [
        "{{ $value | humanize }}",
        "{{ $value | humanize1024 }}",
        "{{ $value | humanizePercentage }}",
        "{{ $value | humanizeDuration }}",
        '{{ printf "%.2f" $value }}',
        "{{ $labels.a }} {{ $value | humanize }}",
    ],
)
def test_render_value_needed(template):
    with pytest.raises(Unpredictable) as exc:
        render(template, {"a": "x"}, None)
    assert "Fire(value=...)" in str(exc.value)


# --------------------------------------------------------------------------------------
# the humanize functions on their own; every expected text is checked against Prometheus too

FUNCTIONS = {"humanize": humanize, "humanize1024": humanize1024, "humanizeDuration": humanize_duration}

FUNCTION_CASES = [
    ("humanize", 0, "0"),
    ("humanize", 1, "1"),
    ("humanize", 999, "999"),
    ("humanize", 1000, "1k"),
    ("humanize", 1234.5, "1.234k"),
    ("humanize", 1e6, "1M"),
    ("humanize", 123456789, "123.5M"),
    ("humanize", -2048, "-2.048k"),
    ("humanize", 0.5, "500m"),
    ("humanize", -0.5, "-500m"),
    ("humanize", 0.000123, "123u"),
    ("humanize", 1e30, "1e+06Y"),
    ("humanize", math.inf, "+Inf"),
    ("humanize", -math.inf, "-Inf"),
    ("humanize", math.nan, "NaN"),
    ("humanize1024", 0, "0"),
    ("humanize1024", 1, "1"),
    ("humanize1024", 0.5, "0.5"),
    ("humanize1024", 1023, "1023"),
    ("humanize1024", 1024, "1ki"),
    ("humanize1024", -2048, "-2ki"),
    ("humanize1024", 1536, "1.5ki"),
    ("humanize1024", 1024**3, "1Gi"),
    ("humanize1024", math.inf, "+Inf"),
    ("humanizeDuration", 0, "0s"),
    ("humanizeDuration", 1, "1s"),
    ("humanizeDuration", 59.5, "59.5s"),
    ("humanizeDuration", 60, "1m 0s"),
    ("humanizeDuration", 3661, "1h 1m 1s"),
    ("humanizeDuration", 86400 * 3 + 5, "3d 0h 0m 5s"),
    ("humanizeDuration", -2048, "-34m 8s"),
    ("humanizeDuration", 0.5, "500ms"),
    ("humanizeDuration", 0.000123, "123us"),
    ("humanizeDuration", math.inf, "+Inf"),
    ("humanizeDuration", math.nan, "NaN"),
]


def _series_value(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Inf" if v > 0 else "-Inf"
    return repr(float(v))


@pytest.mark.parametrize("func, value, text", FUNCTION_CASES, ids=[f"{f}({v!r})" for f, v, _ in FUNCTION_CASES])
def test_humanize_functions(func, value, text):
    assert FUNCTIONS[func](value) == text
    assert render("{{ $value | %s }}" % func, {}, value) == text


@pytest.mark.live  # promtool renders the table
@needs_promtool
def test_humanize_function_table_is_what_prometheus_prints(tmp_path):
    """The expected texts above are Prometheus' own: one test group per table row."""
    rules = [{"alert": f"F_{name}", "expr": "x", "annotations": {"text": "{{ $value | %s }}" % name}} for name in FUNCTIONS]
    tests = []
    for n, (func, value, text) in enumerate(FUNCTION_CASES):
        v = _series_value(value)
        tests.append(
            {
                "name": f"{n}: {func}({v})",
                "interval": "1m",
                "input_series": [{"series": 'x{row="%d"}' % n, "values": f"{v} {v} {v}"}],
                "alert_rule_test": [
                    {
                        "eval_time": "1m",
                        "alertname": f"F_{func}",
                        "exp_alerts": [{"exp_labels": {"row": str(n)}, "exp_annotations": {"text": text}}],
                    }
                ],
            }
        )
    proc = _run_promtool(tmp_path, [{"name": "g", "rules": rules}], tests)
    assert proc.returncode == 0, proc.stdout + proc.stderr
