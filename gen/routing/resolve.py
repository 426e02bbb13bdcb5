"""Routing definition + built catalog + monitoring.yaml -> a concrete, checked routing.

Catalog modules and groups named by routes become `alertname=~"..."` matchers listing their
enabled alerts; timing profiles and receivers get monitoring.yaml's overrides; critical twins
and node-down inhibitions are derived from the catalog. Every error names the routing
module's file:line or the monitoring.yaml key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gen.config import AlertmanagerSettings, Config
from common.durations import parse_duration
from gen.core.errors import ConfigError, RoutingError
from gen.core.model import Alert, Source
from gen.core.resolved import AlertRule, RuleFile
from gen.routing.model import Heartbeat, Matcher, Route, RouteCase, Routing

TIMING_FIELDS = ("group_wait", "group_interval", "repeat_interval")


@dataclass
class RRoute:
    """A route with its matchers expanded and what it inherits filled in."""

    label: str
    receiver: str
    matchers: list[Matcher]
    group_by: list[str]
    timing: dict[str, str]  # every field: the profile, else inherited
    explicit: dict  # what to write: only what this route sets (plus the receiver)
    continue_: bool
    routes: list["RRoute"]
    source: Source

    def walk(self):
        yield self
        for child in self.routes:
            yield from child.walk()


@dataclass
class RInhibit:
    source: list[Matcher]
    target: list[Matcher]
    equal: list[str]
    why: str
    origin: str


@dataclass
class RReceiver:
    name: str
    url: str
    send_resolved: bool


@dataclass
class RelayRoute:
    """The relay route a receiver posts to (/alerts/<name>) and the chat targets it reaches:
    the relay's half of the contract, written into out/relay/relay.yaml."""

    name: str
    targets: list[str]
    settings_key: str  # where the targets came from: relay.receivers.<name> or relay.default_targets


@dataclass
class Resolved:
    receivers: list[RReceiver]
    route: RRoute
    inhibits: list[RInhibit]
    cases: list[RouteCase]
    heartbeat: Heartbeat
    settings: AlertmanagerSettings
    alerts: list[AlertRule] = field(default_factory=list)  # enabled alerts, catalog order
    relay_routes: list[RelayRoute] = field(default_factory=list)  # one per receiver but the heartbeat's

    def match(self, labels: dict[str, str]) -> list[RRoute]:
        """The routes an alert with these labels ends at, as Alertmanager's Route.Match does."""
        return _match(self.route, labels) or [self.route]

    def receivers_for(self, labels: dict[str, str]) -> list[str]:
        return [r.receiver for r in self.match(labels)]


def _match(route: RRoute, labels: dict[str, str]) -> list[RRoute]:
    if not all(m.matches(labels) for m in route.matchers):
        return []
    hits: list[RRoute] = []
    for child in route.routes:
        found = _match(child, labels)
        hits += found
        if found and not child.continue_:
            break
    return hits or [route]


def alert_labels(rule: AlertRule) -> dict[str, str]:
    """The labels an alert of this rule always carries (its expression adds more)."""
    return {**rule.labels, "alertname": rule.name}


def _alternation(names) -> str:
    return "|".join(sorted(set(names)))


class _Resolver:
    def __init__(self, routing: Routing, rule_files: list[RuleFile], config: Config, catalog_alerts: set[str], catalog_modules=()):
        self.routing = routing
        self.config = config
        self.settings = config.alertmanager
        self.catalog_alerts = catalog_alerts  # disabled ones included
        self.alerts = [r for rf in rule_files for g in rf.groups for r in g.rules if isinstance(r, AlertRule)]
        self.by_name = {a.name: a for a in self.alerts}
        self.modules: dict[str, list[str]] = {rf.name: [] for rf in rule_files}
        self.groups: dict[str, list[str]] = {}
        for rf in rule_files:
            for g in rf.groups:
                names = [r.name for r in g.rules if isinstance(r, AlertRule)]
                self.modules[rf.name] += names
                self.groups.setdefault(g.name, []).extend(names)
        for module in catalog_modules:  # a module or group whose every alert is off is still no typo
            self.modules.setdefault(module.name, [])
            for g in module.groups:
                self.groups.setdefault(g.name, [])
        self.cluster = config.multi_cluster.label if config.multi_cluster.enabled else None

    # -- timings and receivers --------------------------------------------------------
    def timings(self) -> dict[str, dict[str, str]]:
        profiles = {}
        for name, t in self.routing.timings.items():
            profiles[name] = {f: getattr(t, f) for f in TIMING_FIELDS}
        for name, override in self.settings.timings.items():
            if name not in profiles:
                raise ConfigError(f"{self.config.path}: alertmanager.timings.{name}: unknown timing "
                                  f"(known: {', '.join(sorted(profiles))})")
            profiles[name].update(override)
        return profiles

    def receivers(self) -> list[RReceiver]:
        seen: dict[str, Source] = {}
        out = []
        for rc in self.routing.receivers:
            if rc.name in seen:
                raise RoutingError(f"{rc.source}: receiver {rc.name!r} already defined at {seen[rc.name]}")
            seen[rc.name] = rc.source
            path = "/alerts" if rc.name == self.routing.heartbeat.receiver else f"/alerts/{rc.name}"
            out.append(RReceiver(rc.name, self.config.relay_url + path, rc.send_resolved))
        return out

    def relay_routes(self) -> list[RelayRoute]:
        """Each receiver's relay route with the targets monitoring.yaml gives it; one
        ConfigError listing every receiver that would reach nobody."""
        relay, path = self.config.relay, self.config.path
        hb = self.routing.heartbeat.receiver
        names = {rc.name: rc for rc in self.routing.receivers}
        for name in relay.receivers:
            if name == hb:
                raise ConfigError(f"{path}: relay.receivers.{name}: the heartbeat's receiver is never delivered to a "
                                  "person; relay.heartbeat.targets says who hears that the pipeline is broken")
            if name not in names:
                raise ConfigError(f"{path}: relay.receivers.{name}: unknown receiver "
                                  f"(known: {', '.join(n for n in names if n != hb)})")
        routes, missing = [], []
        for rc in self.routing.receivers:
            if rc.name == hb:
                continue
            if rc.name in relay.receivers:
                routes.append(RelayRoute(rc.name, relay.receivers[rc.name], f"relay.receivers.{rc.name}"))
            elif relay.default_targets:
                routes.append(RelayRoute(rc.name, relay.default_targets, "relay.default_targets"))
            else:
                missing.append(f"  receiver {rc.name} ({rc.source}) would post to /alerts/{rc.name}, "
                               f"which has no targets: set relay.receivers.{rc.name} or relay.default_targets")
        if missing:
            raise ConfigError(f"{path}: relay: {len(missing)} receiver{'s' if len(missing) > 1 else ''} would reach "
                              "no chat target and their alerts would be lost:\n" + "\n".join(missing))
        return routes

    # -- the tree ---------------------------------------------------------------------
    def _selection(self, route: Route) -> list[Matcher]:
        names: list[str] = []
        for module in route.modules:
            if module not in self.modules:
                raise RoutingError(f"{route.source}: route {route.label}: unknown catalog module {module!r} "
                                   f"(known: {', '.join(sorted(self.modules))})")
            names += self.modules[module]
        for group in route.groups:
            if group not in self.groups:
                raise RoutingError(f"{route.source}: route {route.label}: unknown rule group {group!r} "
                                   f"(known: {', '.join(sorted(self.groups))})")
            names += self.groups[group]
        if not (route.modules or route.groups):
            return []
        # the heartbeat has its own first route; listing it here would only mislead a reader
        return [Matcher("alertname", "=~", _alternation(n for n in names if n != self.routing.heartbeat.alert))]

    def _group_by(self, labels: list[str]) -> list[str]:
        if self.cluster and "..." not in labels and self.cluster not in labels:
            return [*labels, self.cluster]
        return list(labels)

    def route(self, route: Route, parent: RRoute | None, profiles, receivers: set[str]) -> RRoute:
        where = f"{route.source}: route {route.label}"
        receiver = route.receiver or (parent.receiver if parent else None)
        if receiver is None:
            raise RoutingError(f"{where}: the root route needs a receiver")
        if receiver not in receivers:
            raise RoutingError(f"{where}: unknown receiver {receiver!r} (known: {', '.join(sorted(receivers))})")
        if route.timing is not None and route.timing not in profiles:
            raise RoutingError(f"{where}: unknown timing {route.timing!r} (known: {', '.join(sorted(profiles))})")
        if parent is None:
            if route.matchers or route.modules or route.groups or route.continue_:
                raise RoutingError(f"{where}: the root route takes every alert: no matchers, modules, groups or continue")
            if route.timing is None:
                raise RoutingError(f"{where}: the root route needs a timing")
        timing = dict(parent.timing) if parent else {}
        explicit: dict = {"receiver": receiver}
        group_by = parent.group_by if parent else []
        if route.group_by is not None:
            group_by = self._group_by(route.group_by)
            explicit["group_by"] = group_by
        elif parent is None:
            group_by = self._group_by([])
            if group_by:
                explicit["group_by"] = group_by
        if route.timing is not None:
            timing.update(profiles[route.timing])
            explicit.update({f: profiles[route.timing][f] for f in TIMING_FIELDS})
        matchers = [*route.parsed, *self._selection(route)]
        node = RRoute(route.label, receiver, matchers, group_by, timing, explicit, route.continue_, [], route.source)
        node.routes = [self.route(child, node, profiles, receivers) for child in route.routes]
        return node

    def heartbeat_route(self, profiles, receivers: set[str]) -> Route:
        hb = self.routing.heartbeat
        where = f"{hb.source}: heartbeat"
        if hb.alert not in self.catalog_alerts:
            raise RoutingError(f"{where}: no alert {hb.alert!r} in the catalog")
        if hb.alert not in self.by_name:
            raise RoutingError(f"{where}: alert {hb.alert!r} is disabled in {self.config.path}: "
                               "without it nobody notices a broken pipeline")
        if hb.receiver not in receivers:
            raise RoutingError(f"{where}: unknown receiver {hb.receiver!r}")
        if hb.timing not in profiles:
            raise RoutingError(f"{where}: unknown timing {hb.timing!r} (known: {', '.join(sorted(profiles))})")
        return Route(receiver=hb.receiver, matchers=[f'alertname="{hb.alert}"'], group_by=["alertname"],
                     timing=hb.timing, name="heartbeat", source=hb.source)

    # -- inhibitions --------------------------------------------------------------------
    def _equal(self, labels: list[str]) -> list[str]:
        if self.cluster and self.cluster not in labels:
            return [*labels, self.cluster]
        return list(labels)

    def _carried(self, a: AlertRule, b: AlertRule, fallback: list[str]) -> list[str]:
        """Labels naming the object both alerts are about."""
        la, lb = a.analysis.labels, b.analysis.labels
        if la is None or lb is None:
            return []
        if la.exact is not None and lb.exact is not None:
            return sorted(la.exact & lb.exact)
        return [label for label in fallback if la.can_have(label) and lb.can_have(label)]

    def twins(self) -> list[RInhibit]:
        ct = self.routing.critical_twins
        if ct is None:
            return []
        pairs: dict[str, str] = {}
        for name in self.by_name:
            if ct.suffix and name.endswith(ct.suffix) and name[: -len(ct.suffix)] in self.by_name:
                pairs[name] = name[: -len(ct.suffix)]
        for critical, warning in ct.pairs.items():
            for name in (critical, warning):
                if name not in self.catalog_alerts:
                    raise RoutingError(f"{ct.origin}: critical_twins: no alert {name!r} in the catalog")
            if critical in self.by_name and warning in self.by_name:
                pairs[critical] = warning
        out = []
        for critical, warning in sorted(pairs.items()):
            equal = self._equal(self._carried(self.by_name[critical], self.by_name[warning], ct.object_labels))
            out.append(RInhibit(
                source=[Matcher("alertname", "=", critical), Matcher("severity", "=", "critical")],
                target=[Matcher("alertname", "=", warning), Matcher("severity", "=", "warning")],
                equal=equal,
                why=f"{critical} fires for the same object: its warning twin {warning} adds nothing",
                origin=str(ct.origin)))
        return out

    def node_down(self) -> list[RInhibit]:
        nd = self.routing.node_down
        if nd is None:
            return []
        for name in nd.alerts:
            if name not in self.catalog_alerts:
                raise RoutingError(f"{nd.origin}: node_down: no alert {name!r} in the catalog")
        sources = [n for n in nd.alerts if n in self.by_name]
        targets = []
        for module in nd.modules:
            if module not in self.modules:
                raise RoutingError(f"{nd.origin}: node_down: unknown catalog module {module!r} "
                                   f"(known: {', '.join(sorted(self.modules))})")
            for name in self.modules[module]:
                labels = self.by_name[name].analysis.labels
                if labels is not None and labels.can_have(nd.node_label):
                    targets.append(name)
        if not sources or not targets:
            return []
        return [RInhibit(
            source=[Matcher("alertname", "=~", _alternation(sources))],
            target=[Matcher("alertname", "=~", _alternation(targets)), Matcher(nd.node_label, "=~", ".+")],
            equal=self._equal([nd.node_label]),
            why=f"the node is down ({', '.join(sorted(sources))}): alerts about its pods follow from it",
            origin=str(nd.origin))]

    def explicit_inhibits(self) -> list[RInhibit]:
        return [RInhibit(list(i.source_parsed), list(i.target_parsed), self._equal(i.equal),
                         i.why or f"{', '.join(i.source)} silences {', '.join(i.target)}", str(i.origin))
                for i in self.routing.inhibit]

    # -- checks ---------------------------------------------------------------------------
    def check_heartbeat(self, resolved: Resolved) -> None:
        hb = self.routing.heartbeat
        labels = alert_labels(self.by_name[hb.alert])
        got = resolved.receivers_for(labels)
        if got != [hb.receiver]:
            raise RoutingError(f"{hb.source}: heartbeat {hb.alert} reaches {got}, not only {hb.receiver!r}")
        for node in resolved.route.walk():
            if node.receiver == hb.receiver and node.label != "heartbeat":
                raise RoutingError(f"{node.source}: route {node.label}: receiver {hb.receiver!r} is the heartbeat's "
                                   f"alone (the relay treats what arrives there as {hb.alert})")
        for inh in resolved.inhibits:
            for side, matchers in (("source", inh.source), ("target", inh.target)):
                if all(m.matches(labels) for m in matchers):
                    raise RoutingError(f"{inh.origin}: inhibit {side} matches the heartbeat {hb.alert}: "
                                       f"{'it would silence it' if side == 'target' else 'it would always inhibit'}")

    def check_timings(self, profiles) -> None:
        for name, t in profiles.items():
            for f in ("group_interval", "repeat_interval"):
                if parse_duration(t[f]) <= 0:
                    raise RoutingError(f"{self.routing.timings[name].source}: timing {name}: {f} must be more than 0")

    def check_cases(self, receivers: set[str]) -> None:
        for case in self.routing.cases:
            for r in case.receivers:
                if r not in receivers:
                    raise RoutingError(f"{case.source}: case {case.name!r}: unknown receiver {r!r}")
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in case.labels.items()):
                raise RoutingError(f"{case.source}: case {case.name!r}: labels must map strings to strings")

    def resolve(self) -> Resolved:
        profiles = self.timings()
        self.check_timings(profiles)
        receivers = self.receivers()
        names = {r.name for r in receivers}
        root = self.routing.route
        heartbeat = self.heartbeat_route(profiles, names)
        tree = Route(receiver=root.receiver, group_by=root.group_by, timing=root.timing, routes=[heartbeat, *root.routes],
                     name=root.name or "root", source=root.source)
        resolved = Resolved(receivers, self.route(tree, None, profiles, names),
                            [*self.explicit_inhibits(), *self.twins(), *self.node_down()],
                            list(self.routing.cases), self.routing.heartbeat, self.settings, self.alerts)
        self.check_heartbeat(resolved)
        used = {n.receiver for n in resolved.route.walk()}
        for rc in self.routing.receivers:
            if rc.name not in used:
                raise RoutingError(f"{rc.source}: receiver {rc.name!r} is not used by any route")
        self.check_cases(names)
        resolved.relay_routes = self.relay_routes()
        return resolved


def resolve_routing(routing: Routing, rule_files: list[RuleFile], config: Config,
                    catalog_modules) -> Resolved:
    """`rule_files`: the built (enabled) rules; `catalog_modules`: every definition, to tell a
    disabled alert from a misspelt one."""
    catalog_alerts = {r.name for m in catalog_modules for g in m.groups for r in g.rules if isinstance(r, Alert)}
    return _Resolver(routing, rule_files, config, catalog_alerts, catalog_modules).resolve()
