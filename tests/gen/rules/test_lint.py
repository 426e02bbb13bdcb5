"""gen.rules.lint: every registered check, once triggered and once not; lint_skip; config-aware rate-range."""

from __future__ import annotations

import os
import textwrap

import pytest

from gen.build import analyze_rules, compile_rules
from gen.config import Config, parse_config
from gen.core.errors import LintError
from gen.rules.lint import CHECKS, ERROR, WARNING, Context, Finding, run_checks
from gen.rules.loader import load_catalog
from gen.rules.resolve import resolve

HEADER = "from gen.model import Alert, Group, Record\n\n"

# An alert no check complains about; cases add to it.
GOOD = 'Alert("Good", expr="up == 0", severity="warning", summary="s", description="d")'


def write_catalog(tmp_path, rules: str, name: str = "mod") -> str:
    """A catalog folder whose module `name` has one group holding `rules` (Python source)."""
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / "_selectors.py").write_text('SELECTORS = {"app": \'job="app"\'}\n', encoding="utf-8")
    body = textwrap.indent(textwrap.dedent(rules).strip(), " " * 8)
    (folder / f"{name}.py").write_text(
        f'{HEADER}groups = [\n    Group("g", [\n{body}\n    ]),\n]\n', encoding="utf-8"
    )
    return str(folder)


# The checks this file covers (others may be registered; they are left out of exact comparisons).
KNOWN = {
    "duplicate-name": ERROR,
    "required-fields": ERROR,
    "unknown-severity": ERROR,
    "no-condition": ERROR,
    "template-label": ERROR,
    "recording-name": WARNING,
    "undefined-recording": ERROR,
    "rate-range": WARNING,
    "cluster-label": WARNING,
    "namespace-scope": WARNING,
    "replicated-exporter": WARNING,
}


def lint(tmp_path, rules: str, config: Config | None = None, replicated: dict[str, str] | None = None) -> list[Finding]:
    """The findings of the checks in KNOWN for a one-module catalog."""
    folder = write_catalog(tmp_path, rules)
    config = config or Config()
    files = resolve(load_catalog(folder), config)
    analyze_rules(files)
    return [f for f in run_checks(Context(files, config, replicated or {})) if f.check in KNOWN]


def of(findings: list[Finding], check: str) -> list[Finding]:
    return [f for f in findings if f.check == check]


def mod_path(tmp_path) -> str:
    """The catalog module as definitions name it (relative to the working directory)."""
    return os.path.relpath(tmp_path / "rules" / "mod.py")


def location(finding: Finding) -> str:
    """Where a finding points (the part of its printed form before the level)."""
    return str(finding).split(f": {finding.level}: ", 1)[0]


def line_of(tmp_path, needle: str) -> int:
    with open(tmp_path / "rules" / "mod.py", encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if needle in line:
                return n
    raise AssertionError(needle)


def test_registered_checks():
    for name, level in KNOWN.items():
        assert name in CHECKS, f"check {name} is not registered"
        assert CHECKS[name].name == name
        assert CHECKS[name].level == level
    for chk in CHECKS.values():
        assert chk.name and chk.doc  # every check documents itself


def test_good_rules_have_no_findings(tmp_path):
    findings = lint(
        tmp_path,
        GOOD
        + """,
        Record("job:up:sum", expr="sum by (job) (up)"),
        Alert("UsesRecord", expr="job:up:sum{${app}} < 1", severity="info", summary="s",
              description="{{ $labels.job }}"),
        """,
    )
    assert findings == []


# --------------------------------------------------------------------------------------
# duplicate-name


def test_duplicate_alert_name(tmp_path):
    findings = lint(tmp_path, f'{GOOD},\n{GOOD.replace("up == 0", "up == 2")},')
    found = of(findings, "duplicate-name")
    assert len(found) == 1
    f = found[0]
    assert f.level == ERROR
    assert f.what == "alert Good"
    first = line_of(tmp_path, "up == 0")
    second = line_of(tmp_path, "up == 2")
    mod = mod_path(tmp_path)
    assert location(f) == f"{mod}:{second}"  # reported at the second definition
    assert f.message == f"name already defined at {mod}:{first}"
    assert str(f).endswith("[duplicate-name]")


def test_duplicate_recording_rule_same_labels(tmp_path):
    findings = lint(
        tmp_path,
        """
        Record("job:up:sum", expr="sum by (job) (up)", labels={"a": "1"}),
        Record("job:up:sum", expr="sum by (job) (up{x='1'})", labels={"a": "1"}),
        """,
    )
    found = of(findings, "duplicate-name")
    assert [(f.level, f.what) for f in found] == [(ERROR, "recording rule job:up:sum")]
    assert "name already defined at" in found[0].message


def test_no_duplicate(tmp_path):
    findings = lint(
        tmp_path,
        f"""
        {GOOD},
        {GOOD.replace('"Good"', '"Other"')},
        Record("job:up:sum", expr="sum by (job) (up)", labels={{"a": "1"}}),
        Record("job:up:sum", expr="sum by (job) (up)", labels={{"a": "2"}}),
        """,
    )
    assert of(findings, "duplicate-name") == []


# --------------------------------------------------------------------------------------
# required-fields


def test_required_fields_missing(tmp_path):
    findings = lint(tmp_path, 'Alert("Bare", expr="up == 0"),\nAlert("NoDesc", expr="up == 0", severity="info", summary="s"),')
    found = {f.what: f for f in of(findings, "required-fields")}
    assert set(found) == {"alert Bare", "alert NoDesc"}
    assert all(f.level == ERROR for f in found.values())
    assert found["alert Bare"].message == "missing severity, summary, description"
    assert found["alert NoDesc"].message == "missing description"


def test_required_fields_from_config(tmp_path):
    """Fields the config supplies count."""
    config = parse_config({"alerts": {"NoDesc": {"severity": "info", "annotations": {"description": "d"}}}}, "m.yaml")
    findings = lint(tmp_path, 'Alert("NoDesc", expr="up == 0", summary="s"),', config)
    assert of(findings, "required-fields") == []


def test_required_fields_present(tmp_path):
    assert of(lint(tmp_path, f"{GOOD},"), "required-fields") == []


# --------------------------------------------------------------------------------------
# unknown-severity


def test_unknown_severity(tmp_path):
    findings = lint(tmp_path, 'Alert("Paging", expr="up == 0", severity="page", summary="s", description="d"),')
    found = of(findings, "unknown-severity")
    assert len(found) == 1
    f = found[0]
    assert (f.level, f.what) == (ERROR, "alert Paging")
    assert "unknown severity 'page'" in f.message
    assert "critical, warning, info" in f.message


def test_unknown_severity_via_config_label(tmp_path):
    config = parse_config({"alerts": {"Good": {"labels": {"severity": "urgent"}}}}, "m.yaml")
    found = of(lint(tmp_path, f"{GOOD},", config), "unknown-severity")
    assert [(f.what, "'urgent'" in f.message) for f in found] == [("alert Good", True)]


@pytest.mark.parametrize("severity", ["critical", "warning", "info"])
def test_known_severity(tmp_path, severity):
    rules = GOOD.replace('severity="warning"', f'severity="{severity}"')
    assert of(lint(tmp_path, f"{rules},"), "unknown-severity") == []


# --------------------------------------------------------------------------------------
# no-condition


def test_no_condition(tmp_path):
    findings = lint(tmp_path, 'Alert("Always", expr="sum by (job) (up)", severity="info", summary="s", description="d"),')
    found = of(findings, "no-condition")
    assert len(found) == 1
    f = found[0]
    assert (f.level, f.what) == (ERROR, "alert Always")
    assert "no comparison" in f.message and "absent()" in f.message
    line = line_of(tmp_path, '"Always"')
    assert location(f) == f"{mod_path(tmp_path)}:{line}"


@pytest.mark.parametrize("expr", ["up == 0", 'absent(up{job=\\"a\\"})', "up > bool 0 == 1"])
def test_condition_present(tmp_path, expr):
    rules = f'Alert("Cond", expr="{expr}", severity="info", summary="s", description="d"),'
    assert of(lint(tmp_path, rules), "no-condition") == []


def test_comparison_with_bool_is_no_condition(tmp_path):
    rules = 'Alert("Bool", expr="up > bool 0", severity="info", summary="s", description="d"),'
    assert [f.what for f in of(lint(tmp_path, rules), "no-condition")] == ["alert Bool"]


def test_lint_skip_silences_no_condition(tmp_path):
    rules = """
        Alert("Always", expr="vector(1)", severity="info", summary="s", description="d", lint_skip=("no-condition",)),
        Alert("Also", expr="vector(1)", severity="info", summary="s", description="d"),
    """
    found = of(lint(tmp_path, rules), "no-condition")
    assert [f.what for f in found] == ["alert Also"]


def test_lint_skip_only_silences_named_check(tmp_path):
    rules = 'Alert("Always", expr="vector(1)", lint_skip=("no-condition",)),'
    findings = lint(tmp_path, rules)
    assert of(findings, "no-condition") == []
    assert [f.what for f in of(findings, "required-fields")] == ["alert Always"]


# --------------------------------------------------------------------------------------
# template-label


def test_template_label_aggregated_away(tmp_path):
    rules = """
        Alert("PodsFailing", expr='sum by (namespace) (kube_pod_status_phase{phase="Failed"}) > 0',
              severity="warning", summary="in {{ $labels.namespace }}",
              description="pod {{ $labels.pod }} failed"),
    """
    found = of(lint(tmp_path, rules), "template-label")
    assert len(found) == 1
    f = found[0]
    assert (f.level, f.what) == (ERROR, "alert PodsFailing")
    assert "annotation description uses $labels.pod" in f.message
    assert "only carries: namespace" in f.message


def test_template_label_index_form(tmp_path):
    rules = """
        Alert("NoLabels", expr='sum(up) == 0', severity="warning", summary="s",
              description='{{ index $labels "job" }} is down'),
    """
    found = of(lint(tmp_path, rules), "template-label")
    assert [f.what for f in found] == ["alert NoLabels"]
    assert "$labels.job" in found[0].message
    assert "no labels" in found[0].message


def test_template_label_dropped_by_without(tmp_path):
    rules = """
        Alert("P99", expr='histogram_quantile(0.99, rate(req_bucket[5m])) > 1', severity="warning",
              summary="s", description="{{ $labels.le }}"),
    """
    found = of(lint(tmp_path, rules), "template-label")
    assert [f.what for f in found] == ["alert P99"]
    assert "$labels.le" in found[0].message


def test_template_label_from_config_annotation(tmp_path):
    config = parse_config({"alerts": {"Good": {"annotations": {"extra": "{{ $labels.pod }}"}}}}, "m.yaml")
    rules = GOOD.replace('"up == 0"', '"sum by (job) (up) == 0"')
    found = of(lint(tmp_path, f"{rules},", config), "template-label")
    assert [f.what for f in found] == ["alert Good"]
    assert "annotation extra" in found[0].message


def test_template_label_kept(tmp_path):
    rules = """
        Alert("PodsFailing", expr='sum by (namespace, pod) (kube_pod_status_phase{phase="Failed"}) > 0',
              severity="warning", summary="{{ $labels.namespace }}", description="{{ $labels.pod }}"),
        Alert("Open", expr='up == 0', severity="warning", summary="s", description="{{ $labels.instance }}"),
        Alert("Absent", expr='absent(up{job="kubelet"})', severity="warning", summary="s",
              description="{{ $labels.job }}"),
    """
    assert of(lint(tmp_path, rules), "template-label") == []


# --------------------------------------------------------------------------------------
# recording-name


@pytest.mark.parametrize("name", ["job_up_sum", "job:up", "job:up:", "1job:up:sum"])
def test_recording_name_bad(tmp_path, name):
    found = of(lint(tmp_path, f'Record("{name}", expr="sum by (job) (up)"),'), "recording-name")
    assert len(found) == 1
    f = found[0]
    assert (f.level, f.what) == (WARNING, f"recording rule {name}")
    assert "level:metric:operations" in f.message


@pytest.mark.parametrize("name", ["job:up:sum", "namespace_pod:container_cpu:sum_rate5m"])
def test_recording_name_good(tmp_path, name):
    assert of(lint(tmp_path, f'Record("{name}", expr="sum by (job) (up)"),'), "recording-name") == []


# --------------------------------------------------------------------------------------
# undefined-recording


def test_undefined_recording(tmp_path):
    rules = 'Alert("UsesRecord", expr="job:up:sum < 1", severity="info", summary="s", description="d"),'
    found = of(lint(tmp_path, rules), "undefined-recording")
    assert len(found) == 1
    f = found[0]
    assert (f.level, f.what) == (ERROR, "alert UsesRecord")
    assert f.message == "reads job:up:sum, which no recording rule defines"


def test_undefined_recording_in_recording_rule(tmp_path):
    found = of(lint(tmp_path, 'Record("job:up:max", expr="max(job:up:sum)"),'), "undefined-recording")
    assert [f.what for f in found] == ["recording rule job:up:max"]


def test_defined_recording(tmp_path):
    rules = """
        Record("job:up:sum", expr="sum by (job) (up)"),
        Alert("UsesRecord", expr="job:up:sum < 1", severity="info", summary="s", description="d"),
    """
    assert of(lint(tmp_path, rules), "undefined-recording") == []


def test_recording_defined_in_other_module_counts(tmp_path):
    folder = write_catalog(tmp_path, 'Alert("UsesRecord", expr="job:up:sum < 1", severity="info", summary="s", description="d"),')
    (tmp_path / "rules" / "aaa.py").write_text(
        HEADER + 'groups = [Group("records", [Record("job:up:sum", expr="sum by (job) (up)")])]\n', encoding="utf-8"
    )
    files = resolve(load_catalog(folder), Config())
    analyze_rules(files)
    findings = run_checks(Context(files, Config()))
    assert of(findings, "undefined-recording") == []


# --------------------------------------------------------------------------------------
# rate-range


RATE_ALERT = 'Alert("Errors", expr="sum(rate(errors_total[{rng}])) > 1", severity="info", summary="s", description="d"),'


def test_rate_range_too_short_default(tmp_path):
    found = of(lint(tmp_path, RATE_ALERT.format(rng="1m")), "rate-range")
    assert len(found) == 1
    f = found[0]
    assert (f.level, f.what) == (WARNING, "alert Errors")
    assert f.message == "rate() over 1m is shorter than 4 scrape intervals of 30s (2m)"


def test_rate_range_long_enough_default(tmp_path):
    assert of(lint(tmp_path, RATE_ALERT.format(rng="2m")), "rate-range") == []


@pytest.mark.parametrize(
    "config, rng, message",
    [
        ({"scrape_interval": "15s"}, "1m", None),
        ({"scrape_interval": "15s"}, "45s", "rate() over 45s is shorter than 4 scrape intervals of 15s (1m)"),
        ({"scrape_interval": "1m"}, "3m", "rate() over 3m is shorter than 4 scrape intervals of 1m (4m)"),
        ({"min_rate_intervals": 2}, "1m", None),
        ({"min_rate_intervals": 10}, "4m", "rate() over 4m is shorter than 10 scrape intervals of 30s (5m)"),
        ({"scrape_interval": "1m", "min_rate_intervals": 2}, "2m", None),
        ({"scrape_interval": "1m", "min_rate_intervals": 2}, "90s", "rate() over 1m30s is shorter than 2 scrape intervals of 1m (2m)"),
    ],
)
def test_rate_range_honours_config(tmp_path, config, rng, message):
    found = of(lint(tmp_path, RATE_ALERT.format(rng=rng), parse_config(config, "m.yaml")), "rate-range")
    assert [f.message for f in found] == ([message] if message else [])


@pytest.mark.parametrize("func", ["increase", "irate"])
def test_rate_range_other_functions(tmp_path, func):
    rules = f'Record("job:x:{func}", expr="sum by (job) ({func}(x[30s]))"),'
    found = of(lint(tmp_path, rules), "rate-range")
    assert [(f.what, f.message.startswith(f"{func}() over 30s")) for f in found] == [(f"recording rule job:x:{func}", True)]


def test_rate_range_ignores_other_range_functions(tmp_path):
    rules = 'Alert("Max", expr="max_over_time(x[30s]) > 1", severity="info", summary="s", description="d"),'
    assert of(lint(tmp_path, rules), "rate-range") == []


# --------------------------------------------------------------------------------------
# cluster-label (multi_cluster on)

MULTI = {"multi_cluster": {"enabled": True}}


def test_cluster_label_a_result_without_labels_cannot_name_the_cluster(tmp_path):
    rules = 'Alert("Always", expr="vector(1) > 0", severity="info", summary="s", description="d"),'
    found = of(lint(tmp_path, rules, parse_config(MULTI, "m.yaml")), "cluster-label")
    assert [(f.what, "'cluster'" in f.message) for f in found] == [("alert Always", True)]


def test_cluster_label_absent_names_its_cluster_once_anchored_on_the_targets(tmp_path):
    rules = 'Alert("Gone", expr="absent(up{${app}})", severity="info", summary="s", description="d"),'
    assert of(lint(tmp_path, rules, parse_config(MULTI, "m.yaml")), "cluster-label") == []


def test_cluster_label_kept_through_aggregation(tmp_path):
    rules = 'Alert("Few", expr="sum by (job) (up{${app}}) < 1", severity="info", summary="s", description="d"),'
    assert of(lint(tmp_path, rules, parse_config(MULTI, "m.yaml")), "cluster-label") == []


def test_cluster_label_silent_when_multi_cluster_off(tmp_path):
    rules = 'Alert("Gone", expr="absent(up{${app}})", severity="info", summary="s", description="d"),'
    assert of(lint(tmp_path, rules), "cluster-label") == []


# --------------------------------------------------------------------------------------
# namespace-scope (namespace_scope set)

SCOPE = {"namespace_scope": "shop|web"}


def test_namespace_scope_warns_on_a_selector_it_cannot_narrow(tmp_path):
    rules = """
        Alert("Busy", expr='up{${app}} == 0 and on (namespace) kube_x{job="ksm"}', namespaced=True,
              severity="info", summary="s", description="d"),
    """
    found = of(lint(tmp_path, rules, parse_config(SCOPE, "m.yaml")), "namespace-scope")
    assert [(f.what, f.message.startswith("selector of kube_x ")) for f in found] == [("alert Busy", True)]


def test_namespace_scope_quiet_when_every_selector_uses_a_placeholder(tmp_path):
    rules = 'Alert("Busy", expr="up{${app}} == 0", namespaced=True, severity="info", summary="s", description="d"),'
    assert of(lint(tmp_path, rules, parse_config(SCOPE, "m.yaml")), "namespace-scope") == []


def test_namespace_scope_ignores_cluster_wide_alerts(tmp_path):
    rules = 'Alert("Node", expr=\'kube_x{job="ksm"} == 0\', severity="info", summary="s", description="d"),'
    assert of(lint(tmp_path, rules, parse_config(SCOPE, "m.yaml")), "namespace-scope") == []


# --------------------------------------------------------------------------------------
# run_checks ordering and compile_rules


def test_findings_sorted_errors_first(tmp_path):
    rules = """
        Record("bad_name", expr="sum(up)"),
        Alert("Always", expr="vector(1)", severity="info", summary="s", description="d"),
    """
    findings = lint(tmp_path, rules)
    assert [f.level for f in findings] == [ERROR, WARNING]
    assert [f.check for f in findings] == ["no-condition", "recording-name"]


def test_compile_rules_raises_on_errors(tmp_path):
    folder = write_catalog(tmp_path, 'Alert("Always", expr="vector(1)", severity="info", summary="s", description="d"),')
    with pytest.raises(LintError) as exc:
        compile_rules(Config(), folder)
    message = str(exc.value)
    assert "alert Always" in message and "[no-condition]" in message
    line = line_of(tmp_path, '"Always"')
    assert f"mod.py:{line}: error: alert Always:" in message


def test_compile_rules_returns_warnings(tmp_path):
    folder = write_catalog(tmp_path, f'{GOOD},\n{RATE_ALERT.format(rng="1m")}')
    compiled = compile_rules(Config(), folder)
    known = [(f.check, f.what) for f in compiled.warnings if f.check in KNOWN]
    assert known == [("rate-range", "alert Errors")]
    assert all(f.level == WARNING for f in compiled.findings)


# --------------------------------------------------------------------------------------
# replicated-exporter

KSM = {"app": 'job="app"'}  # the test catalog's exporter, marked as replicated


def _ksm_alert(expr: str) -> str:
    return f'Alert("Objects", expr={expr!r}, severity="warning", summary="s", description="d")'


@pytest.mark.parametrize("expr, fragment", [
    ('kube_deployment_spec_replicas{${app}} != kube_deployment_status_replicas_available{${app}}',
     "its result keeps app's `instance`: one alert per replica"),
    ('sum by (namespace) (kube_pod_info{${app}}) > 10', "`sum` counts every app replica's series"),
    ('count(kube_node_info{${app}}) < 3', "`count` counts every app replica's series"),
    ('max without (instance) (kube_resourcequota{${app}, type="used"} / ignoring (instance, type) kube_resourcequota{${app}, type="hard"}) > 0.9',
     "a join ignoring (instance, type) between two sides with app replicas' duplicates"),
    ('max without (instance) (a{${app}} / on (namespace, pod) b{${app}}) > 1', "a join on (namespace, pod)"),
])
def test_replicated_exporter_used_per_replica(tmp_path, expr, fragment):
    [found] = of(lint(tmp_path, _ksm_alert(expr), replicated=KSM), "replicated-exporter")
    assert fragment in found.message, found.message
    assert location(found) == f"{mod_path(tmp_path)}:{line_of(tmp_path, 'Objects')}"


@pytest.mark.parametrize("expr", [
    'max without (instance) (kube_deployment_spec_replicas{${app}} != kube_deployment_status_replicas_available{${app}})',
    'sum by (namespace) (max without (instance) (kube_pod_info{${app}})) > 10',
    'count(max by (node) (kube_node_info{${app}})) < 3',
    '100 * max without (instance) (q{${app}, type="used"}) / ignoring (job, type) max without (instance) (q{${app}, type="hard"}) > 90',
    'up{job="other"} == 0',  # not the replicated exporter
    'absent(kube_node_info{${app}})',
    'kube_pod_info{${app}, instance="10.0.0.1:8080"} == 0',  # one replica picked on purpose
])
def test_replicated_exporter_reduced_to_the_object(tmp_path, expr):
    assert of(lint(tmp_path, _ksm_alert(expr), replicated=KSM), "replicated-exporter") == []


def test_replicated_exporter_needs_the_catalog_to_name_one(tmp_path):
    assert of(lint(tmp_path, _ksm_alert('sum(kube_pod_info{${app}})')), "replicated-exporter") == []


def test_the_catalog_reduces_every_replicated_series():

    compiled = compile_rules(Config())
    assert [f for f in compiled.findings if f.check == "replicated-exporter"] == []
