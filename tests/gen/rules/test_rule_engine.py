"""`rule_engine:` in monitoring.yaml (gen.core.engines, gen.rules.lint.rule_engine and
rule_engine_version, gen.render.rules): the setting's validation, what each engine is written,
and the errors naming the alert and the key."""

from __future__ import annotations

from support.paths import REPO
import textwrap

import pytest
import yaml

from gen.build import analyze_rules, build
from gen.config import Config, parse_config
from gen.core import engines
from gen.core.errors import ConfigError, LintError
from gen.rules.lint import CHECKS, ERROR, WARNING, Context, run_checks
from gen.rules.loader import load_catalog
from gen.rules.resolve import resolve

SETTINGS = yaml.safe_load((REPO / "monitoring.yaml").read_text())
SETTINGS_PATH = str(REPO / "monitoring.yaml")


def built(**settings):
    """(compiled, files) of the toolkit's catalog with monitoring.yaml plus `settings`."""
    return build(parse_config({**SETTINGS, **settings}, SETTINGS_PATH))


def rules_of(files: dict[str, bytes], name: str = "etcd") -> dict[str, dict]:
    doc = yaml.safe_load(files[f"rules/{name}.yaml"])
    return {r["alert"]: r for g in doc["groups"] for r in g["rules"] if "alert" in r}


def findings(tmp_path, rules: str, config: Config):
    """The rule-engine findings of a one-module catalog holding `rules`."""
    folder = tmp_path / "rules"
    folder.mkdir(parents=True)
    (folder / "_selectors.py").write_text('SELECTORS = {"app": \'job="app"\'}\n')
    body = textwrap.indent(textwrap.dedent(rules).strip(), " " * 8)
    (folder / "mod.py").write_text(f'from gen.model import Alert, Group\n\ngroups = [\n    Group("g", [\n{body}\n    ]),\n]\n')
    files = resolve(load_catalog(str(folder)), config)
    analyze_rules(files)
    return [f for f in run_checks(Context(files, config)) if f.check.startswith("rule-engine")]


# --- the setting ------------------------------------------------------------------------------


def test_the_default_is_prometheus_and_every_engine_is_a_choice():
    assert Config().rule_engine == "prometheus" == engines.DEFAULT
    assert list(engines.ENGINES) == ["prometheus", "vmalert", "thanos-ruler", "mimir"]
    for name in engines.ENGINES:
        assert parse_config({"rule_engine": name}, "m.yaml").rule_engine == name


def test_an_unknown_engine_names_the_key_and_the_choices():
    with pytest.raises(ConfigError) as err:
        parse_config({"rule_engine": "victoriametrics"}, "monitoring.yaml")
    assert str(err.value) == ("monitoring.yaml: rule_engine: unknown rule engine 'victoriametrics' "
                              "(choices: prometheus, vmalert, thanos-ruler, mimir)")
    with pytest.raises(ConfigError, match=r"^m.yaml: rule_engine: must be a string"):
        parse_config({"rule_engine": ["vmalert"]}, "m.yaml")


def test_the_checks_are_registered():
    assert CHECKS["rule-engine"].level == ERROR and CHECKS["rule-engine-version"].level == WARNING


# --- what each engine is written --------------------------------------------------------------


@pytest.mark.parametrize("engine", list(engines.ENGINES))
def test_the_shipped_rules_are_the_same_for_every_engine(engine):
    """No shipped rule has keep_firing_for or a template function an engine lacks: out/ is
    what every engine reads, unchanged (vmalert 1.79.5 -dryRun accepts it, README)."""
    compiled, files = built(rule_engine=engine)
    _, default = built()
    assert {p: d for p, d in files.items() if p.startswith(("rules/", "prometheusrules/"))} == \
        {p: d for p, d in default.items() if p.startswith(("rules/", "prometheusrules/"))}
    assert not [f for f in compiled.findings if f.check.startswith("rule-engine")]


def test_vmalert_stops_on_keep_firing_for_naming_the_alert_and_the_setting():
    with pytest.raises(LintError) as err:
        built(rule_engine="vmalert", alerts={"etcdNoLeader": {"keep_firing_for": "5m"}})
    assert str(err.value) == (
        f"{SETTINGS_PATH}: alerts.etcdNoLeader.keep_firing_for: error: alert etcdNoLeader: "
        "alerts.etcdNoLeader.keep_firing_for is not supported by vmalert 1.79 (rule_engine: vmalert): "
        "it would refuse the whole rule file [rule-engine]")


def test_vmalert_leaves_out_a_zero_keep_firing_for_which_prometheus_is_written():
    zero = {"etcdNoLeader": {"keep_firing_for": "0s"}}
    _, files = built(rule_engine="vmalert", alerts=zero)
    assert "keep_firing_for" not in rules_of(files)["etcdNoLeader"]
    assert "keep_firing_for" not in files["prometheusrules/k8s-alerts-etcd.yaml"].decode()
    _, files = built(alerts=zero)
    assert rules_of(files)["etcdNoLeader"]["keep_firing_for"] == "0s"


@pytest.mark.parametrize("engine", ["prometheus", "thanos-ruler", "mimir"])
def test_the_engines_with_keep_firing_for_are_written_it(engine):
    compiled, files = built(rule_engine=engine, alerts={"etcdNoLeader": {"keep_firing_for": "5m"}})
    assert rules_of(files)["etcdNoLeader"]["keep_firing_for"] == "5m"
    warned = [str(f) for f in compiled.findings if f.check == "rule-engine-version"]
    if engine == "prometheus":
        assert not warned
    else:  # from their documentation only: a warning naming the version and the key
        assert len(warned) == 1 and "alerts.etcdNoLeader.keep_firing_for: warning: alert etcdNoLeader" in warned[0]
        assert {"thanos-ruler": "Thanos Ruler v0.34.0", "mimir": "grafana/mimir#4099"}[engine] in warned[0]


def test_keep_firing_for_set_by_the_catalog_says_how_to_go_without_it(tmp_path):
    found = findings(tmp_path, '''
        Alert("Flappy", expr='up{job="app"} == 0', severity="warning", summary="s", description="d",
              keep_firing_for="10m"),
    ''', Config(rule_engine="vmalert"))
    assert [(f.level, f.check) for f in found] == [(ERROR, "rule-engine")]
    assert found[0].where.endswith("mod.py:5"), found[0].where
    assert found[0].message == ("alerts.Flappy.keep_firing_for is not supported by vmalert 1.79 (rule_engine: vmalert): "
                                "it would refuse the whole rule file; the catalog sets it (10m): "
                                "set alerts.Flappy.keep_firing_for: 0s to go without it")


def test_a_template_function_or_variable_vmalert_lacks_names_the_annotation(tmp_path):
    rules = '''
        Alert("Linked", expr='up{job="app"} == 0', severity="warning", summary="s",
              description='{{ $labels.job | toUpper }} since {{ $for }}: {{ graphLink "up" }}'),
    '''
    found = findings(tmp_path, rules, Config(rule_engine="vmalert"))
    assert [f.message for f in found] == ["annotations.description uses function graphLink, variable $for, "
                                          "which vmalert 1.79 does not have (rule_engine: vmalert)"]
    assert findings(tmp_path / "p", rules.replace("{{ $for }}", "{{ $value }}"), Config()) == []


def test_a_label_set_in_monitoring_yaml_is_reported_at_its_key():
    with pytest.raises(LintError) as err:
        built(rule_engine="vmalert", alerts={"etcdNoLeader": {"labels": {"at": "{{ toTime 0 }}"}}})
    assert f"{SETTINGS_PATH}: alerts.etcdNoLeader.labels.at: error: alert etcdNoLeader: labels.at uses " \
           "function toTime, which vmalert 1.79 does not have" in str(err.value)


# --- reading templates ------------------------------------------------------------------------


@pytest.mark.parametrize("text, functions, variables", [
    ("{{ $value | humanizeDuration }}", {"humanizeDuration"}, {"value"}),
    ('{{ printf "%.2f" $value }} {{ $labels.job }}', {"printf"}, {"value", "labels"}),
    ("{{ $x := 1 }}{{ $x }}", set(), set()),
    ('{{- if eq $labels.a "b | toUpper" -}}x{{ else }}{{ .Labels.y }}{{ end }}', {"eq"}, {"labels"}),
    ('{{ with query "up" }}{{ . | first | value }}{{ end }}', {"query", "first", "value"}, set()),
    ("{{/* humanize */}} plain {text}", set(), set()),
])
def test_template_names(text, functions, variables):
    assert engines.template_names(text) == (functions, variables)


def test_every_shipped_template_is_read_without_unknown_names():
    """Every function the shipped annotations call is one Prometheus 2.42 has (the template
    reader finds no false names in real templates)."""
    compiled, _ = built()
    for rf in compiled.rule_files:
        for group in rf.groups:
            for rule in group.rules:
                for text in getattr(rule, "annotations", {}).values():
                    assert engines.unsupported_templates(engines.of("prometheus"), text) == [], text
