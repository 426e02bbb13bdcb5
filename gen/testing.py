"""Compiles the test cases written next to alerts into promtool unit test files.

Cases are written against the catalog's defaults, so the suite is built from the catalog
with the default configuration: it proves the catalog's logic whatever a team's
monitoring.yaml changes. Each case becomes one promtool test group named
"<Alert>: <case name>", which promtool prints when the case fails.

Each case runs a second time as its variant "<case name> [replicated exporters]": the series
of every exporter the catalog marks as commonly replicated (_selectors.REPLICATED, e.g.
kube-state-metrics in HA) scraped twice, differing in `instance`, with the same expected
alerts, labels and values. An expression that joins, sums or counts such series without
reducing them to the object first fails there (many-to-many errors, doubled sums, one alert
per replica). A case states why it cannot hold that way in `single_replica`.

Every case's `Fire(value=...)` is checked, whatever the alert's templates print: the test
rule files (never the shipped ones) give each alert one more annotation, VALUE_ANNOTATION,
rendering $value to four significant digits, and the expected alerts carry the case's value
so rendered.

promtool evaluates every rule of a test file's rule files at every step of every test
group, so each alert gets its own rule file holding just that alert and the recording rules
it reads (transitively), in their catalog groups and order. That makes the suite's cost grow
with the number of cases rather than cases x rules (36 s -> a few seconds for the catalog).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from dataclasses import dataclass, field

from gen.build import DEFAULT_RULES_SRC, compile_rules
from gen.config import Config
from gen.errors import DefinitionError
from gen.expect import Unpredictable, render
from gen.model import Case, replicated
from gen.render.rules import PLAIN_DIR, groups_dict, render_rule_files
from gen.render.yamlfmt import dump
from gen.resolve import AlertRule, RuleFile, RuleGroup, format_value, substitute

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HANDWRITTEN_DIR = os.path.join(ROOT, "tests", "promtool")


@dataclass
class TestFile:
    """The promtool test files of one catalog module (or one hand-written file), run together."""

    paths: list[str]
    title: str  # module name, or the hand-written file's name
    cases: list[str] = field(default_factory=list)


VALUE_ANNOTATION = "test_value"  # test rule files only: the expression's value, so every case checks it
VALUE_TEMPLATE = '{{ printf "%.4g" $value }}'


def _expected(alert: AlertRule, case: Case) -> list[dict]:
    exp = []
    static = alert.labels
    for fire in case.fires:
        labels = {**fire.labels, **static, "alertname": alert.name}
        if fire.value is None:
            raise DefinitionError(f"{case.source}: alert {alert.name}: test case {case.name!r}: give the expected "
                                  "value (Fire(labels, value=...)): every case checks it")
        annotations = {VALUE_ANNOTATION: render(VALUE_TEMPLATE, fire.labels, fire.value)}
        for key, template in alert.annotations.items():
            if fire.annotations and key in fire.annotations:
                annotations[key] = fire.annotations[key]
                continue
            try:
                annotations[key] = render(template, fire.labels, fire.value)
            except Unpredictable as exc:
                raise DefinitionError(f"{case.source}: alert {alert.name}: test case {case.name!r}: annotation {key}: {exc}") from None
        exp.append({"exp_labels": dict(sorted(labels.items())), "exp_annotations": dict(sorted(annotations.items()))})
    return exp


def case_group(alert: AlertRule, case: Case, selectors: dict[str, str]) -> dict:
    where = f"{case.source}: alert {alert.name}: test case {case.name!r}"
    values = {**selectors}
    values.update({k: format_value(v) for k, v in alert.params.items()})
    series = [{"series": substitute(s, values, where), "values": v} for s, v in case.series.items()]
    return {
        "name": f"{alert.name}: {case.name}",
        "interval": case.interval,
        "input_series": series,
        "alert_rule_test": [{"eval_time": case.at, "alertname": alert.name, "exp_alerts": _expected(alert, case)}],
    }


VARIANT = "replicated exporters"


def replicated_group(alert: AlertRule, case: Case, selectors: dict[str, str], exporters: tuple[str, ...]) -> dict | None:
    """The case with the replicated exporters' series doubled, or None when that changes
    nothing (no such series, or the case writes its replicas itself) or the case opts out."""
    if case.single_replica:
        return None
    series = replicated(case.series, exporters)
    if series == case.series:
        return None
    return case_group(alert, dataclasses.replace(case, name=f"{case.name} [{VARIANT}]", series=series), selectors)


def alert_cases(rule_files: list[RuleFile]):
    for rf in rule_files:
        for group in rf.groups:
            for rule in group.rules:
                if isinstance(rule, AlertRule):
                    yield rf, rule


def coverage_gaps(rule_files: list[RuleFile]) -> list[str]:
    """Alerts without a case where they fire or without one where they do not."""
    gaps = []
    for _, alert in alert_cases(rule_files):
        cases = alert.definition.cases
        missing = []
        if not any(c.fires for c in cases):
            missing.append("a firing case")
        # "silent-case" in lint_skip: an alert that fires by design (Watchdog) has no silent case.
        if not any(not c.fires for c in cases) and "silent-case" not in alert.definition.lint_skip:
            missing.append("a non-firing case")
        if missing:
            gaps.append(f"{alert.source}: alert {alert.name} lacks {' and '.join(missing)}")
    return gaps


def _records_read(rule, analyses, records: dict) -> set[str]:
    """Names of the recording rules `rule` reads, directly or through other recording rules."""
    seen: set[str] = set()
    todo = [rule]
    while todo:
        for metric in analyses[id(todo.pop())].metrics:
            if metric in records and metric not in seen:
                seen.add(metric)
                todo.extend(records[metric])
    return seen


def _alert_rule_file(alert: AlertRule, compiled) -> dict:
    """The catalog's groups reduced to `alert` and the recording rules it needs, in order."""
    records: dict[str, list] = {}
    for rf in compiled.rule_files:
        for group in rf.groups:
            for rule in group.rules:
                if not isinstance(rule, AlertRule):
                    records.setdefault(rule.name, []).append(rule)
    needed = _records_read(alert, compiled.analyses, records)
    checked = dataclasses.replace(alert, annotations={**alert.annotations, VALUE_ANNOTATION: VALUE_TEMPLATE})
    groups = []
    for rf in compiled.rule_files:
        for group in rf.groups:
            rules = [checked if r is alert else r for r in group.rules
                     if r is alert or (not isinstance(r, AlertRule) and r.name in needed)]
            if rules:
                groups.append(RuleGroup(f"{rf.name}/{group.name}", group.interval, rules, group.source))
    return groups_dict(RuleFile(alert.name, "", groups))


def write_suite(dest: str, rules_src: str = DEFAULT_RULES_SRC, handwritten: str | None = HANDWRITTEN_DIR) -> list[TestFile]:
    """Write each alert's rule file and test file into `dest`; list the test files by module."""
    from gen.loader import load_catalog

    config = Config()
    compiled = compile_rules(config, rules_src)
    catalog = load_catalog(rules_src)
    selectors = catalog.selectors
    os.makedirs(dest, exist_ok=True)
    # Hand-written tests name the module rule files (rule_files: [apiserver.yaml]).
    for rel, data in render_rule_files(compiled.rule_files, config).items():
        if rel.startswith(PLAIN_DIR + "/"):
            with open(os.path.join(dest, os.path.basename(rel)), "wb") as fh:
                fh.write(data)
    by_module: dict[str, TestFile] = {}
    for rf, alert in alert_cases(compiled.rule_files):
        cases = alert.definition.cases
        groups = [case_group(alert, case, selectors) for case in cases]
        groups += [g for g in (replicated_group(alert, case, selectors, catalog.replicated) for case in cases) if g]
        if not groups:
            continue
        stem = f"{rf.name}.{alert.name}"
        rule_file = _alert_rule_file(alert, compiled)
        with open(os.path.join(dest, f"{stem}.rules.yaml"), "wb") as fh:
            fh.write(dump(rule_file))
        path = os.path.join(dest, f"{stem}.test.yaml")
        doc = {"rule_files": [f"{stem}.rules.yaml"], "evaluation_interval": "1m"}
        if len(rule_file["groups"]) > 1:  # promtool would sort them by name: keep the catalog's order
            doc["group_eval_order"] = [g["name"] for g in rule_file["groups"]]
        doc["tests"] = groups
        with open(path, "wb") as fh:
            fh.write(dump(doc))
        test = by_module.setdefault(rf.name, TestFile([], rf.name))
        test.paths.append(path)
        test.cases += [g["name"] for g in groups]
    tests = [by_module[m] for m in sorted(by_module)]
    if handwritten and os.path.isdir(handwritten):
        for name in sorted(os.listdir(handwritten)):
            if name.endswith((".yaml", ".yml")):
                target = os.path.join(dest, f"handwritten-{name}")
                shutil.copyfile(os.path.join(handwritten, name), target)
                tests.append(TestFile([target], f"tests/promtool/{name}"))
    return tests


def run_suite(tests: list[TestFile], dest: str, jobs: int | None = None):
    """Run each TestFile's promtool invocation, `jobs` at a time (default: one per CPU);
    yields (test, promtool.Run) in the order of `tests`."""
    from concurrent.futures import ThreadPoolExecutor

    from gen import promtool

    def one(test: TestFile):
        return test, promtool.test_rules([os.path.basename(p) for p in test.paths], cwd=dest)

    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        yield from pool.map(one, tests)
