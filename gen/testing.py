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

With a monitoring.yaml that changes the expressions' structure (selectors, multi_cluster,
namespace_scope; thresholds are left out, the cases are written for the defaults), each case
also runs as "<case name> [<file> settings]" against rules compiled with those settings: its
series under the team's selectors, with the cluster label (multi_cluster), and for namespaced
alerts moved into a namespace inside the scope plus a copy outside it that must stay silent.
So the expressions a team ships are tested, not only the defaults. The alerts the file
changes (`expr`, `and`, `unless`, `thresholds`) are compiled so there too: `unless` keeps the
catalog's cases (the team's exception must not silence them), `expr` and `and` drop them
(they no longer describe the rule), and each case of an alert with per-label thresholds also
runs as "<case name> [thresholds[i]]": moved to label values entry i selects, expecting only
the alerts whose value still crosses entry i's value (entries looser than the alert's own
value cannot be derived: a silent case's series could cross them; the team's cases cover those).

The team's own cases for upstream alerts (a rules module's `cases = {"Alert": [...]}`) are
written against its whole monitoring.yaml and run against rules compiled with it, as
"<Alert>: <case name> [team]".

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
import re
import shutil
from dataclasses import dataclass, field

from gen.rules import thresholds as per_label
from gen.build import as_sources, compile_rules
from gen.config import AlertOverride, Config, MultiCluster, Threshold
from gen.core.errors import DefinitionError
from gen.regex_examples import examples
from gen.expect import Unpredictable, render
from gen.core.model import Case, replicated
from gen.render.rules import PLAIN_DIR, groups_dict, render_rule_files
from gen.core.yamlfmt import dump
from gen.core.resolved import AlertRule, RuleFile, RuleGroup, format_value
from gen.core.placeholders import substitute

# Hand-written promtool tests of a catalog folder's rule files (they name them by module:
# rule_files: [apiserver.yaml]), run with the cases.
HANDWRITTEN = "_promtool"


@dataclass
class TestFile:
    """The promtool test files of one catalog module (or one hand-written file), run together."""

    paths: list[str]
    title: str  # module name, or the hand-written file's name
    cases: list[str] = field(default_factory=list)
    not_derived: list[str] = field(default_factory=list)  # variants that could not be made, and why


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
CLUSTER = "cluster-a"  # the cluster every series of the settings variant comes from
OUTSIDE_SCOPE = "outside-the-scope"


@dataclass(frozen=True)
class Settings:
    """The structural settings of a team's monitoring.yaml: what changes expressions' shape."""

    source: str  # the file, for the variant's name
    selectors: dict[str, str]
    namespace_scope: str | None
    cluster_label: str | None
    alerts: dict[str, AlertOverride] = field(default_factory=dict)  # expression changes only

    @classmethod
    def of(cls, config: Config) -> "Settings | None":
        """None when the file changes no structure (the default suite covers it)."""
        label = config.multi_cluster.label if config.multi_cluster.enabled else None
        alerts = {name: AlertOverride(expr=o.expr, and_=o.and_, unless=o.unless, thresholds=list(o.thresholds))
                  for name, o in config.alerts.items() if o.changes_expression and not o.disabled}
        if not config.selectors and config.namespace_scope is None and label is None and not alerts:
            return None
        return cls(os.path.basename(config.path or "monitoring.yaml"), dict(config.selectors), config.namespace_scope,
                   label, alerts)

    @property
    def structural(self) -> bool:
        """Changes every expression's shape, not only some alerts'."""
        return bool(self.selectors) or self.namespace_scope is not None or self.cluster_label is not None

    def config(self) -> Config:
        return Config(selectors=dict(self.selectors), namespace_scope=self.namespace_scope,
                      multi_cluster=MultiCluster(self.cluster_label is not None, self.cluster_label or "cluster"),
                      alerts=dict(self.alerts), path=self.source)


def _inside(scope: str, namespace: str) -> str | None:
    """`namespace` if the scope matches it, else a valid namespace name the scope matches
    (gen.regex_examples), else None."""
    if re.fullmatch(scope, namespace):
        return namespace
    for candidate in examples(scope):
        if (candidate != OUTSIDE_SCOPE and len(candidate) <= 63 and re.fullmatch(scope, candidate)
                and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", candidate)):
            return candidate
    return None


_NAMESPACE = re.compile(r'namespace="([^"]*)"')


def _with_label(series: str, label: str, value: str) -> str:
    if "{" in series:
        return series.replace("{", f'{{{label}="{value}", ', 1).replace(", }", "}")
    return f'{series}{{{label}="{value}"}}'


def _equalities(selector: str) -> dict[str, str]:
    return dict(re.findall(r'([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"([^"]*)"', selector))


def settings_case(alert: AlertRule, case: Case, settings: Settings, keeps_cluster: bool = True,
                  defaults: dict[str, str] | None = None) -> Case | str:
    """The case as a team with `settings` runs it, or the reason it cannot be derived.
    `keeps_cluster`: the alert's result carries the cluster label (not so for vector(1));
    `defaults`: the catalog's selectors, whose label values in expected alerts (job="...")
    become the team's."""
    series = dict(case.series)
    fires = list(case.fires)
    for name, team in settings.selectors.items():
        if not any("${" + name + "}" in text for text in series):
            continue  # the case writes that exporter's labels itself
        old, new = _equalities((defaults or {}).get(name, "")), _equalities(team)
        # an alert that keeps the selector's labels (job="...") carries the team's instead
        fires = [dataclasses.replace(f, labels={**{k: v for k, v in f.labels.items() if k not in old}, **new})
                 if old and all(f.labels.get(k) == v for k, v in old.items()) else f for f in fires]
    if settings.namespace_scope is not None and alert.definition.namespaced:
        scope = settings.namespace_scope
        if re.fullmatch(scope, OUTSIDE_SCOPE):
            return f"namespace_scope {scope!r} matches every name tried for a namespace outside it"
        names = sorted({m for text in series for m in _NAMESPACE.findall(text)})
        moved = {}
        for name in names:
            inside = _inside(scope, name)
            if inside is None:
                return f"no namespace name inside namespace_scope {scope!r} could be derived"
            moved[name] = inside

        def rename(text: str, to: dict[str, str]) -> str:
            return _NAMESPACE.sub(lambda m: f'namespace="{to.get(m.group(1), m.group(1))}"', text)

        inside_series = {rename(t, moved): v for t, v in series.items()}
        outside = {rename(t, {n: OUTSIDE_SCOPE for n in names}): v for t, v in series.items() if _NAMESPACE.search(t)}
        series = {**inside_series, **outside}
        def in_scope(text: str) -> str:  # a namespace named in an annotation the case wrote out
            for old, new in moved.items():
                text = re.sub(rf"\b{re.escape(old)}\b", new, text)
            return text

        fires = [dataclasses.replace(
            f, labels={k: moved.get(v, v) if k == "namespace" else v for k, v in f.labels.items()},
            annotations={k: in_scope(v) for k, v in f.annotations.items()} if f.annotations else f.annotations)
            for f in fires]
    if settings.cluster_label is not None:
        label = settings.cluster_label
        series = {_with_label(t, label, CLUSTER): v for t, v in series.items()}
        if keeps_cluster:
            fires = [dataclasses.replace(f, labels={**f.labels, label: CLUSTER}) for f in fires]
    return dataclasses.replace(case, name=f"{case.name} [{settings.source} settings]", series=series, fires=fires)


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
    """Alerts without a case where they fire, or without one where they stay silent (`silent-case`).

    Why: a firing case proves the alert can fire at all; a silent case proves it does not fire
    all the time, and usually sits just on the other side of the threshold or `for`, so a
    condition inverted or off by a factor fails `gen test`. The firing half cannot be skipped;
    the silent half is the check `silent-case`.

    Example: `gen test` reports "alert JobFailed lacks a non-firing case":

        Alert("JobFailed", expr="kube_job_status_failed{${kube_state_metrics}} > 0", ...,
              cases=[Case("fires on a failed pod", series={...: "1x10"}, at="5m", fires=[Fire({...})])])

    Fix: add a case where it must stay silent (no `fires`):

        cases=[Case("fires on a failed pod", series={...: "1x10"}, at="5m", fires=[Fire({...})]),
               Case("silent without failures", series={...: "0x10"}, at="5m")]

    Skip when: the alert fires by design, as the dead man's switch `Watchdog` does
    (rules_src/monitoring.py).
    """
    gaps = []
    for _, alert in alert_cases(rule_files):
        cases = alert.cases
        missing = []
        if not any(c.fires for c in cases):
            missing.append("a firing case")
        # "silent-case" in lint_skip: an alert that fires by design (Watchdog) has no silent case.
        if not any(not c.fires for c in cases) and "silent-case" not in alert.definition.lint_skip:
            missing.append("a non-firing case")
        if missing:
            where = alert.source if alert.catalog_cases_hold else f"{alert.where('expr')} (its own cases)"
            gaps.append(f"{where}: alert {alert.name} lacks {' and '.join(missing)}")
    return gaps


def _records_read(rule, records: dict) -> set[str]:
    """Names of the recording rules `rule` reads, directly or through other recording rules."""
    seen: set[str] = set()
    todo = [rule]
    while todo:
        for metric in todo.pop().analysis.metrics:
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
    needed = _records_read(alert, records)
    checked = dataclasses.replace(alert, annotations={**alert.annotations, VALUE_ANNOTATION: VALUE_TEMPLATE})
    groups = []
    for rf in compiled.rule_files:
        for group in rf.groups:
            rules = [checked if r is alert else r for r in group.rules
                     if r is alert or (not isinstance(r, AlertRule) and r.name in needed)]
            if rules:
                groups.append(RuleGroup(f"{rf.name}/{group.name}", group.interval, rules, group.source))
    return groups_dict(RuleFile(alert.name, "", groups))


def write_suite(dest: str, rules_src=None, handwritten: bool = True,
                settings: Settings | None = None, team: Config | None = None) -> list[TestFile]:
    """Write each alert's rule file and test file into `dest`; list the test files by module.
    `rules_src`: a gen.sources.Sources, one catalog folder, or None for the toolkit's own;
    `handwritten`: also each catalog folder's _promtool/*.yaml. With `settings`, each alert
    also gets a test file of its cases as a team with those settings runs them, against rules
    compiled with them; with `team` (the whole monitoring.yaml), the team's cases for upstream
    alerts run against rules compiled with it."""
    rules_src = as_sources(rules_src)
    config = Config()
    compiled = compile_rules(config, rules_src)
    catalog = compiled.catalog
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
        _write_alert_test(dest, f"{rf.name}.{alert.name}", _alert_rule_file(alert, compiled), groups,
                          by_module.setdefault(rf.name, TestFile([], rf.name)))
    if settings is not None:
        _write_settings_suite(dest, rules_src, settings, {**selectors, **settings.selectors}, by_module, selectors)
    if team is not None and catalog.cases:
        _write_team_suite(dest, rules_src, team, by_module)
    tests = [by_module[m] for m in sorted(by_module)]
    for folder in rules_src.rules if handwritten else ():
        tests += _handwritten(dest, folder)
    return tests


def _handwritten(dest: str, folder: str) -> list[TestFile]:
    """The folder's _promtool/ test files, copied beside the module rule files they name."""
    found = os.path.join(folder, HANDWRITTEN)
    tests = []
    for name in sorted(os.listdir(found)) if os.path.isdir(found) else []:
        if name.endswith((".yaml", ".yml")):
            target = os.path.join(dest, f"handwritten-{os.path.basename(folder)}-{name}")
            shutil.copyfile(os.path.join(found, name), target)
            tests.append(TestFile([target], f"{os.path.basename(folder)}/{HANDWRITTEN}/{name}"))
    return tests


def _write_alert_test(dest: str, stem: str, rule_file: dict, groups: list[dict], test: TestFile) -> None:
    """One alert's rule file and promtool test file, added to its module's TestFile."""
    with open(os.path.join(dest, f"{stem}.rules.yaml"), "wb") as fh:
        fh.write(dump(rule_file))
    path = os.path.join(dest, f"{stem}.test.yaml")
    doc = {"rule_files": [f"{stem}.rules.yaml"], "evaluation_interval": "1m"}
    if len(rule_file["groups"]) > 1:  # promtool would sort them by name: keep the catalog's order
        doc["group_eval_order"] = [g["name"] for g in rule_file["groups"]]
    doc["tests"] = groups
    with open(path, "wb") as fh:
        fh.write(dump(doc))
    test.paths.append(path)
    test.cases += [g["name"] for g in groups]


def _write_settings_suite(dest: str, rules_src, settings: Settings, selectors: dict[str, str],
                          by_module: dict[str, TestFile], defaults: dict[str, str]) -> None:
    compiled = compile_rules(settings.config(), rules_src)
    for rf, alert in alert_cases(compiled.rule_files):
        if not settings.structural and alert.name not in settings.alerts:
            continue  # as in the default suite
        groups = []
        labels = alert.analysis.labels
        keeps = settings.cluster_label is not None and labels is not None and labels.can_have(settings.cluster_label)
        test = by_module.setdefault(rf.name, TestFile([], rf.name))
        override = settings.alerts.get(alert.name)
        for case in alert.definition.cases if alert.catalog_cases_hold else ():
            derived = settings_case(alert, case, settings, keeps, defaults)
            if isinstance(derived, str):  # said in the test file's name list, never silently
                raise DefinitionError(f"{case.source}: alert {alert.name}: test case {case.name!r}: "
                                      f"cannot run with {settings.source}'s settings: {derived}")
            groups.append(case_group(alert, derived, selectors))
            if override and override.thresholds:
                for variant in threshold_cases(alert, derived, override.thresholds, test.not_derived):
                    groups.append(case_group(alert, variant, selectors))
        if not groups:
            continue
        _write_alert_test(dest, f"{rf.name}.{alert.name}.settings", _alert_rule_file(alert, compiled), groups, test)


def _write_team_suite(dest: str, rules_src, team: Config, by_module: dict[str, TestFile]) -> None:
    """The team's cases for upstream alerts, against the rules its monitoring.yaml compiles."""
    compiled = compile_rules(team, rules_src)
    selectors = {**compiled.catalog.selectors, **team.selectors}
    for rf, alert in alert_cases(compiled.rule_files):
        groups = [case_group(alert, dataclasses.replace(case, name=f"{case.name} [team]"), selectors)
                  for case in alert.team_cases]
        if groups:
            _write_alert_test(dest, f"{rf.name}.{alert.name}.team", _alert_rule_file(alert, compiled), groups,
                              by_module.setdefault(rf.name, TestFile([], rf.name)))


def _label_pattern(label: str) -> re.Pattern:
    return re.compile(rf'(?<![A-Za-z0-9_]){re.escape(label)}="([^"]*)"')


def threshold_cases(alert: AlertRule, case: Case, entries: list[Threshold], not_derived: list[str]) -> list[Case]:
    """The case moved into each entry's label values, expecting the alerts whose value crosses
    the entry's value; what cannot be derived is appended to `not_derived`."""
    cut = per_label.split(alert.definition.expr, entries[0].param, "thresholds")
    default = alert.params[entries[0].param]
    out = []
    for i, entry in enumerate(entries):
        name = f"{case.name} [thresholds[{i}]]"
        if not _stricter(cut.op, entry.value, default):
            not_derived.append(f"{alert.name}: {name}: {entry.value} is looser than the alert's {default}: "
                               "a silent case's series could cross it")
            continue
        moved = _moved_into(case, entry, entries[:i])
        if isinstance(moved, str):
            not_derived.append(f"{alert.name}: {name}: {moved}")
            continue
        series = {_rename(text, moved): values for text, values in case.series.items()}
        fires = [dataclasses.replace(f, labels={k: moved.get((k, v), v) for k, v in f.labels.items()})
                 for f in case.fires if per_label.compare(cut.op, f.value, entry.value)]
        out.append(dataclasses.replace(case, name=name, series=series, fires=fires))
    return out


def _stricter(op: str, value: float, default: float) -> bool:
    """An entry whose alerts are a subset of the default's: what fires at it fired at the
    default, so a case's expected alerts, filtered, predict it (== and != never are)."""
    if op in (">", ">="):
        return value >= default
    if op in ("<", "<="):
        return value <= default
    return False


def _moved_into(case: Case, entry: Threshold, earlier: list[Threshold]) -> dict[tuple[str, str], str] | str:
    """(label, old value) -> a value `entry` selects and no earlier entry does, for every value
    of its labels in the case's series; or why there is none."""
    moved: dict[tuple[str, str], str] = {}
    for label, regex in entry.match.items():
        values = sorted({v for text in case.series for v in _label_pattern(label).findall(text)})
        if not values:
            return f"its series do not write label {label!r}"
        for value in values:
            candidates = [value, *examples(regex)]
            found = next((c for c in candidates if re.fullmatch(regex, c) and re.fullmatch(r"[A-Za-z0-9._:/-]+", c)), None)
            if found is None:
                return f"no value of {label!r} matching {regex!r} could be derived"
            moved[(label, value)] = found
    for text in case.series:
        labels = _equalities(_rename(text, moved))
        if any(per_label.applies(e, labels) for e in earlier) or not per_label.applies(entry, labels):
            return "an earlier entry also selects the moved series"
    return moved


def _rename(text: str, moved: dict[tuple[str, str], str]) -> str:
    for (label, old), new in moved.items():
        text = _label_pattern(label).sub(lambda m, o=old, n=new, l=label: f'{l}="{n}"' if m.group(1) == o else m.group(0), text)
    return text


def run_suite(tests: list[TestFile], dest: str, jobs: int | None = None):
    """Run each TestFile's promtool invocation, `jobs` at a time (default: one per CPU);
    yields (test, promtool.Run) in the order of `tests`."""
    from concurrent.futures import ThreadPoolExecutor

    from gen.tools import promtool

    def one(test: TestFile):
        return test, promtool.test_rules([os.path.basename(p) for p in test.paths], cwd=dest)

    # The biggest files start first (a big module started last was a tail that ran alone);
    # results still come back in the order of `tests`.
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        futures = {id(t): pool.submit(one, t) for t in sorted(tests, key=_size, reverse=True)}
        for test in tests:
            yield futures[id(test)].result()


def _size(test: TestFile) -> int:
    return sum(os.path.getsize(p) for p in test.paths if os.path.exists(p))
