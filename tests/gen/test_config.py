"""gen.config (parse_config / load_config) and gen.rules.resolve (catalog + config -> rules)."""

from __future__ import annotations

import os
import textwrap

import pytest

from gen.config import AlertOverride, Config, GroupOverride, RuleMetadata, load_config, parse_config
from gen.core.errors import ConfigError, DefinitionError, PromQLError
from gen.rules.loader import load_catalog
from gen.core.promql import analyze
from gen.core.resolved import AlertRule, RecordingRule
from gen.rules.resolve import resolve
from gen.core.placeholders import substitute_expr

# --------------------------------------------------------------------------------------
# helpers


def write_config(tmp_path, text: str) -> str:
    path = tmp_path / "monitoring.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def config_error(tmp_path, text: str) -> str:
    """The message of the ConfigError that loading `text` raises."""
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    message = str(exc.value)
    assert path in message, f"file path missing from {message!r}"
    return message


# --------------------------------------------------------------------------------------
# defaults


def test_load_config_none_gives_defaults():
    cfg = load_config(None)
    assert cfg == Config()
    assert cfg.scrape_interval == "30s"
    assert cfg.scrape_interval_seconds == 30
    assert cfg.min_rate_intervals == 4
    assert cfg.runbook_url_base == "https://github.com/your-org/monitoring/blob/main/docs/runbooks"
    assert cfg.grafana_url == "https://grafana.example.com"
    assert cfg.selectors == {}
    assert cfg.groups == {}
    assert cfg.alerts == {}
    assert cfg.prometheus_rule == RuleMetadata()
    assert cfg.prometheus_rule.namespace == "monitoring"
    assert cfg.prometheus_rule.name_prefix == "k8s-alerts"
    assert cfg.prometheus_rule.labels == {"prometheus": "k8s", "role": "alert-rules"}
    assert cfg.prometheus_rule.annotations == {}
    assert cfg.path == "<defaults>"


@pytest.mark.parametrize("data", [None, {}])
def test_parse_config_empty_gives_defaults(data):
    cfg = parse_config(data, "cfg.yaml")
    assert cfg == Config(path="cfg.yaml")


def test_empty_file_gives_defaults(tmp_path):
    path = write_config(tmp_path, "")
    cfg = load_config(path)
    assert cfg == Config(path=path)


def test_default_metadata_labels_not_shared_between_configs():
    a, b = Config(), Config()
    a.prometheus_rule.labels["x"] = "y"
    assert "x" not in b.prometheus_rule.labels


def test_missing_file(tmp_path):
    path = str(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="configuration file not found") as exc:
        load_config(path)
    assert path in str(exc.value)


def test_invalid_yaml(tmp_path):
    path = write_config(tmp_path, "alerts: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML") as exc:
        load_config(path)
    assert path in str(exc.value)


# --------------------------------------------------------------------------------------
# every top-level key


FULL = """
    scrape_interval: 15s
    min_rate_intervals: 3
    runbook_url_base: https://runbooks.example.org/alerts/
    grafana_url: https://grafana.example.org/
    selectors:
      kube_state_metrics: job="ksm"
      node_exporter: ""
    prometheus_rule:
      namespace: observability
      name_prefix: team-x
      labels:
        release: kube-prom
        version: 2
      annotations:
        owner: sre
    groups:
      node-filesystem:
        interval: 2m
        labels:
          team: storage
        annotations:
          channel: "#storage"
      empty-group:
    alerts:
      PodCpu75:
        disabled: false
        severity: info
        for: 10m
        keep_firing_for: 5m
        labels:
          team: apps
        annotations:
          note: look here
        threshold: 80
        window: 10m
      NodeDown:
        disabled: true
      Bare:
"""


def test_every_top_level_key_parsed(tmp_path):
    path = write_config(tmp_path, FULL)
    cfg = load_config(path)
    assert cfg.path == path
    assert cfg.scrape_interval == "15s"
    assert cfg.scrape_interval_seconds == 15
    assert cfg.min_rate_intervals == 3
    # trailing slashes are dropped so `<base>/<Alert>.md` has exactly one
    assert cfg.runbook_url_base == "https://runbooks.example.org/alerts"
    assert cfg.grafana_url == "https://grafana.example.org"
    assert cfg.selectors == {"kube_state_metrics": 'job="ksm"', "node_exporter": ""}
    assert cfg.prometheus_rule == RuleMetadata(
        namespace="observability",
        name_prefix="team-x",
        labels={"release": "kube-prom", "version": "2"},  # numbers become strings
        annotations={"owner": "sre"},
    )
    assert cfg.groups == {
        "node-filesystem": GroupOverride(labels={"team": "storage"}, annotations={"channel": "#storage"}, interval="2m"),
        "empty-group": GroupOverride(),
    }
    assert cfg.alerts == {
        "PodCpu75": AlertOverride(
            disabled=False,
            severity="info",
            for_="10m",
            keep_firing_for="5m",
            labels={"team": "apps"},
            annotations={"note": "look here"},
            params={"threshold": 80, "window": "10m"},
        ),
        "NodeDown": AlertOverride(disabled=True),
        "Bare": AlertOverride(),
    }


def test_partial_prometheus_rule_keeps_other_defaults():
    cfg = parse_config({"prometheus_rule": {"namespace": "obs"}}, "c.yaml")
    assert cfg.prometheus_rule.namespace == "obs"
    assert cfg.prometheus_rule.name_prefix == "k8s-alerts"
    assert cfg.prometheus_rule.labels == {"prometheus": "k8s", "role": "alert-rules"}


def test_alert_params_are_kept_raw_for_resolve():
    cfg = parse_config({"alerts": {"A": {"threshold": 1.5, "window": "5m", "mode": "fast"}}}, "c.yaml")
    assert cfg.alerts["A"].params == {"threshold": 1.5, "window": "5m", "mode": "fast"}


# --------------------------------------------------------------------------------------
# errors: every message names the dotted key and the file


@pytest.mark.parametrize(
    "text, key, fragment",
    [
        # unknown keys
        ("scrape_intervall: 30s\n", "scrape_intervall", "unknown key"),
        ("prometheus_rule:\n  namespce: x\n", "prometheus_rule.namespce", "unknown key"),
        ("groups:\n  g:\n    intervall: 1m\n", "groups.g.intervall", "unknown key"),
        # a string where a mapping is expected
        ("selectors: job\n", "selectors", "must be a mapping"),
        ("prometheus_rule: x\n", "prometheus_rule", "must be a mapping"),
        ("groups: x\n", "groups", "must be a mapping"),
        ("groups:\n  g: x\n", "groups.g", "must be a mapping"),
        ("alerts: x\n", "alerts", "must be a mapping"),
        ("alerts:\n  PodCpu75: x\n", "alerts.PodCpu75", "must be a mapping"),
        # a list for labels
        ("alerts:\n  PodCpu75:\n    labels: [a, b]\n", "alerts.PodCpu75.labels", "must be a mapping, not a list"),
        ("groups:\n  g:\n    labels: [a]\n", "groups.g.labels", "must be a mapping, not a list"),
        ("prometheus_rule:\n  labels: [a]\n", "prometheus_rule.labels", "must be a mapping, not a list"),
        # a bool (or a mapping) as a string map's value
        ("selectors:\n  node_exporter: true\n", "selectors.node_exporter", "must be a string, not a boolean"),
        ("alerts:\n  PodCpu75:\n    labels:\n      team: false\n", "alerts.PodCpu75.labels.team", "must be a string, not a boolean"),
        ("alerts:\n  PodCpu75:\n    annotations:\n      a: {b: c}\n", "alerts.PodCpu75.annotations.a", "must be a string, not a mapping"),
        ("groups:\n  g:\n    annotations:\n      a: yes\n", "groups.g.annotations.a", "must be a string, not a boolean"),
        ("prometheus_rule:\n  labels:\n    x: true\n", "prometheus_rule.labels.x", "must be a string"),
        # wrong scalar types
        ('alerts:\n  PodCpu75:\n    disabled: "yes"\n', "alerts.PodCpu75.disabled", "must be true or false"),
        ("alerts:\n  PodCpu75:\n    disabled: 1\n", "alerts.PodCpu75.disabled", "must be true or false"),
        ("min_rate_intervals: 0\n", "min_rate_intervals", "must be an integer >= 1"),
        ("min_rate_intervals: true\n", "min_rate_intervals", "must be an integer >= 1"),
        ("min_rate_intervals: 2.5\n", "min_rate_intervals", "must be an integer >= 1"),
        ("runbook_url_base: 3\n", "runbook_url_base", "must be a string"),
        ("grafana_url: [a]\n", "grafana_url", "must be a string, not a list"),
        ("prometheus_rule:\n  namespace: 5\n", "prometheus_rule.namespace", "must be a string"),
        ("alerts:\n  PodCpu75:\n    severity: 3\n", "alerts.PodCpu75.severity", "must be a string"),
        ("scrape_interval: 30\n", "scrape_interval", "must be a string"),
        # bad durations
        ("scrape_interval: 5x\n", "scrape_interval", "'5x' is not a duration"),
        ("alerts:\n  PodCpu75:\n    for: 5x\n", "alerts.PodCpu75.for", "'5x' is not a duration"),
        ("alerts:\n  PodCpu75:\n    keep_firing_for: later\n", "alerts.PodCpu75.keep_firing_for", "'later' is not a duration"),
        ("groups:\n  g:\n    interval: soon\n", "groups.g.interval", "'soon' is not a duration"),
        # unknown severity
        ("alerts:\n  PodCpu75:\n    severity: page\n", "alerts.PodCpu75.severity", "unknown severity 'page'"),
    ],
)
def test_config_errors_name_key_and_file(tmp_path, text, key, fragment):
    message = config_error(tmp_path, text)
    assert f": {key}: " in message, f"dotted key {key!r} missing from {message!r}"
    assert fragment in message


def test_unknown_top_level_key_lists_known_keys(tmp_path):
    message = config_error(tmp_path, "alert:\n  X: {}\n")
    assert ": alert: unknown key" in message
    for known in ("scrape_interval", "selectors", "prometheus_rule", "groups", "alerts"):
        assert known in message


def test_unknown_severity_lists_known(tmp_path):
    message = config_error(tmp_path, "alerts:\n  A:\n    severity: page\n")
    for known in ("critical", "warning", "info"):
        assert known in message


def test_top_level_must_be_mapping(tmp_path):
    message = config_error(tmp_path, "- a\n- b\n")
    assert "must be a mapping, not a list" in message


@pytest.mark.parametrize("severity", ["critical", "warning", "info"])
def test_known_severities_accepted(severity):
    cfg = parse_config({"alerts": {"A": {"severity": severity}}}, "c.yaml")
    assert cfg.alerts["A"].severity == severity


def test_parse_config_uses_given_path_in_errors():
    with pytest.raises(ConfigError) as exc:
        parse_config({"scrape_interval": "5x"}, "team/monitoring.yaml")
    assert str(exc.value).startswith("team/monitoring.yaml: scrape_interval: ")


# --------------------------------------------------------------------------------------
# resolve: a small catalog in tmp_path

SELECTORS = """\
SELECTORS = {
    "app": 'job="app"',
    "env": 'env="prod"',
}
"""

CATALOG = """\
from gen.model import Alert, Duration, Group, Record

groups = [
    Group("errors", [
        Alert(
            "HighErrors",
            expr="sum by (job) (rate(errors_total{${app}}[${window}])) > ${threshold}",
            params={"threshold": 5, "window": Duration("5m"), "mode": "fast"},
            severity="warning",
            summary="Errors above ${threshold} on {{ $labels.job }}",
            description="Mode ${mode}.",
            labels={"team": "core"},
            annotations={"extra": "from catalog"},
            for_="5m",
        ),
        Alert(
            "ServiceDown",
            expr='up{${app}, ${env}} == 0',
            severity="critical",
            summary="down",
            description="{{ $labels.instance }} is down",
            runbook_url="https://wiki.example.org/ServiceDown",
        ),
        Record("job:errors:rate5m", expr="sum by (job) (rate(errors_total{${app}}[5m]))", labels={"kind": "rec"}),
    ]),
    Group("latency", [
        Alert(
            "SlowRequests",
            expr="histogram_quantile(0.99, sum by (le) (rate(req_seconds_bucket{${env}}[5m]))) > 1",
            severity="info",
            summary="slow",
            description="slow",
        ),
    ], interval="1m"),
]
"""


def make_catalog(tmp_path, module_text: str = CATALOG, selectors: str = SELECTORS, name: str = "svc"):
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / "_selectors.py").write_text(selectors, encoding="utf-8")
    path = folder / f"{name}.py"
    path.write_text(module_text, encoding="utf-8")
    return load_catalog(str(folder)), str(path)


def rules_by_name(rule_files) -> dict:
    return {r.name: r for rf in rule_files for g in rf.groups for r in g.rules}


def resolved(tmp_path, cfg: dict | None = None, module_text: str = CATALOG):
    catalog, _ = make_catalog(tmp_path, module_text)
    return rules_by_name(resolve(catalog, parse_config(cfg or {}, "monitoring.yaml")))


def line_of(path: str, needle: str) -> int:
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if needle in line:
                return n
    raise AssertionError(f"{needle!r} not in {path}")


def test_resolve_defaults(tmp_path):
    rules = resolved(tmp_path)
    high = rules["HighErrors"]
    assert isinstance(high, AlertRule)
    assert high.expr == 'sum by (job) (rate(errors_total{job="app"}[5m])) > 5'
    assert high.for_ == "5m"
    assert high.keep_firing_for is None
    assert high.labels == {"severity": "warning", "team": "core"}
    assert high.annotations["summary"] == "Errors above 5 on {{ $labels.job }}"
    assert high.annotations["description"] == "Mode fast."
    assert high.group == "errors" and high.module == "svc"
    assert rules["ServiceDown"].expr == 'up{job="app", env="prod"} == 0'
    rec = rules["job:errors:rate5m"]
    assert isinstance(rec, RecordingRule)
    assert rec.expr == 'sum by (job) (rate(errors_total{job="app"}[5m]))'
    assert rec.labels == {"kind": "rec"}
    for rule in rules.values():
        analyze(rule.expr)  # every resolved expression parses


def test_parameter_override_changes_expression(tmp_path):
    rules = resolved(tmp_path, {"alerts": {"HighErrors": {"threshold": 10, "window": "15m", "mode": "slow"}}})
    high = rules["HighErrors"]
    assert high.expr == 'sum by (job) (rate(errors_total{job="app"}[15m])) > 10'
    assert high.annotations["summary"].startswith("Errors above 10 ")
    assert high.annotations["description"] == "Mode slow."
    assert high.params["threshold"] == 10
    assert str(high.params["window"]) == "15m"


@pytest.mark.parametrize("value, text", [(2.5, "> 2.5"), (3.0, "> 3"), (0, "> 0")])
def test_numeric_parameter_formatting(tmp_path, value, text):
    rules = resolved(tmp_path, {"alerts": {"HighErrors": {"threshold": value}}})
    assert rules["HighErrors"].expr.endswith(text)
    assert not rules["HighErrors"].expr.endswith(text + ".0")


@pytest.mark.parametrize("value", ["soon", "5", "5 m", ""])
def test_duration_parameter_rejects_non_duration(tmp_path, value):
    catalog, _ = make_catalog(tmp_path)
    cfg = parse_config({"alerts": {"HighErrors": {"window": value}}}, "monitoring.yaml")
    with pytest.raises(ConfigError) as exc:
        resolve(catalog, cfg)
    message = str(exc.value)
    assert "monitoring.yaml: alerts.HighErrors.window: " in message
    assert "not a duration" in message


def test_duration_parameter_rejects_number(tmp_path):
    catalog, _ = make_catalog(tmp_path)
    cfg = parse_config({"alerts": {"HighErrors": {"window": 5}}}, "monitoring.yaml")
    with pytest.raises(ConfigError, match=r"monitoring.yaml: alerts\.HighErrors\.window: must be a duration"):
        resolve(catalog, cfg)


@pytest.mark.parametrize("value", ["high", True, None, [1]])
def test_number_parameter_rejects_non_number(tmp_path, value):
    catalog, _ = make_catalog(tmp_path)
    cfg = parse_config({"alerts": {"HighErrors": {"threshold": value}}}, "monitoring.yaml")
    with pytest.raises(ConfigError, match=r"monitoring.yaml: alerts\.HighErrors\.threshold: must be a number"):
        resolve(catalog, cfg)


def test_string_parameter_rejects_number(tmp_path):
    catalog, _ = make_catalog(tmp_path)
    cfg = parse_config({"alerts": {"HighErrors": {"mode": 3}}}, "monitoring.yaml")
    with pytest.raises(ConfigError, match=r"alerts\.HighErrors\.mode: must be a string"):
        resolve(catalog, cfg)


def test_unknown_parameter_is_an_error(tmp_path):
    catalog, _ = make_catalog(tmp_path)
    cfg = parse_config({"alerts": {"HighErrors": {"treshold": 3}}}, "monitoring.yaml")
    with pytest.raises(ConfigError) as exc:
        resolve(catalog, cfg)
    message = str(exc.value)
    assert "monitoring.yaml: alerts.HighErrors.treshold: unknown key" in message
    assert "threshold" in message and "window" in message


def test_unknown_alert_name_is_an_error(tmp_path):
    catalog, _ = make_catalog(tmp_path)
    cfg = parse_config({"alerts": {"HighError": {"severity": "info"}}}, "monitoring.yaml")
    with pytest.raises(ConfigError) as exc:
        resolve(catalog, cfg)
    message = str(exc.value)
    assert "monitoring.yaml: alerts.HighError: no alert of that name" in message
    assert "did you mean HighErrors?" in message


def test_unknown_group_name_is_an_error(tmp_path):
    catalog, _ = make_catalog(tmp_path)
    cfg = parse_config({"groups": {"eror": {"labels": {"a": "b"}}}}, "monitoring.yaml")
    with pytest.raises(ConfigError) as exc:
        resolve(catalog, cfg)
    assert "monitoring.yaml: groups.eror: no rule group of that name" in str(exc.value)


def test_config_naming_a_recording_rule_as_alert_is_an_error(tmp_path):
    catalog, _ = make_catalog(tmp_path)
    cfg = parse_config({"alerts": {"job:errors:rate5m": {"disabled": True}}}, "monitoring.yaml")
    with pytest.raises(ConfigError, match=r"alerts\.job:errors:rate5m: no alert of that name"):
        resolve(catalog, cfg)


def test_unknown_selector_is_an_error(tmp_path):
    catalog, _ = make_catalog(tmp_path)
    cfg = parse_config({"selectors": {"ap": 'job="x"'}}, "monitoring.yaml")
    with pytest.raises(ConfigError) as exc:
        resolve(catalog, cfg)
    message = str(exc.value)
    assert "monitoring.yaml: selectors.ap: unknown selector" in message
    assert "app" in message and "env" in message


def test_selector_override_changes_expression(tmp_path):
    rules = resolved(tmp_path, {"selectors": {"app": 'job="other", namespace="x"'}})
    assert rules["HighErrors"].expr == 'sum by (job) (rate(errors_total{job="other", namespace="x"}[5m])) > 5'
    assert rules["ServiceDown"].expr == 'up{job="other", namespace="x", env="prod"} == 0'
    # recording rules use the selectors too
    assert rules["job:errors:rate5m"].expr == 'sum by (job) (rate(errors_total{job="other", namespace="x"}[5m]))'
    # the selector the config leaves alone keeps its default
    assert 'env="prod"' in rules["SlowRequests"].expr


@pytest.mark.parametrize(
    "selectors, expected",
    [
        ({"app": ""}, {"HighErrors": "sum by (job) (rate(errors_total[5m])) > 5", "ServiceDown": 'up{env="prod"} == 0'}),
        ({"env": ""}, {"ServiceDown": 'up{job="app"} == 0',
                       "SlowRequests": "histogram_quantile(0.99, sum by (le) (rate(req_seconds_bucket[5m]))) > 1"}),
        ({"app": "", "env": ""}, {"ServiceDown": "up == 0"}),
    ],
)
def test_empty_selector_leaves_valid_expression(tmp_path, selectors, expected):
    rules = resolved(tmp_path, {"selectors": selectors})
    for name, expr in expected.items():
        assert rules[name].expr == expr
    for rule in rules.values():
        assert "{," not in rule.expr.replace(" ", "")
        assert ",}" not in rule.expr.replace(" ", "")
        assert "{}" not in rule.expr.replace(" ", "")
        analyze(rule.expr)


@pytest.mark.parametrize(
    "expr, expected",
    [
        ('up{${empty}, job="a"}', 'up{job="a"}'),
        ('up{job="a", ${empty}}', 'up{job="a"}'),
        ("up{${empty}, ${empty}}", "up"),
        ("rate(x{${empty}}[5m])", "rate(x[5m])"),
        ('up{instance="a", ${empty}, env="prod"}', 'up{instance="a", env="prod"}'),
        ('up{${full}, ${empty}}', 'up{job="a"}'),
        ('up{${empty}, code=~"5[0-9]{1,}"}', 'up{code=~"5[0-9]{1,}"}'),
        ('up{job="a"}', 'up{job="a"}'),
    ],
)
def test_empty_selectors_take_their_comma(expr, expected):
    out = substitute_expr(expr, {"empty": "", "full": 'job="a"'}, "test")
    assert out == expected
    analyze(out)


def test_empty_selector_between_matchers_still_parses(tmp_path):
    module = CATALOG.replace("up{${app}, ${env}} == 0", 'up{instance="a", ${app}, env="prod"} == 0')
    rules = resolved(tmp_path, {"selectors": {"app": ""}}, module_text=module)
    expr = rules["ServiceDown"].expr
    analyze(expr)
    assert expr == 'up{instance="a", env="prod"} == 0'


def test_string_literals_are_left_alone(tmp_path):
    module = CATALOG.replace("up{${app}, ${env}} == 0", 'up{${app}, code=~"5[0-9]{1,}", x=", }"} == 0')
    rules = resolved(tmp_path, module_text=module)
    assert rules["ServiceDown"].expr == 'up{job="app", code=~"5[0-9]{1,}", x=", }"} == 0'


def test_unknown_placeholder_in_expression(tmp_path):
    module = CATALOG.replace("> ${threshold}", "> ${thresold}")
    catalog, path = make_catalog(tmp_path, module)
    with pytest.raises(DefinitionError) as exc:
        resolve(catalog, Config())
    message = str(exc.value)
    line = line_of(path, '"HighErrors"') - 1  # the line `Alert(` is on
    assert f"svc.py:{line}: alert HighErrors: unknown placeholder ${{thresold}}" in message
    assert os.path.relpath(path) in message
    assert "threshold" in message  # the known names are listed


def test_unknown_placeholder_in_annotation(tmp_path):
    module = CATALOG.replace('description="Mode ${mode}."', 'description="Mode ${mood}."')
    catalog, path = make_catalog(tmp_path, module)
    with pytest.raises(DefinitionError) as exc:
        resolve(catalog, Config())
    message = str(exc.value)
    line = line_of(path, '"HighErrors"') - 1
    assert f"svc.py:{line}: alert HighErrors: annotation description: unknown placeholder ${{mood}}" in message


def test_recording_rule_cannot_use_alert_parameters(tmp_path):
    module = CATALOG.replace('rate(errors_total{${app}}[5m]))", labels', 'rate(errors_total{${app}}[${window}]))", labels')
    catalog, path = make_catalog(tmp_path, module)
    with pytest.raises(DefinitionError) as exc:
        resolve(catalog, Config())
    message = str(exc.value)
    line = line_of(path, "Record(")
    assert f"svc.py:{line}: recording rule job:errors:rate5m: unknown placeholder ${{window}}" in message


def test_alert_overrides_apply(tmp_path):
    rules = resolved(
        tmp_path,
        {
            "alerts": {
                "HighErrors": {
                    "severity": "critical",
                    "for": "15m",
                    "keep_firing_for": "10m",
                    "labels": {"team": "payments", "tier": "1"},
                    "annotations": {"summary": "custom summary", "note": "see wiki"},
                }
            }
        },
    )
    high = rules["HighErrors"]
    assert high.labels == {"severity": "critical", "team": "payments", "tier": "1"}
    assert high.for_ == "15m"
    assert high.keep_firing_for == "10m"
    assert high.annotations["summary"] == "custom summary"
    assert high.annotations["note"] == "see wiki"
    assert high.annotations["description"] == "Mode fast."  # untouched
    assert high.annotations["extra"] == "from catalog"
    # other alerts are untouched
    assert rules["ServiceDown"].labels == {"severity": "critical"}
    assert rules["ServiceDown"].for_ == "0s"
    assert "note" not in rules["ServiceDown"].annotations


def test_override_annotation_placeholders_are_filled(tmp_path):
    rules = resolved(tmp_path, {"alerts": {"HighErrors": {"threshold": 7, "annotations": {"note": "limit ${threshold}"}}}})
    assert rules["HighErrors"].annotations["note"] == "limit 7"


def test_group_labels_and_annotations_apply_to_every_alert_of_group(tmp_path):
    rules = resolved(
        tmp_path,
        {"groups": {"errors": {"labels": {"team": "sre", "env": "prod"}, "annotations": {"channel": "#sre"}, "interval": "2m"}}},
    )
    for name in ("HighErrors", "ServiceDown"):
        assert rules[name].labels["env"] == "prod"
        assert rules[name].annotations["channel"] == "#sre"
    assert rules["ServiceDown"].labels["team"] == "sre"
    # the other group is untouched
    assert "env" not in rules["SlowRequests"].labels
    assert "channel" not in rules["SlowRequests"].annotations
    # recording rules get no alert labels
    assert rules["job:errors:rate5m"].labels == {"kind": "rec"}


def test_alert_config_wins_over_group_config(tmp_path):
    rules = resolved(
        tmp_path,
        {
            "groups": {"errors": {"labels": {"team": "sre", "env": "prod"}, "annotations": {"channel": "#sre"}}},
            "alerts": {"ServiceDown": {"labels": {"team": "web"}, "annotations": {"channel": "#web"}}},
        },
    )
    assert rules["ServiceDown"].labels["team"] == "web"
    assert rules["ServiceDown"].labels["env"] == "prod"
    assert rules["ServiceDown"].annotations["channel"] == "#web"
    assert rules["HighErrors"].annotations["channel"] == "#sre"


def test_group_config_annotation_wins_over_catalog_annotation(tmp_path):
    rules = resolved(tmp_path, {"groups": {"errors": {"annotations": {"extra": "from group config"}}}})
    assert rules["HighErrors"].annotations["extra"] == "from group config"


def test_group_config_label_wins_over_catalog_label(tmp_path):
    rules = resolved(tmp_path, {"groups": {"errors": {"labels": {"team": "sre"}}}})
    assert rules["HighErrors"].labels["team"] == "sre"


def test_group_interval_override(tmp_path):
    catalog, _ = make_catalog(tmp_path)
    files = resolve(catalog, parse_config({"groups": {"errors": {"interval": "2m"}}}, "m.yaml"))
    intervals = {g.name: g.interval for rf in files for g in rf.groups}
    assert intervals == {"errors": "2m", "latency": "1m"}
    files = resolve(catalog, Config())
    assert {g.name: g.interval for rf in files for g in rf.groups} == {"errors": None, "latency": "1m"}


def test_disabled_drops_alert(tmp_path):
    rules = resolved(tmp_path, {"alerts": {"ServiceDown": {"disabled": True}}})
    assert "ServiceDown" not in rules
    assert {"HighErrors", "job:errors:rate5m", "SlowRequests"} <= set(rules)


def test_disabled_false_keeps_alert(tmp_path):
    rules = resolved(tmp_path, {"alerts": {"ServiceDown": {"disabled": False}}})
    assert "ServiceDown" in rules


def test_disabling_every_rule_of_a_group_drops_the_group(tmp_path):
    catalog, _ = make_catalog(tmp_path)
    files = resolve(catalog, parse_config({"alerts": {"SlowRequests": {"disabled": True}}}, "m.yaml"))
    assert [g.name for rf in files for g in rf.groups] == ["errors"]


def test_disabled_alert_still_checks_its_parameters(tmp_path):
    catalog, _ = make_catalog(tmp_path)
    cfg = parse_config({"alerts": {"HighErrors": {"disabled": True, "treshold": 1}}}, "m.yaml")
    with pytest.raises(ConfigError, match=r"alerts\.HighErrors\.treshold: unknown key"):
        resolve(catalog, cfg)


def test_runbook_url_default(tmp_path):
    rules = resolved(tmp_path)
    assert rules["HighErrors"].annotations["runbook_url"] == (
        "https://github.com/your-org/monitoring/blob/main/docs/runbooks/HighErrors.md"
    )
    # an explicit runbook_url is kept
    assert rules["ServiceDown"].annotations["runbook_url"] == "https://wiki.example.org/ServiceDown"


def test_runbook_url_base_from_config(tmp_path):
    rules = resolved(tmp_path, {"runbook_url_base": "https://runbooks.example.org/k8s/"})
    assert rules["SlowRequests"].annotations["runbook_url"] == "https://runbooks.example.org/k8s/SlowRequests.md"
