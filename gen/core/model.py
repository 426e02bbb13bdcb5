"""The definitions a catalog module writes: alerts, recording rules, groups and their test cases.

These are templates: expressions and annotations may hold `${name}` placeholders that the
engine fills from the alert's parameters and the configured selectors (see gen.rules.resolve).
Each definition remembers the file and line it was written at, so every later error can
point there.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, field
from typing import Union

from common.durations import parse_duration
from gen.core.errors import DefinitionError
from gen.core.series_values import STALE, expand, join

SEVERITIES = ("critical", "warning", "info")

_GEN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # gen/, above core/
_UPSTREAM_DIR = os.path.join(_GEN_DIR, "upstream") + os.sep  # an installed catalog is not engine code


@dataclass(frozen=True)
class Source:
    """Where a definition was written, for error messages."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{_display_path(self.file, os.getcwd())}:{self.line}"


@functools.lru_cache(maxsize=1024)
def _display_path(file: str, cwd: str) -> str:
    """The file relative to the working directory (cached: one catalog file holds many rules)."""
    try:
        return os.path.relpath(file, cwd)
    except ValueError:  # other drive (Windows)
        return file


@functools.lru_cache(maxsize=1024)
def _in_gen(filename: str) -> bool:
    """Frames of the engine itself (or generated code) are not where a definition was written."""
    path = os.path.abspath(filename)
    return filename.startswith("<") or (path.startswith(_GEN_DIR + os.sep) and not path.startswith(_UPSTREAM_DIR))


def _caller() -> Source:
    """The first stack frame outside gen/: the catalog line that built the definition."""
    frame = sys._getframe(1)
    while frame is not None and _in_gen(frame.f_code.co_filename):  # incl. dataclass __init__
        frame = frame.f_back
    if frame is None:
        return Source("<unknown>", 0)
    return Source(frame.f_code.co_filename, frame.f_lineno)


@dataclass(frozen=True)
class Duration:
    """A duration parameter ("5m"); kept apart from plain strings so config values are checked."""

    text: str

    def __post_init__(self) -> None:
        try:
            parse_duration(self.text)
        except ValueError as exc:
            raise DefinitionError(f"{_caller()}: {exc}") from None

    @property
    def seconds(self) -> float:
        return parse_duration(self.text)

    def __str__(self) -> str:
        return self.text


ParamValue = Union[int, float, str, Duration]


@dataclass
class Fire:
    """One alert a test case expects to be firing.

    `labels` are the labels the expression produces (alertname and the rule's static
    labels such as severity are added by the engine). `value` is the expression's value,
    used to predict the rendered annotations; give `annotations` instead when a template
    uses more than `$labels.x` and humanized `$value`.
    """

    labels: dict[str, str]
    value: float | None = None
    annotations: dict[str, str] | None = None


@dataclass
class Case:
    """A promtool unit test case next to the alert it proves.

    `series` maps a series in promtool notation (`metric{label="v"}`, may use `${selector}`
    placeholders) to its values (`0+10x20`, `1x30`, `_`, `stale`). The alert is evaluated
    at `at`; `fires` lists the expected alerts, empty when it must not fire.

    `gen test` also runs every case with the series of the catalog's replicated exporters
    (_selectors.REPLICATED) scraped twice, expecting the same alerts; `single_replica` gives
    the reason when a case cannot hold that way (the variant is then not run).
    """

    name: str
    series: dict[str, str]
    at: str
    fires: list[Fire] = field(default_factory=list)
    interval: str = "1m"
    single_replica: str = ""
    source: Source = field(default_factory=_caller, compare=False)

    def __post_init__(self) -> None:
        for value, what in ((self.at, "at"), (self.interval, "interval")):
            try:
                parse_duration(value)
            except ValueError as exc:
                raise DefinitionError(f"{self.source}: test case {self.name!r}: {what}: {exc}") from None
        self.fires = [f if isinstance(f, Fire) else Fire(labels=dict(f)) for f in self.fires]


# Where two replicas of one exporter differ (kube-prometheus drops the target's pod, service,
# endpoint and namespace labels from kube-state-metrics, so `instance` is what remains).
REPLICA_INSTANCES = ("10.0.0.11:8080", "10.0.0.12:8080")


def replicated(series: dict[str, str], selectors: tuple[str, ...] = ("kube_state_metrics",)) -> dict[str, str]:
    """`series` as two replicas of an HA exporter scrape them: every series of one of
    `selectors` (`${name}` in its text) twice, differing only in `instance`; the other series,
    and those that name their instance already, as they are."""
    out: dict[str, str] = {}
    for text, values in series.items():
        at = _at_instances(text, selectors)
        if at is None:
            out[text] = values
            continue
        for one in at:
            out[one] = values
    return out


def _at_instances(text: str, selectors: tuple[str, ...]) -> list[str] | None:
    """`text` (a series of one of `selectors`, `${name}` in it) as scraped at each of
    REPLICA_INSTANCES; None for other series and those that name their instance already."""
    placeholder = next((p for p in ("${" + name + "}" for name in selectors) if p in text), None)
    if placeholder is None or "instance=" in text:
        return None
    return [text.replace(placeholder, f'{placeholder}, instance="{i}"', 1) for i in REPLICA_INSTANCES]


def moved(series: dict[str, str], after: int, selectors: tuple[str, ...] = ("kube_state_metrics",)) -> dict[str, str]:
    """`series` as Prometheus records them when an HA exporter's pod moves (rescheduled, or a
    rolling update): every series of one of `selectors` scraped at one address for its first
    `after` samples, ending with a staleness marker as the old target disappears, and at another
    from then on. An alert on such series must not fire twice or restart its `for`."""
    out: dict[str, str] = {}
    for text, values in series.items():
        at = _at_instances(text, selectors)
        if at is None:
            out[text] = values
            continue
        samples = expand(values)
        if not 0 < after < len(samples):
            raise DefinitionError(f"moved(after={after}): {text} has {len(samples)} samples; move it within them")
        old, new = at
        out[old] = join(samples[:after] + [STALE])
        out[new] = join([None] * after + samples[after:])
    return out


@dataclass
class Alert:
    """An alerting rule template with its parameters and its proof."""

    name: str
    expr: str
    severity: str | None = None
    summary: str | None = None
    description: str | None = None
    for_: str = "0s"
    keep_firing_for: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    params: dict[str, ParamValue] = field(default_factory=dict)
    runbook_url: str | None = None
    dashboard: str | None = None
    # The dashboard's variables set explicitly (values may use {{ $labels.x }}), instead of
    # filling every variable whose label the expression may carry: for labels named otherwise
    # than the variable (`deployment` for `workload`), constants, or a label that means another
    # thing on this alert (a kube-state-metrics `instance`).
    dashboard_vars: dict[str, str] = field(default_factory=dict)
    cases: list[Case] = field(default_factory=list)
    lint_skip: tuple[str, ...] = ()
    # About objects in a namespace: the configured namespace scope narrows its selectors.
    namespaced: bool = False
    # What the exporter must be run with for the alert to fire at all, when its defaults do
    # not export the series read (e.g. etcd's `--metrics=extensive`): printed in
    # docs/alerts.md, and its runbook must say it (tests/catalog).
    requires: str | None = None
    source: Source = field(default_factory=_caller, compare=False)

    def __post_init__(self) -> None:
        if self.dashboard_vars and not self.dashboard:
            raise DefinitionError(f"{self.source}: alert {self.name}: dashboard_vars without a dashboard")
        for attr in ("for_", "keep_firing_for"):
            value = getattr(self, attr)
            if value is None:
                continue
            try:
                parse_duration(value)
            except ValueError as exc:
                raise DefinitionError(f"{self.source}: alert {self.name}: {attr.rstrip('_')}: {exc}") from None
        for key, value in self.params.items():
            if isinstance(value, bool) or not isinstance(value, (int, float, str, Duration)):
                raise DefinitionError(
                    f"{self.source}: alert {self.name}: parameter {key!r} must be a number, string or "
                    f"Duration, not {type(value).__name__}"
                )


def twins(*variants: dict, **shared) -> list[Alert]:
    """Alerts that watch one condition at several levels (warning and critical, or space and
    inodes): `shared` holds what they have in common, each variant what differs (its name,
    severity, text, cases; its `params` come first, then the shared ones it does not set).
    Written once, the twins cannot drift apart."""
    alerts = []
    for variant in variants:
        fields = {**shared, **variant}
        own = variant.get("params", {})
        fields["params"] = {**own, **{k: v for k, v in shared.get("params", {}).items() if k not in own}}
        alerts.append(Alert(**fields))
    return alerts


@dataclass
class Record:
    """A recording rule template."""

    record: str
    expr: str
    labels: dict[str, str] = field(default_factory=dict)
    lint_skip: tuple[str, ...] = ()
    source: Source = field(default_factory=_caller, compare=False)

    @property
    def name(self) -> str:
        return self.record


Rule = Union[Alert, Record]


@dataclass
class Group:
    """A rule group: evaluated together, at `interval` (the server's default when None)."""

    name: str
    rules: list[Rule]
    interval: str | None = None
    source: Source = field(default_factory=_caller, compare=False)

    def __post_init__(self) -> None:
        if self.interval is not None:
            try:
                parse_duration(self.interval)
            except ValueError as exc:
                raise DefinitionError(f"{self.source}: group {self.name}: interval: {exc}") from None
        for rule in self.rules:
            if not isinstance(rule, (Alert, Record)):
                raise DefinitionError(
                    f"{self.source}: group {self.name}: rules must be Alert or Record, not {type(rule).__name__}"
                )


@dataclass
class Module:
    """One catalog module (one area, one PrometheusRule)."""

    name: str
    file: str  # folder name/file name, stable wherever the repository sits
    groups: list[Group]
    path: str = ""  # where it was read
    upstream: bool = False  # from the toolkit's own catalog (gen.upstream)


@dataclass
class Platform:
    """A kind of cluster (monitoring.yaml's `platform:`) whose control plane keeps some
    components from the user's Prometheus: the alerts reading them would fire from day one
    (absent()) or never, so the build turns them off there (gen.rules.resolve.platform_off).

    `hidden` names selectors (_selectors.SELECTORS) of the components it hides; `sources`
    maps each cited document's URL to what it says; `note` is what a user of the platform
    should know (how to get the components' metrics after all)."""

    title: str
    hidden: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)
    note: str = ""
    source: Source = field(default_factory=_caller, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.hidden, str) or not all(isinstance(h, str) for h in self.hidden):
            raise DefinitionError(f"{self.source}: platform {self.title!r}: hidden must be a tuple of selector names")
        self.hidden = tuple(self.hidden)
