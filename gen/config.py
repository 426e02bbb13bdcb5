"""The file users edit (monitoring.yaml): loaded, type-checked, every error naming its key.

Structure only is checked here; whether an alert, group, selector or parameter named in the
file exists in the catalog is checked in gen.rules.resolve, which knows the catalog.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from common.durations import parse_duration
from common.errors import ConfigError
from common.settings import Reader, kind_of, read_yaml
from gen.core.engines import DEFAULT as DEFAULT_ENGINE, ENGINES
from gen.core.model import SEVERITIES
from gen.relay_settings import K8S_NAME as _K8S_NAME, PLACEHOLDER_IMAGE, RelaySettings, parse_relay

# Keys an alert's entry may hold besides the alert's own parameters.
ALERT_KEYS = ("disabled", "severity", "for", "keep_firing_for", "labels", "annotations",
              "expr", "and", "unless", "thresholds")


@dataclass
class Threshold:
    """One entry of `alerts.<name>.thresholds`: the value `param` takes for the series whose
    labels fully match every regular expression in `match` (first matching entry wins)."""

    match: dict[str, str]
    param: str
    value: float
    key: str  # "monitoring.yaml: alerts.X.thresholds[0]", for errors


@dataclass
class AlertOverride:
    disabled: bool | None = None  # None: unset, so the platform's default holds (gen.rules.resolve.platform_off)
    severity: str | None = None
    for_: str | None = None
    keep_firing_for: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    expr: str | None = None  # replaces the alert's expression (the team's cases then prove it)
    and_: str | None = None  # `<expr> and <this>`: an extra condition
    unless: str | None = None  # `<expr> unless <this>`: an exception
    thresholds: list[Threshold] = field(default_factory=list)

    @property
    def changes_expression(self) -> bool:
        """The alert's expression is not the catalog's any more (beyond its parameters)."""
        return bool(self.expr or self.and_ or self.unless or self.thresholds)


@dataclass
class GroupOverride:
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    interval: str | None = None


@dataclass
class RuleMetadata:
    """metadata of the generated PrometheusRule objects."""

    namespace: str = "monitoring"
    name_prefix: str = "k8s-alerts"
    labels: dict[str, str] = field(default_factory=lambda: {"prometheus": "k8s", "role": "alert-rules"})
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass
class MultiCluster:
    """Several clusters in one Prometheus: every aggregation keeps `label`."""

    enabled: bool = False
    label: str = "cluster"


@dataclass
class DashboardOutput:
    """How built dashboards are packaged for Grafana's sidecar and grafana-operator."""

    namespace: str = "monitoring"
    configmap_labels: dict[str, str] = field(default_factory=lambda: {"grafana_dashboard": "1"})
    folder_annotation: str = "grafana_folder"  # the sidecar's folderAnnotation setting
    folder: str = "Kubernetes"
    grafana_operator: bool = False  # also write GrafanaDashboard resources
    operator_instance_labels: dict[str, str] = field(default_factory=lambda: {"dashboards": "grafana"})
    disabled: list[str] = field(default_factory=list)  # dashboard uids not to build


@dataclass
class AlertmanagerSettings:
    """What the generated Alertmanager configuration needs from this team (see gen.routing)."""

    relay_url: str | None = None  # the relay's base URL, no /alerts; default: the relay's Service (Config.relay_url)
    token_secret_name: str = "alert-relay-secrets"  # Secret holding the relay's bearer token (and its chat secrets)
    token_secret_key: str = "RELAY_BEARER_TOKEN"
    credentials_file: str | None = None  # default: where the operator mounts that Secret
    timings: dict[str, dict[str, str]] = field(default_factory=dict)  # profile -> field -> duration
    resolve_timeout: str = "5m"
    namespace: str = "monitoring"  # of the AlertmanagerConfig resource
    name: str = "k8s-alert-routing"
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def token_file(self) -> str:
        """prometheus-operator mounts the Alertmanager resource's spec.secrets here."""
        return self.credentials_file or f"/etc/alertmanager/secrets/{self.token_secret_name}/{self.token_secret_key}"


@dataclass
class SourceSettings:
    """Where the catalogs are (gen.sources resolves these against the settings file's folder).

    None means "the default": the folder of that name beside the settings file when it exists."""

    upstream: bool = True  # build the toolkit's own catalog (gen.upstream) with the team's
    rules: list[str] | None = None
    dashboards: list[str] | None = None
    routing: str | None = None  # a routing module's file; "upstream" for the toolkit's
    upstream_runbook_url_base: str | None = None  # where upstream alerts' runbooks are read; default runbook_url_base


SOURCE_KEYS = ("upstream", "rules", "dashboards", "routing", "upstream_runbook_url_base")


# The relay's Service, as gen.render.relay writes it.
RELAY_NAME = "alert-relay"
RELAY_PORT = 9095
# Defaults that are examples, not places: the build warns while they are in use.
EXAMPLES = {"runbook_url_base": "https://github.com/your-org/monitoring/blob/main/docs/runbooks",
            "grafana_url": "https://grafana.example.com"}


@dataclass
class Config:
    scrape_interval: str = "30s"
    min_rate_intervals: int = 4
    runbook_url_base: str = EXAMPLES["runbook_url_base"]
    grafana_url: str = EXAMPLES["grafana_url"]
    selectors: dict[str, str] = field(default_factory=dict)
    namespace_scope: str | None = None  # regex; namespaced alerts only watch matching namespaces
    multi_cluster: MultiCluster = field(default_factory=MultiCluster)
    prometheus_rule: RuleMetadata = field(default_factory=RuleMetadata)
    dashboards: DashboardOutput = field(default_factory=DashboardOutput)
    alertmanager: AlertmanagerSettings = field(default_factory=AlertmanagerSettings)
    relay: RelaySettings = field(default_factory=RelaySettings)
    groups: dict[str, GroupOverride] = field(default_factory=dict)
    alerts: dict[str, AlertOverride] = field(default_factory=dict)
    sources: SourceSettings = field(default_factory=SourceSettings)
    platform: str = "self-managed"  # a name of the catalog's PLATFORMS, checked in gen.rules.resolve
    rule_engine: str = DEFAULT_ENGINE  # what evaluates the rules: a name of gen.core.engines.ENGINES
    path: str = "<defaults>"

    @property
    def scrape_interval_seconds(self) -> float:
        return parse_duration(self.scrape_interval)

    @property
    def relay_namespace(self) -> str:
        return self.relay.namespace or self.prometheus_rule.namespace

    @property
    def relay_url(self) -> str:
        """Where Alertmanager reaches the relay: monitoring.yaml's, else the Service out/relay/ deploys."""
        return self.alertmanager.relay_url or f"http://{RELAY_NAME}.{self.relay_namespace}.svc:{RELAY_PORT}"

    def placeholders(self) -> list[tuple[str, str]]:
        """(key, value) of the settings still at the example values: links and an image
        that lead nowhere in a real cluster."""
        out = [(key, getattr(self, key)) for key, example in EXAMPLES.items() if getattr(self, key) == example]
        if self.relay.image.repository == PLACEHOLDER_IMAGE:
            out.append(("relay.image.repository", PLACEHOLDER_IMAGE))
        return out


TOP_KEYS = (
    "scrape_interval",
    "min_rate_intervals",
    "runbook_url_base",
    "grafana_url",
    "selectors",
    "namespace_scope",
    "multi_cluster",
    "prometheus_rule",
    "dashboards",
    "alertmanager",
    "relay",
    "groups",
    "alerts",
    "sources",
    "platform",
    "rule_engine",
)


ALERTMANAGER_KEYS = ("relay_url", "token_secret", "credentials_file", "timings", "resolve_timeout",
                     "namespace", "name", "labels")
TIMING_KEYS = ("group_wait", "group_interval", "repeat_interval")
_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?")


def _alertmanager(r: "Reader", value: Any) -> AlertmanagerSettings:
    """The `alertmanager` section; receiver and timing names are checked against the routing
    definition in gen.routing.resolve, which knows them."""
    if isinstance(value, dict) and "receivers" in value:
        raise r.fail("alertmanager.receivers", "no longer a setting: each receiver posts to the relay at "
                     "/alerts/<receiver>; name its chat targets under relay.receivers.<receiver> instead")
    data = r.mapping(value, "alertmanager", ALERTMANAGER_KEYS)
    am = AlertmanagerSettings()
    if "relay_url" in data:
        url = r.string(data["relay_url"], "alertmanager.relay_url").rstrip("/")
        if not _URL.fullmatch(url):
            raise r.fail("alertmanager.relay_url", f"{url!r} is not an http(s) URL without query "
                         "(e.g. http://alert-relay.monitoring.svc:9095)")
        if url.endswith("/alerts") or "/alerts/" in url:
            raise r.fail("alertmanager.relay_url", f"{url!r}: give the relay's base URL; /alerts/<route> is added per receiver")
        am.relay_url = url
    if "token_secret" in data:
        secret = r.mapping(data["token_secret"], "alertmanager.token_secret", ("name", "key"))
        if "name" in secret:
            am.token_secret_name = r.string(secret["name"], "alertmanager.token_secret.name")
            if not _K8S_NAME.fullmatch(am.token_secret_name):
                raise r.fail("alertmanager.token_secret.name", f"{am.token_secret_name!r} is not a Kubernetes object name")
        if "key" in secret:
            am.token_secret_key = r.string(secret["key"], "alertmanager.token_secret.key")
            if not re.fullmatch(r"[-._a-zA-Z0-9]+", am.token_secret_key):
                raise r.fail("alertmanager.token_secret.key", f"{am.token_secret_key!r} is not a Secret key")
    if data.get("credentials_file") is not None:
        am.credentials_file = r.string(data["credentials_file"], "alertmanager.credentials_file")
        if not am.credentials_file.startswith("/"):
            raise r.fail("alertmanager.credentials_file", "must be an absolute path inside the Alertmanager container")
    for profile, entry in r.mapping(data.get("timings"), "alertmanager.timings").items():
        key = f"alertmanager.timings.{profile}"
        entry = r.mapping(entry, key, TIMING_KEYS)
        am.timings[profile] = {k: r.duration(v, f"{key}.{k}") for k, v in entry.items()}
        if "group_interval" in entry and parse_duration(am.timings[profile]["group_interval"]) <= 0:
            raise r.fail(f"{key}.group_interval", "must be more than 0")
        if "repeat_interval" in entry and parse_duration(am.timings[profile]["repeat_interval"]) <= 0:
            raise r.fail(f"{key}.repeat_interval", "must be more than 0")
    if "resolve_timeout" in data:
        am.resolve_timeout = r.duration(data["resolve_timeout"], "alertmanager.resolve_timeout")
    for key in ("namespace", "name"):
        if key in data:
            text = r.string(data[key], f"alertmanager.{key}")
            if not _K8S_NAME.fullmatch(text):
                raise r.fail(f"alertmanager.{key}", f"{text!r} is not a Kubernetes object name")
            setattr(am, key, text)
    am.labels = r.string_map(data.get("labels"), "alertmanager.labels")
    return am


def _folders(r: "Reader", value: Any, key: str) -> list[str]:
    """One folder or a list of them."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) and i.strip() for i in items):
        raise r.fail(key, f"expected a folder or a list of folders (relative to this file), got {kind_of(value)}")
    return list(items)


def _sources(r: "Reader", value: Any) -> SourceSettings:
    data = r.mapping(value, "sources", SOURCE_KEYS)
    out = SourceSettings()
    if "upstream" in data:
        out.upstream = r.boolean(data["upstream"], "sources.upstream")
    for key in ("rules", "dashboards"):
        if key in data:
            setattr(out, key, _folders(r, data[key], f"sources.{key}"))
    if "routing" in data:
        out.routing = r.string(data["routing"], "sources.routing")
        if out.routing != "upstream" and not out.routing.endswith(".py"):
            raise r.fail("sources.routing", f"{out.routing!r}: name a routing module (a .py file defining "
                         "`routing`), or `upstream` for the toolkit's own")
    if "upstream_runbook_url_base" in data:
        out.upstream_runbook_url_base = r.string(data["upstream_runbook_url_base"],
                                                 "sources.upstream_runbook_url_base").rstrip("/")
    return out


DASHBOARD_KEYS = ("namespace", "configmap_labels", "folder_annotation", "folder", "grafana_operator",
                  "operator_instance_labels", "disabled")


def parse_config(data: Any, path: str = "<config>") -> Config:
    """A Config from the YAML document's data; ConfigError naming the key on any problem."""
    r = Reader(path)
    data = r.mapping(data, "", TOP_KEYS)
    cfg = Config(path=path)
    if "scrape_interval" in data:
        cfg.scrape_interval = r.duration(data["scrape_interval"], "scrape_interval")
    if "min_rate_intervals" in data:
        cfg.min_rate_intervals = r.integer(data["min_rate_intervals"], "min_rate_intervals", 1)
    for key in ("runbook_url_base", "grafana_url"):
        if key in data:
            setattr(cfg, key, r.string(data[key], key).rstrip("/"))
    cfg.selectors = r.string_map(data.get("selectors"), "selectors")
    if data.get("namespace_scope") is not None:
        cfg.namespace_scope = r.string(data["namespace_scope"], "namespace_scope")
        try:
            re.compile(cfg.namespace_scope)
        except re.error as exc:
            raise r.fail("namespace_scope", f"not a valid regular expression: {exc}") from None
    mc = r.mapping(data.get("multi_cluster"), "multi_cluster", ("enabled", "label"))
    if "enabled" in mc:
        cfg.multi_cluster.enabled = r.boolean(mc["enabled"], "multi_cluster.enabled")
    if "label" in mc:
        cfg.multi_cluster.label = r.string(mc["label"], "multi_cluster.label")
        if not re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", cfg.multi_cluster.label):
            raise r.fail("multi_cluster.label", f"{cfg.multi_cluster.label!r} is not a valid label name")

    meta = r.mapping(data.get("prometheus_rule"), "prometheus_rule", ("namespace", "name_prefix", "labels", "annotations"))
    for key in ("namespace", "name_prefix"):
        if key in meta:
            setattr(cfg.prometheus_rule, key, r.string(meta[key], f"prometheus_rule.{key}"))
    if "labels" in meta:
        cfg.prometheus_rule.labels = r.string_map(meta["labels"], "prometheus_rule.labels")
    if "annotations" in meta:
        cfg.prometheus_rule.annotations = r.string_map(meta["annotations"], "prometheus_rule.annotations")

    dash = r.mapping(data.get("dashboards"), "dashboards", DASHBOARD_KEYS)
    for key in ("namespace", "folder_annotation", "folder"):
        if key in dash:
            setattr(cfg.dashboards, key, r.string(dash[key], f"dashboards.{key}"))
    for key in ("configmap_labels", "operator_instance_labels"):
        if key in dash:
            setattr(cfg.dashboards, key, r.string_map(dash[key], f"dashboards.{key}"))
    if "grafana_operator" in dash:
        cfg.dashboards.grafana_operator = r.boolean(dash["grafana_operator"], "dashboards.grafana_operator")
    if "disabled" in dash:
        items = dash["disabled"]
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise r.fail("dashboards.disabled", f"expected a list of dashboard uids, got {kind_of(items)}")
        cfg.dashboards.disabled = list(items)

    cfg.alertmanager = _alertmanager(r, data.get("alertmanager"))
    cfg.relay = parse_relay(r, data.get("relay"))
    cfg.sources = _sources(r, data.get("sources"))
    if "platform" in data:
        cfg.platform = r.string(data["platform"], "platform")
    if "rule_engine" in data:
        cfg.rule_engine = r.string(data["rule_engine"], "rule_engine")
        if cfg.rule_engine not in ENGINES:
            raise r.fail("rule_engine", f"unknown rule engine {cfg.rule_engine!r} (choices: {', '.join(ENGINES)})")

    for name, entry in r.mapping(data.get("groups"), "groups").items():
        key = f"groups.{name}"
        entry = r.mapping(entry, key, ("labels", "annotations", "interval"))
        cfg.groups[name] = GroupOverride(
            labels=r.string_map(entry.get("labels"), f"{key}.labels"),
            annotations=r.string_map(entry.get("annotations"), f"{key}.annotations"),
            interval=r.duration(entry["interval"], f"{key}.interval") if "interval" in entry else None,
        )

    for name, entry in r.mapping(data.get("alerts"), "alerts").items():
        key = f"alerts.{name}"
        entry = r.mapping(entry, key)
        override = AlertOverride()
        for k, v in entry.items():
            sub = f"{key}.{k}"
            if k == "disabled":
                override.disabled = r.boolean(v, sub)
            elif k == "severity":
                override.severity = r.string(v, sub)
                if override.severity not in SEVERITIES:
                    raise r.fail(sub, f"unknown severity {v!r} (known: {', '.join(SEVERITIES)})")
            elif k == "for":
                override.for_ = r.duration(v, sub)
            elif k == "keep_firing_for":
                override.keep_firing_for = r.duration(v, sub)
            elif k == "labels":
                override.labels = r.string_map(v, sub)
            elif k == "annotations":
                override.annotations = r.string_map(v, sub)
            elif k in ("expr", "and", "unless"):
                text = r.string(v, sub)
                if not text.strip():
                    raise r.fail(sub, "is empty: give a PromQL expression")
                setattr(override, {"and": "and_"}.get(k, k), text)
            elif k == "thresholds":
                override.thresholds = _thresholds(r, v, sub)
            else:
                override.params[k] = v  # checked against the alert's declared parameters in resolve
        cfg.alerts[name] = override
    return cfg


def _thresholds(r: "Reader", value: Any, key: str) -> list[Threshold]:
    """`thresholds: [{match: {label: regex}, <parameter>: number}, ...]`; the parameter is
    checked against the alert in gen.rules.thresholds, which knows it."""
    if not isinstance(value, list) or not value:
        raise r.fail(key, f"expected a list of {{match: {{label: regex}}, <parameter>: number}}, got {kind_of(value)}")
    out = []
    for i, item in enumerate(value):
        sub = f"{key}[{i}]"
        item = r.mapping(item, sub)
        match = r.string_map(item.get("match"), f"{sub}.match")
        if not match:
            raise r.fail(f"{sub}.match", "give at least one label and the regular expression its value must match")
        for label, regex in match.items():
            if not re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", label):
                raise r.fail(f"{sub}.match.{label}", f"{label!r} is not a label name")
            try:
                re.compile(regex)
            except re.error as exc:
                raise r.fail(f"{sub}.match.{label}", f"{regex!r} is not a valid regular expression: {exc}") from None
        params = [k for k in item if k != "match"]
        if len(params) != 1:
            raise r.fail(sub, f"give `match` and exactly one parameter to set (e.g. threshold: 90), got {params or 'none'}")
        number = item[params[0]]
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise r.fail(f"{sub}.{params[0]}", f"must be a number, not {number!r}")
        out.append(Threshold(match, params[0], number, f"{r.path}: {sub}"))
    if len({t.param for t in out}) > 1:
        raise r.fail(key, f"every entry must set the same parameter, got {', '.join(sorted({t.param for t in out}))}")
    return out


def load_config(path: str | None) -> Config:
    """Read the YAML file at `path`; the defaults when path is None."""
    if path is None:
        return Config()
    return parse_config(read_yaml(path), path)
