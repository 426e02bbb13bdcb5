"""The promtool suite: every alert's own cases, the hand-written tests, and `check rules`."""

from __future__ import annotations

import os

import pytest

from gen.render import outdir
from gen.tools import promtool
from gen import testing, upstream
from gen.build import build
from gen.config import Config
from gen.build import compile_rules


@pytest.fixture(scope="session")
def suite(tmp_path_factory):
    dest = tmp_path_factory.mktemp("promtool-suite")
    return dest, testing.write_suite(str(dest))


def _suite_files():
    # Collected once at import so each file is its own test id; the fixture writes the files.

    names = []
    compiled = compile_rules(Config())
    names += sorted({rf.name for rf, _ in testing.alert_cases(compiled.rule_files)})
    handwritten = os.path.join(upstream.RULES, testing.HANDWRITTEN)
    names += [f"rules_src/{testing.HANDWRITTEN}/{n}" for n in sorted(os.listdir(handwritten)) if n.endswith((".yaml", ".yml"))]
    return names


@pytest.mark.live  # runs promtool test rules over a whole suite (seconds)
@pytest.mark.parametrize("title", _suite_files())
def test_promtool_unit_tests(suite, title):
    dest, files = suite
    (test,) = [t for t in files if t.title == title]
    ((_, run),) = testing.run_suite([test], str(dest))
    assert run.ok, f"promtool test rules failed for {title}:\n{run.output}"


def test_every_alert_has_firing_and_silent_cases():
    compiled = compile_rules(Config())
    gaps = testing.coverage_gaps(compiled.rule_files)
    assert not gaps, "alerts without both kinds of test case:\n" + "\n".join(gaps)


def test_built_rule_files_pass_promtool_check(tmp_path):
    """The rule files of out/ as the repository's monitoring.yaml builds them."""
    _, files = build()
    outdir.write_tree(str(tmp_path), files)
    plain = sorted(str(tmp_path / p) for p in files if p.startswith("rules/"))
    assert plain
    run = promtool.check_rules(plain)
    assert run.ok, run.output


@pytest.mark.live  # runs promtool test rules over a whole suite (seconds)
def test_a_broken_case_fails_with_promtools_expected_and_got(tmp_path):
    """The runner reports promtool's exp/got when a case's expectation is wrong."""
    files = testing.write_suite(str(tmp_path), handwritten=None)
    pods = next(t for t in files if t.title == "pods")
    (path,) = [p for p in pods.paths if p.endswith(".PodCpu75.test.yaml")]
    text = open(path).read()
    assert "Pod shop/web-1 uses 76.67% of its CPU limit" in text
    with open(path, "w") as fh:
        fh.write(text.replace("uses 76.67% of its CPU limit", "uses 99% of its CPU limit"))
    ((_, run),) = testing.run_suite([pods], str(tmp_path))
    assert not run.ok
    assert "PodCpu75: fires at 76.67% of the limit after 7m" in run.output
    assert "exp:" in run.output and "got:" in run.output


def test_each_alert_is_tested_against_itself_and_the_records_it_reads(tmp_path):
    """Per-alert rule files keep the suite fast; they must still hold every recording rule the
    alert depends on (transitively), and nothing else."""
    import yaml

    testing.write_suite(str(tmp_path), handwritten=None)
    compiled = compile_rules(Config())
    records = {r.name for rf in compiled.rule_files for g in rf.groups for r in g.rules if not r.what.startswith("alert")}
    checked_records = 0
    for rf, alert in testing.alert_cases(compiled.rule_files):
        path = tmp_path / f"{rf.name}.{alert.name}.rules.yaml"
        doc = yaml.safe_load(path.read_text())
        rules = [r for g in doc["groups"] for r in g["rules"]]
        assert [r["alert"] for r in rules if "alert" in r] == [alert.name], path.name
        kept = {r["record"] for r in rules if "record" in r}
        read = {m for r in rules for m in alert.analysis.metrics} & records
        assert read <= kept, f"{alert.name}: records it reads are missing from its test rule file"
        for r in rules:  # every kept record is read by the alert or by another kept record
            if "record" in r:
                readers = [x for x in rules if x is not r and r["record"] in x["expr"]]
                assert readers, f"{alert.name}: {r['record']} kept but nothing reads it"
        checked_records += len(kept)
    assert checked_records, "no alert reads a recording rule: the transitive case is untested"


def _replica_catalog(folder, expr: str, single_replica: str = "") -> None:
    """A one-alert catalog whose kube-state-metrics is marked replicated."""
    folder.mkdir()
    (folder / "_selectors.py").write_text('SELECTORS = {"ksm": \'job="kube-state-metrics"\'}\nREPLICATED = ("ksm",)\n')
    pods = {f'kube_pod_info{{${{ksm}}, namespace="shop", pod="web-{i}"}}': "1x10" for i in range(2)}
    (folder / "demo.py").write_text(f'''"""A test catalog."""

from gen.model import Alert, Case, Fire, Group

groups = [Group("demo", [Alert(
    "ShopCrowded",
    expr="""{expr}""",
    severity="warning",
    summary="Too many pods.",
    description="{{{{ $labels.namespace }}}} has {{{{ $value }}}} pods.",
    cases=[
        Case("fires at 3 pods", series={{**{pods!r}, 'kube_pod_info{{${{ksm}}, namespace="shop", pod="web-9"}}': "1x10"}},
             at="5m", fires=[Fire({{"namespace": "shop"}}, value=3, annotations={{"description": "shop has 3 pods."}})]),
        Case("silent at 2 pods", series={pods!r}, at="5m", single_replica={single_replica!r}),
    ],
)])]
''')


def _variant(path: str) -> tuple[dict, dict]:
    import yaml

    tests = {t["name"]: t for t in yaml.safe_load(open(path))["tests"]}
    return tests["ShopCrowded: fires at 3 pods"], tests["ShopCrowded: fires at 3 pods [replicated exporters]"]


def test_every_case_runs_again_with_the_replicated_exporters_scraped_twice(tmp_path):
    _replica_catalog(tmp_path / "cat", 'count by (namespace) (max without (instance) (kube_pod_info{${ksm}})) > 2')
    [test] = testing.write_suite(str(tmp_path / "suite"), rules_src=str(tmp_path / "cat"), handwritten=None)
    original, variant = _variant(test.paths[0])
    series = {s["series"] for s in variant["input_series"]}
    assert len(series) == 2 * len(original["input_series"])
    for instance in ("10.0.0.11:8080", "10.0.0.12:8080"):
        assert f'kube_pod_info{{job="kube-state-metrics", instance="{instance}", namespace="shop", pod="web-0"}}' in series
    assert variant["alert_rule_test"] == original["alert_rule_test"]  # same alerts, labels, annotations
    ((_, run),) = testing.run_suite([test], str(tmp_path / "suite"))
    assert run.ok, run.output


def test_an_expression_that_counts_each_replica_fails_its_variant_only(tmp_path):
    _replica_catalog(tmp_path / "cat", 'count by (namespace) (kube_pod_info{${ksm}}) > 2')
    [test] = testing.write_suite(str(tmp_path / "suite"), rules_src=str(tmp_path / "cat"), handwritten=None)
    ((_, run),) = testing.run_suite([test], str(tmp_path / "suite"))
    assert not run.ok
    failed = [line.strip() for line in run.output.splitlines() if line.strip().startswith("name: ")]
    # the silent case fires at 4 "pods", the firing one says 6: only the variants fail
    assert failed == ["name: ShopCrowded: fires at 3 pods [replicated exporters],",
                      "name: ShopCrowded: silent at 2 pods [replicated exporters],"], run.output


def test_a_case_that_cannot_hold_with_replicas_says_why_and_skips_the_variant(tmp_path):
    import yaml

    _replica_catalog(tmp_path / "cat", 'count by (namespace) (kube_pod_info{${ksm}}) > 2',
                     single_replica="counts scrape targets on purpose")
    [test] = testing.write_suite(str(tmp_path / "suite"), rules_src=str(tmp_path / "cat"), handwritten=None)
    names = [t["name"] for t in yaml.safe_load(open(test.paths[0]))["tests"]]
    assert "ShopCrowded: silent at 2 pods [replicated exporters]" not in names
    assert "ShopCrowded: silent at 2 pods" in names


def test_replicated_must_name_a_selector(tmp_path):
    from gen.core.errors import DefinitionError
    from gen.rules.loader import load_catalog

    _replica_catalog(tmp_path / "cat", "up == 0")
    (tmp_path / "cat" / "_selectors.py").write_text('SELECTORS = {"ksm": \'job="ksm"\'}\nREPLICATED = ("kube_state_metrics",)\n')
    with pytest.raises(DefinitionError, match=r"_selectors.py: REPLICATED names 'kube_state_metrics', which SELECTORS does not define"):
        load_catalog(str(tmp_path / "cat"))


def _value_catalog(folder, value) -> None:
    folder.mkdir()
    (folder / "_selectors.py").write_text('SELECTORS = {"ksm": \'job="kube-state-metrics"\'}\n')
    (folder / "demo.py").write_text(f'''"""A test catalog whose templates never print the value."""

from gen.model import Alert, Case, Fire, Group

groups = [Group("demo", [Alert(
    "ShopCrowded",
    expr='count by (namespace) (kube_pod_info{{${{ksm}}}}) > 1',
    severity="warning",
    summary="Too many pods.",
    description="{{{{ $labels.namespace }}}} has too many pods.",
    cases=[
        Case("fires at 3 pods", series={{f'kube_pod_info{{{{${{{{ksm}}}}, namespace="shop", pod="web-{{i}}"}}}}': "1x10" for i in range(3)}},
             at="5m", fires=[Fire({{"namespace": "shop"}}, value={value!r})]),
        Case("silent at 1 pod", series={{'kube_pod_info{{${{ksm}}, namespace="shop", pod="web-0"}}': "1x10"}}, at="5m"),
    ],
)])]
''')


@pytest.mark.parametrize("value, ok", [(3, True), (4, False)])
def test_every_case_checks_its_value_even_when_no_template_prints_it(tmp_path, value, ok):
    _value_catalog(tmp_path / "cat", value)
    [test] = testing.write_suite(str(tmp_path / "suite"), rules_src=str(tmp_path / "cat"), handwritten=None)
    ((_, run),) = testing.run_suite([test], str(tmp_path / "suite"))
    assert run.ok is ok, run.output
    if not ok:
        assert 'test_value="4"' in run.output and 'test_value="3"' in run.output


def test_the_shipped_rules_carry_no_test_annotation():
    _, files = build()
    assert not [path for path, data in files.items() if testing.VALUE_ANNOTATION.encode() in data]


def _scoped_catalog(folder, expr: str) -> None:
    """A namespaced alert on kube_pod_status_ready, with a case in namespace shop."""
    folder.mkdir()
    (folder / "_selectors.py").write_text('SELECTORS = {"ksm": \'job="kube-state-metrics"\'}\n')
    (folder / "demo.py").write_text(f'''"""A test catalog."""

from gen.model import Alert, Case, Fire, Group

groups = [Group("demo", [Alert(
    "PodNotReady",
    expr={expr!r},
    severity="warning",
    namespaced=True,
    summary="Pod not ready.",
    description="{{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} is not ready.",
    cases=[
        Case("fires for web-1",
             series={{'kube_pod_status_ready{{${{ksm}}, namespace="shop", pod="web-1", condition="true"}}': "0x10"}},
             at="5m", fires=[Fire({{"job": "kube-state-metrics", "namespace": "shop", "pod": "web-1"}}, value=0)]),
        Case("silent for a ready pod",
             series={{'kube_pod_status_ready{{${{ksm}}, namespace="shop", pod="web-1", condition="true"}}': "1x10"}},
             at="5m"),
    ],
)])]
''')


def _settings(text: str, tmp_path):
    from gen.config import parse_config
    import yaml as _yaml

    return testing.Settings.of(parse_config(_yaml.safe_load(text), str(tmp_path / "monitoring.yaml")))


def test_cases_run_with_the_teams_structural_settings(tmp_path):
    import yaml as _yaml

    _scoped_catalog(tmp_path / "cat", 'max without (condition) (kube_pod_status_ready{${ksm}, condition="true"}) == 0')
    settings = _settings('namespace_scope: "prod-.*"\nmulti_cluster: {enabled: true, label: k8s_cluster}\n'
                         'selectors: {ksm: \'job="ksm-ha"\'}\n', tmp_path)
    assert testing.Settings.of(Config()) is None  # the defaults need no second run
    tests = testing.write_suite(str(tmp_path / "suite"), rules_src=str(tmp_path / "cat"), handwritten=None, settings=settings)
    [test] = tests
    settings_file = [p for p in test.paths if p.endswith(".settings.test.yaml")][0]
    groups = {g["name"]: g for g in _yaml.safe_load(open(settings_file))["tests"]}
    firing = groups["PodNotReady: fires for web-1 [monitoring.yaml settings]"]
    assert sorted(s["series"] for s in firing["input_series"]) == [
        'kube_pod_status_ready{k8s_cluster="cluster-a", job="ksm-ha", namespace="outside-the-scope", pod="web-1", condition="true"}',
        'kube_pod_status_ready{k8s_cluster="cluster-a", job="ksm-ha", namespace="prod-a", pod="web-1", condition="true"}',
    ]
    [expected] = firing["alert_rule_test"][0]["exp_alerts"]
    assert expected["exp_labels"] == {"alertname": "PodNotReady", "job": "ksm-ha", "k8s_cluster": "cluster-a",
                                      "namespace": "prod-a", "pod": "web-1", "severity": "warning"}
    ((_, run),) = testing.run_suite(tests, str(tmp_path / "suite"))
    assert run.ok, run.output


def test_an_expression_that_ignores_the_teams_scope_fails_its_settings_variant(tmp_path):
    # the job written out instead of ${ksm}: the scope matcher never reaches the expression
    _scoped_catalog(tmp_path / "cat", 'max without (condition) (kube_pod_status_ready{job="kube-state-metrics", condition="true"}) == 0')
    settings = _settings('namespace_scope: "prod-.*"\n', tmp_path)
    tests = testing.write_suite(str(tmp_path / "suite"), rules_src=str(tmp_path / "cat"), handwritten=None, settings=settings)
    ((_, run),) = testing.run_suite(tests, str(tmp_path / "suite"))
    assert not run.ok
    failed = [line.strip() for line in run.output.splitlines() if line.strip().startswith("name: ")]
    assert failed == ["name: PodNotReady: fires for web-1 [monitoring.yaml settings],"], run.output
    assert 'namespace="outside-the-scope"' in run.output  # the copy outside the scope fired too


@pytest.mark.parametrize("scope, namespace, inside", [
    ("shop|db", "db", "db"),                    # the case's own namespace when the scope takes it
    ("prod-.*", "shop", "prod-a"),              # "prod-" itself is no valid namespace name
    ("team-[a-z]+", "shop", "team-a"),
    ("(shop|db)-prod", "shop", "shop-prod"),
    (r"^prod-\d{2}$", "shop", "prod-00"),
    ("[A-Z]+", "shop", None),                   # no namespace name can match: the variant says so
])
def test_a_namespace_inside_the_teams_scope_is_derived_from_the_pattern(scope, namespace, inside):
    assert testing._inside(scope, namespace) == inside
