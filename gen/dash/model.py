"""What a dashboard module in dashboards_src/ declares.

Panels are grafanalib objects (TimeSeries, Stat, Table, BarGauge, ...); this model adds what
grafanalib lacks: a grid layout by rows (no hand-computed coordinates), alert thresholds
taken from the catalog's parameters, links between dashboards, template variables in
current form, and a fixture of input series proving every panel returns data.

Expressions use the catalog's `${selector}` placeholders (`${cadvisor}`, `${kube_state_metrics}`),
filled from the same selectors as the rules; `${Alert.param}` is an alert's parameter as
resolved (a panel computing an alert's quantity uses the alert's own knobs); `$name` of
Grafana variables and Grafana's macros (`$__rate_interval`) are left for Grafana.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from gen.core.errors import DefinitionError
from gen.core.model import Source, _caller

GRID_COLUMNS = 24


@dataclass
class AlertLine:
    """Draw an alert's threshold on a panel: the value of `param` of alert `alert` as resolved
    with the user's monitoring.yaml (change the knob, both move), times `scale`.

    `compute` replaces `param` and `scale` when the threshold combines several parameters
    (a burn-rate alert's line is burn_rate * (100 - SLO) / 100): it receives the alert's
    resolved parameters and returns the value."""

    alert: str
    param: str = "threshold"
    scale: float = 1.0
    color: str = "red"
    compute: Callable[[dict[str, Any]], float] | None = None


@dataclass
class Link:
    """A data link from a panel's series to another dashboard: `vars` maps the target
    dashboard's variables to Grafana expressions, e.g. {"node": "${__field.labels.node}"}."""

    title: str
    dashboard: str  # uid
    vars: dict[str, str] = field(default_factory=dict)


@dataclass
class Cell:
    """A panel and how much of a row it takes (width in grid columns; None: share the rest)."""

    panel: Any  # a grafanalib panel
    width: int | None = None
    height: int | None = None  # None: the row's height
    alerts: list[AlertLine] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    source: Source = field(default_factory=_caller)


def cell(panel, width: int | None = None, *, height: int | None = None,
         alert: str | AlertLine | list | None = None, links: list[Link] | None = None) -> Cell:
    """A panel placed in a row; `alert` names an alert (its `threshold`) or gives AlertLines."""
    if alert is None:
        alerts = []
    elif isinstance(alert, str):
        alerts = [AlertLine(alert)]
    elif isinstance(alert, AlertLine):
        alerts = [alert]
    else:
        alerts = list(alert)
    return Cell(panel, width, height, alerts, list(links or []), _caller())


@dataclass
class Row:
    """A titled band of panels, left to right; panels wrap to a new line when 24 columns fill."""

    title: str
    cells: list[Any]  # Cell, or a bare grafanalib panel
    height: int = 8
    collapsed: bool = False
    source: Source = field(default_factory=_caller)


@dataclass
class Variable:
    """A query variable filled with `label_values(...)`; `label` is the series label it stands
    for (default: its name), used to fill it from an alert's labels in dashboard links."""

    name: str
    query: str  # e.g. label_values(kube_pod_info{${kube_state_metrics}}, namespace)
    label: str | None = None
    title: str | None = None
    multi: bool = False
    include_all: bool = False
    all_value: str | None = None  # e.g. ".*" so `=~"$namespace"` matches everything
    regex: str | None = None
    hide: bool = False

    @property
    def series_label(self) -> str:
        return self.label or self.name


@dataclass
class Fixture:
    """Input series (promtool notation, `${selector}` placeholders allowed) under which every
    panel query, with `vars` for the variables, returns at least one sample at `at`."""

    series: dict[str, str]
    vars: dict[str, str]
    at: str = "10m"
    interval: str = "1m"
    rate_interval: str = "5m"  # what $__rate_interval becomes
    range: str = "1h"  # what $__range becomes
    source: Source = field(default_factory=_caller)


@dataclass
class Dashboard:
    uid: str
    title: str
    rows: list[Row]
    variables: list[Variable] = field(default_factory=list)
    fixture: Fixture | None = None
    description: str = ""
    tags: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # uids of related dashboards (top bar)
    time_from: str = "now-1h"
    refresh: str = "30s"
    source: Source = field(default_factory=_caller)

    def __post_init__(self):
        if not self.uid or len(self.uid) > 40 or not all(c.isalnum() or c in "-_" for c in self.uid):
            raise DefinitionError(f"{self.source}: dashboard {self.title!r}: uid {self.uid!r} must be 1-40 "
                                  "characters of letters, digits, '-' and '_' (Grafana's limit)")
        names = [v.name for v in self.variables]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise DefinitionError(f"{self.source}: dashboard {self.uid}: variable {dupes[0]!r} declared twice")
        for reserved in ("datasource", "cluster"):
            if reserved in names:
                raise DefinitionError(f"{self.source}: dashboard {self.uid}: variable {reserved!r} is added by the "
                                      "engine (datasource always, cluster when multi_cluster is on)")
