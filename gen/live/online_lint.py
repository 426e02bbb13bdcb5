"""Online lint: which alerts, recording rules and dashboard queries read series that a running
Prometheus has never seen, so they could never fire or show anything.

Every vector selector of every rule and dashboard query is checked against the server:
- its metric name must exist (`/api/v1/label/__name__/values`, one request);
- it must exist under the selector's exporter matchers (the catalog selector it was written
  with, e.g. {job="kubelet", metrics_path="/metrics/cadvisor"}, else its `job` matchers), and
  every other label it matches on must be a label of those series, unless the matcher also
  matches an absent label (`x=""`, `x!="a"`). One `/api/v1/labels?match[]=` per distinct
  (metric, exporter): the index answers it without reading samples, where
  `/api/v1/series` would return every series of a metric (100,000s for cAdvisor's);
- a metric that a catalog recording rule defines counts as present when the server has the
  series or evaluates a recording rule of that name (`/api/v1/rules`); otherwise it is
  reported as "recording rule not loaded".
Label values are not checked: `reason="CrashLoopBackOff"` exists only while a pod crash-loops.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from gen.dash.check import fill, queries
from gen.dash.render import panel_sources
from gen.core.errors import PromQLError
from gen.core.model import Source
from gen.live.prometheus_api import PrometheusClient
from gen.core.promql import Selector, analyze
from gen.core.resolved import AlertRule, RecordingRule
from gen.core.placeholders import promql_string

# Series Prometheus writes itself for alerting rules: they exist only while some alert is
# pending or firing, so their absence says nothing about the catalog.
RULE_EVALUATOR_SERIES = frozenset({"ALERTS", "ALERTS_FOR_STATE"})

Matcher = tuple[str, str, str]  # (label, op, value) as gen.core.promql gives them

KINDS = ("alert", "recording rule", "panel target", "dashboard variable")
RECORDING_RULES = "recording rules of the catalog"
NO_EXPORTER = "no exporter matcher"


@dataclass(frozen=True)
class Exporter:
    """Where series come from: a catalog selector by name, or the `job` matchers found in
    an expression written without one."""

    name: str
    matchers: tuple[Matcher, ...]
    configured: bool = True

    @property
    def selector(self) -> str:
        return "{" + ", ".join(_matcher_text(m) for m in self.matchers) + "}"

    @property
    def title(self) -> str:
        return f"{self.name} {self.selector}" if self.configured else self.selector


@dataclass(frozen=True)
class Reference:
    """One alert, recording rule, panel target or dashboard variable and the selectors it reads."""

    kind: str  # one of KINDS
    what: str  # "alert KubePodCrashLooping", "dashboard k8s-pod: panel 'CPU' (id 2) target A"
    source: Source
    selectors: tuple[Selector, ...]
    reads_label: str | None = None  # a variable's label_values(..., label): read from its selectors' series


@dataclass(frozen=True)
class Missing:
    """Something a reference reads that the server has never seen."""

    group: str  # exporter title, or RECORDING_RULES / NO_EXPORTER
    ref: Reference
    problem: str
    kind: str  # "metric", "selector" (metric exists, not under the exporter's labels), "label", "recording rule"
    metric: str | None
    label: str | None = None

    def __str__(self) -> str:
        return f"{self.ref.source}: {self.ref.what}: {self.problem}"


@dataclass
class Report:
    url: str
    metric_count: int
    label_count: int
    recording_rules: set[str] | None  # None: the server has no rules API
    references: list[Reference]
    missing: list[Missing] = field(default_factory=list)
    group_notes: dict[str, str] = field(default_factory=dict)  # group -> why nothing of it is there

    @property
    def ok(self) -> bool:
        return not self.missing

    def lines(self) -> list[str]:
        """The report as printed: one block per exporter, sorted, then a summary line."""
        rules = "no rules API" if self.recording_rules is None else f"{len(self.recording_rules)} recording rules loaded"
        out = [f"Prometheus at {self.url}: {self.metric_count} metric names, {self.label_count} label names, {rules}"]
        by_group: dict[str, list[Missing]] = {}
        for m in self.missing:
            by_group.setdefault(m.group, []).append(m)
        for group in sorted(by_group):
            items = sorted(by_group[group], key=lambda m: (m.ref.source.file, m.ref.source.line, m.ref.what, m.problem))
            # rules made in a loop share name and line (a burn rate per verb group): one line each
            lines = list(dict.fromkeys(f"  {m}" for m in items))
            refs = len({(m.ref.source, m.ref.what) for m in items})
            head = f"{group}: {refs} {'definition reads' if refs == 1 else 'definitions read'} what the server has never seen"
            if group in self.group_notes:
                head += f"; {self.group_notes[group]}"
            out += [head, *lines]
        total = Counter(r.kind for r in self.references)
        bad: Counter = Counter()
        for ref in {id(m.ref): m.ref for m in self.missing}.values():
            bad[ref.kind] += 1
        parts = [f"{bad[k]} of {total[k]} {k}s" for k in KINDS if total[k]]
        verdict = "read something this server has never seen" if self.missing else "all found"
        out.append(f"online lint: {', '.join(parts)} {verdict}")
        return out


# --- what the catalog reads -----------------------------------------------------------------


def rule_references(rule_files) -> list[Reference]:
    refs = []
    for rf in rule_files:
        for group in rf.groups:
            for rule in group.rules:
                kind = "alert" if isinstance(rule, AlertRule) else "recording rule"
                refs.append(Reference(kind, rule.what, rule.source, tuple(rule.analysis.selectors)))
    return refs


def dashboard_references(dashboards, rendered: dict[str, dict]) -> list[Reference]:
    """Panel targets and variable queries of each rendered dashboard (by uid), with the
    file:line of the cell that defined the panel (the dashboard's, for variables). Grafana
    variables are filled with a non-empty placeholder and macros with typical values: only
    the selectors' metric and label names matter here."""
    from gen.dash.check import PARSE_MACROS

    refs = []
    for dashboard in dashboards:
        data = rendered[dashboard.uid]
        sources = panel_sources(dashboard)
        declared = {v["name"]: "placeholder" for v in data.get("templating", {}).get("list", [])}
        for q in queries(data):
            try:
                selectors = tuple(analyze(fill(q.expr, declared, PARSE_MACROS)).selectors)
            except (KeyError, PromQLError):
                continue  # the build's dashboard checks report these
            if q.panel_id is None:
                refs.append(Reference("dashboard variable", q.where, dashboard.source, selectors, q.label))
            else:
                refs.append(Reference("panel target", q.where, sources.get(q.panel_id, dashboard.source), selectors))
    return refs


def recording_rule_sources(rule_files) -> dict[str, Source]:
    """Recorded metric name -> the first definition of it in the catalog."""
    out: dict[str, Source] = {}
    for rf in rule_files:
        for group in rf.groups:
            for rule in group.rules:
                if isinstance(rule, RecordingRule):
                    out.setdefault(rule.name, rule.source)
    return out


def exporters(selectors: dict[str, str]) -> list[Exporter]:
    """The catalog's exporter selectors (defaults with monitoring.yaml's overrides) as matchers;
    empty ones are left out (they identify nothing)."""
    out = []
    for name, text in sorted(selectors.items()):
        if not text.strip():
            continue
        try:
            parsed = analyze("{" + text + "}").selectors
        except PromQLError:
            continue  # the build has already used it; an unusable one just identifies nothing
        if parsed:
            out.append(Exporter(name, parsed[0].matchers))
    return out


def exporter_of(selector: Selector, known: list[Exporter]) -> Exporter | None:
    """The catalog exporter whose matchers the selector contains (the most specific one), else
    the selector's own `job` matchers, else None."""
    have = set(selector.matchers)
    fits = [e for e in known if set(e.matchers) <= have]
    if fits:
        return sorted(fits, key=lambda e: (-len(e.matchers), e.name))[0]
    jobs = tuple(m for m in selector.matchers if m[0] == "job")
    if jobs:
        return Exporter(" ".join(_matcher_text(m) for m in jobs), jobs, configured=False)
    return None


def requires_label(op: str, value: str) -> bool:
    """True when the matcher cannot match a series without the label (Prometheus treats an
    absent label as the empty string; regexes are anchored)."""
    if op == "=":
        return value != ""
    if op == "!=":
        return value == ""
    try:
        matches_empty = re.fullmatch(value, "") is not None
    except re.error:
        return False  # a regex Python cannot read: do not claim anything
    return not matches_empty if op == "=~" else matches_empty


# --- asking the server ---------------------------------------------------------------------


def check(client: PrometheusClient, refs: list[Reference], known: list[Exporter],
          records: dict[str, Source]) -> Report:
    names = client.metric_names()
    all_labels = client.label_names()
    loaded = client.recording_rules()
    report = Report(client.url, len(names), len(all_labels), loaded, refs)
    labels_of: dict[str, set[str]] = {}

    def labels(match: str) -> set[str]:
        if match not in labels_of:
            labels_of[match] = client.label_names(match)
        return labels_of[match]

    seen: set[tuple[int, str]] = set()
    exporters_at_fault: dict[str, Exporter] = {}

    def report_missing(ref: Reference, group: str, problem: str, kind: str, metric: str | None, label: str | None = None):
        if (id(ref), problem) not in seen:
            seen.add((id(ref), problem))
            report.missing.append(Missing(group, ref, problem, kind, metric, label))

    for ref in refs:
        for sel in ref.selectors:
            if sel.metric in RULE_EVALUATOR_SERIES:
                continue  # written by the server's own rule evaluation, only while alerts are active
            exporter = exporter_of(sel, known)
            group = exporter.title if exporter else NO_EXPORTER
            metric = sel.metric
            scope: tuple[Matcher, ...] = exporter.matchers if exporter else ()
            if metric is not None and metric in records:
                if metric not in names:
                    if loaded is None or metric not in loaded:
                        report_missing(ref, RECORDING_RULES,
                                       f"recording rule {metric} not loaded on the server (defined at {records[metric]})",
                                       "recording rule", metric)
                    continue  # loaded, no series yet: its own inputs are checked where it is defined
            elif metric is not None and metric not in names:
                report_missing(ref, group, f"metric {metric} never seen", "metric", metric)
                if exporter:
                    exporters_at_fault[group] = exporter
                continue
            if metric is None:
                have = all_labels
            else:
                have = labels(_selector_text(metric, scope))
                if not have:
                    report_missing(ref, group, f"metric {metric} never seen with {_scope_text(scope)}", "selector", metric)
                    if exporter:
                        exporters_at_fault[group] = exporter
                    continue
            where = f"{metric}{_scope_text(scope)}" if metric else "any series"
            for label, op, value in sel.matchers:
                if label == "__name__" or (label, op, value) in scope:
                    continue
                if requires_label(op, value) and label not in have:
                    report_missing(ref, group, f"label {label} never seen on {where} (matcher {_matcher_text((label, op, value))})",
                                   "label", metric, label)
            if ref.reads_label and ref.reads_label not in have:
                report_missing(ref, group, f"label {ref.reads_label} (listed by the variable) never seen on {where}",
                               "label", metric, ref.reads_label)

    for group, exporter in exporters_at_fault.items():
        if labels(exporter.selector):
            continue
        note = f"no series at all match {exporter.selector}: not scraped, or under other labels"
        if exporter.configured:
            note += f" (set selectors.{exporter.name} in monitoring.yaml)"
        unseen = sorted({label for label, _, _ in exporter.matchers} - all_labels)
        if unseen:
            note += f"; the server has never seen label {', '.join(unseen)}"
        report.group_notes[group] = note
    return report


def _matcher_text(m: Matcher) -> str:
    label, op, value = m
    return f'{label}{op}"{promql_string(value)}"'


def _scope_text(scope: tuple[Matcher, ...]) -> str:
    return "{" + ", ".join(_matcher_text(m) for m in scope) + "}" if scope else ""


def _selector_text(metric: str, scope: tuple[Matcher, ...]) -> str:
    """A series selector for match[]: the metric by __name__ (recording rule names hold colons,
    fine there too) and the exporter's matchers."""
    return "{" + ", ".join(_matcher_text(m) for m in (("__name__", "=", metric), *scope)) + "}"
