"""What a routing module (routing_src/routing.py) writes: receivers, the route tree, inhibitions, cases.

Routes may select alerts by catalog module or rule group instead of by alert name, so an
alert added to a module is routed with its module. Matchers use Alertmanager's syntax
(`severity="critical"`, `alertname=~"A|B"`). Each definition remembers its file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from common.durations import parse_duration
from common.matchers import Matcher, MatcherError, parse_matcher
from gen.core.errors import RoutingError
from gen.core.model import Source, _caller

LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def parse(text: str, where: str) -> Matcher:
    """One Alertmanager matcher (common.matchers), or a RoutingError naming `where`."""
    try:
        return parse_matcher(text)
    except MatcherError as exc:
        raise RoutingError(f"{where}: matcher {exc}") from None


def _check_duration(value: str | None, where: str) -> None:
    if value is None:
        return
    try:
        parse_duration(value)
    except (ValueError, TypeError) as exc:
        raise RoutingError(f"{where}: {exc}") from None


@dataclass
class Timing:
    """How long Alertmanager waits before the first notification of a group, between updates
    of a group, and before repeating an unchanged one."""

    group_wait: str
    group_interval: str
    repeat_interval: str
    source: Source = field(default_factory=_caller, compare=False)

    def __post_init__(self) -> None:
        for name in ("group_wait", "group_interval", "repeat_interval"):
            _check_duration(getattr(self, name), f"{self.source}: timing {name}")


@dataclass
class Receiver:
    """A receiver of the Alertmanager config: the relay, at `POST /alerts/<name>` (the
    heartbeat's receiver at plain `POST /alerts`). monitoring.yaml's `relay.receivers.<name>`
    says which chat targets the relay delivers its alerts to."""

    name: str
    send_resolved: bool = True
    source: Source = field(default_factory=_caller, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*", self.name):
            raise RoutingError(f"{self.source}: receiver name {self.name!r}: letters, digits, '-', '_', '.' only "
                               "(it is the relay route /alerts/<name>)")


@dataclass
class Route:
    """A node of the route tree. An alert enters it when every matcher holds and, if `modules`
    or `groups` are given, it belongs to one of those catalog modules or rule groups. Unset
    receiver, group_by and timing are inherited from the parent."""

    receiver: str | None = None
    matchers: list[str] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    group_by: list[str] | None = None
    timing: str | None = None  # a name in Routing.timings
    continue_: bool = False
    routes: list["Route"] = field(default_factory=list)
    name: str | None = None  # for messages and case coverage; defaults to the receiver
    source: Source = field(default_factory=_caller, compare=False)

    def __post_init__(self) -> None:
        self.parsed = [parse(m, f"{self.source}: route") for m in self.matchers]
        for label in self.group_by or []:
            if label != "..." and not LABEL_NAME.fullmatch(label):
                raise RoutingError(f"{self.source}: route group_by: {label!r} is not a label name")
        if self.group_by is not None and len(set(self.group_by)) != len(self.group_by):
            raise RoutingError(f"{self.source}: route group_by: {self.group_by} repeats a label")
        for child in self.routes:
            if not isinstance(child, Route):
                raise RoutingError(f"{self.source}: routes must be Route, not {type(child).__name__}")

    @property
    def label(self) -> str:
        return self.name or self.receiver or "route"


@dataclass
class Inhibit:
    """While an alert matching `source` fires, alerts matching `target` whose `equal` labels
    have the same values (a label missing on both counts as equal) are not notified."""

    source: list[str]
    target: list[str]
    equal: list[str]
    why: str = ""
    origin: Source = field(default_factory=_caller, compare=False)

    def __post_init__(self) -> None:
        where = f"{self.origin}: inhibit"
        self.source_parsed = [parse(m, where) for m in self.source]
        self.target_parsed = [parse(m, where) for m in self.target]
        if not self.source_parsed or not self.target_parsed:
            raise RoutingError(f"{where}: needs source and target matchers")
        for label in self.equal:
            if not LABEL_NAME.fullmatch(label):
                raise RoutingError(f"{where}: equal: {label!r} is not a label name")


@dataclass
class CriticalTwins:
    """An alert named `<X><suffix>` at critical severity silences its warning twin `<X>` for
    the same object; `pairs` adds twins named otherwise (critical name -> warning name).
    The object is the labels both expressions carry (gen.core.promql), else `object_labels`."""

    suffix: str = "Critical"
    pairs: dict[str, str] = field(default_factory=dict)
    object_labels: list[str] = field(default_factory=list)
    origin: Source = field(default_factory=_caller, compare=False)


@dataclass
class NodeDown:
    """While a node is down (`alerts`, which carry `node`), alerts of the catalog `modules`
    about that node (their `node` label) are not notified: the node alert says it all."""

    alerts: list[str]
    modules: list[str]
    node_label: str = "node"
    origin: Source = field(default_factory=_caller, compare=False)


@dataclass
class RouteCase:
    """An `amtool config routes test` case: these labels must reach exactly these receivers."""

    name: str
    labels: dict[str, str]
    receivers: list[str]
    source: Source = field(default_factory=_caller, compare=False)


@dataclass
class Heartbeat:
    """The always-firing alert that proves the pipeline works: the first route, to `receiver`
    only (never to people), repeated every `timing`'s repeat_interval."""

    alert: str
    receiver: str
    timing: str
    source: Source = field(default_factory=_caller, compare=False)


@dataclass
class Routing:
    """A routing module's `routing`: everything alertmanager.yaml is built from."""

    receivers: list[Receiver]
    route: Route
    heartbeat: Heartbeat
    timings: dict[str, Timing]
    inhibit: list[Inhibit] = field(default_factory=list)
    critical_twins: CriticalTwins | None = None
    node_down: NodeDown | None = None
    cases: list[RouteCase] = field(default_factory=list)
    source: Source = field(default_factory=_caller, compare=False)
