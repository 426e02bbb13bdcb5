"""Compiles the test cases written next to alerts into promtool unit test files.

Cases are written against the catalog's defaults, so the suite is built from the catalog
with the default configuration: it proves the catalog's logic whatever a team's
monitoring.yaml changes. Each case becomes one promtool test group named
"<Alert>: <case name>", which promtool prints when the case fails.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field

from gen.build import DEFAULT_RULES_SRC, compile_rules
from gen.config import Config
from gen.errors import DefinitionError
from gen.expect import Unpredictable, render
from gen.model import Case
from gen.render.rules import PLAIN_DIR, render_rule_files
from gen.render.yamlfmt import dump
from gen.resolve import AlertRule, RuleFile, format_value, substitute

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HANDWRITTEN_DIR = os.path.join(ROOT, "tests", "promtool")


@dataclass
class TestFile:
    path: str
    title: str  # module name, or the hand-written file's name
    cases: list[str] = field(default_factory=list)


def _expected(alert: AlertRule, case: Case) -> list[dict]:
    exp = []
    static = alert.labels
    for fire in case.fires:
        labels = {**fire.labels, **static, "alertname": alert.name}
        annotations = {}
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


def write_suite(dest: str, rules_src: str = DEFAULT_RULES_SRC, handwritten: str | None = HANDWRITTEN_DIR) -> list[TestFile]:
    """Write the default-config rule files and every test file into `dest`; list the test files."""
    from gen.loader import load_catalog

    config = Config()
    compiled = compile_rules(config, rules_src)
    selectors = load_catalog(rules_src).selectors
    os.makedirs(dest, exist_ok=True)
    for rel, data in render_rule_files(compiled.rule_files, config).items():
        if rel.startswith(PLAIN_DIR + "/"):
            with open(os.path.join(dest, os.path.basename(rel)), "wb") as fh:
                fh.write(data)
    tests: list[TestFile] = []
    by_module: dict[str, list] = {}
    for rf, alert in alert_cases(compiled.rule_files):
        for case in alert.definition.cases:
            by_module.setdefault(rf.name, []).append(case_group(alert, case, selectors))
    for module, groups in sorted(by_module.items()):
        path = os.path.join(dest, f"{module}.test.yaml")
        doc = {"rule_files": [f"{module}.yaml"], "evaluation_interval": "1m", "tests": groups}
        with open(path, "wb") as fh:
            fh.write(dump(doc))
        tests.append(TestFile(path, module, [g["name"] for g in groups]))
    if handwritten and os.path.isdir(handwritten):
        for name in sorted(os.listdir(handwritten)):
            if name.endswith((".yaml", ".yml")):
                target = os.path.join(dest, f"handwritten-{name}")
                shutil.copyfile(os.path.join(handwritten, name), target)
                tests.append(TestFile(target, f"tests/promtool/{name}"))
    return tests
