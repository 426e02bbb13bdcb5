"""Catalog definitions + configuration -> concrete rules (placeholders filled, overrides applied).

`${name}` in an expression, annotation or test series is replaced by the alert's parameter
of that name (as overridden in the config) or else by the selector of that name. Every name
the config mentions must exist in the catalog.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

from gen.config import ALERT_KEYS, AlertOverride, Config
from gen.core.catalog import Catalog
from gen.core.errors import ConfigError, DefinitionError, PromQLError
from gen.core.model import Alert, Duration, Group, Module, ParamValue, Record
from gen.core.placeholders import PLACEHOLDER, normalize_expr, promql_string, substitute, substitute_expr
from gen.core.resolved import AlertRule, RecordingRule, RuleFile, RuleGroup, format_value
from gen.rules import thresholds as per_label
from gen.rules.multicluster import keep_label


def _coerce_param(alert: Alert, key: str, default: ParamValue, value: Any, config_path: str) -> ParamValue:
    where = f"{config_path}: alerts.{alert.name}.{key}"
    if isinstance(default, Duration):
        if not isinstance(value, str):
            raise ConfigError(f"{where}: must be a duration such as 5m, not {value!r}")
        try:
            return Duration(value)
        except DefinitionError:
            raise ConfigError(f"{where}: {value!r} is not a duration (expected e.g. 30s, 5m, 1h30m)") from None
    if isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: must be a number, not {value!r}")
        return value
    if not isinstance(value, str):
        raise ConfigError(f"{where}: must be a string, not {value!r}")
    return value


def _check_selector(path: str, name: str, text: str) -> None:
    """A selector from the config is label matchers (`job="kube-state-metrics"`); checked here
    once, so a typo is one error at its key, not a parse error in every alert that uses it."""
    from gen.core.promql import parse

    if not text.strip():
        return  # an empty selector is allowed: the expressions lose that matcher
    try:
        parse(f"up{{{text}}}")
    except PromQLError as exc:
        raise ConfigError(f"{path}: selectors.{name}: {text!r} is not a list of label matchers like "
                          f'job="kube-state-metrics", namespace=~"kube-system|monitoring": {exc}') from None


_TOKEN = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def _recorded_reads(rules: list) -> dict[int, set[str]]:
    """id of each rule -> the recorded series (of `rules`' recording rules) its expression names;
    by tokens, so a catalog of thousands of rules costs one pass over their text."""
    recorded = {r.record for r in rules if isinstance(r, Record)}
    return {id(r): (set(_TOKEN.findall(r.expr)) & recorded) - {r.name} for r in rules}


def component_reads(catalog: Catalog) -> dict[str, set[str]]:
    """Each alert's and recording rule's name -> the selectors (exporters, components) it reads:
    their placeholders in its expression (`${etcd}`; not a parameter of that name), and those of
    the recording rules whose series it reads, however deep."""
    rules = [r for m in catalog.modules for g in m.groups for r in g.rules]
    reads: dict[str, set[str]] = {r.name: set() for r in rules}  # several rules may record one series
    for rule in rules:
        reads[rule.name] |= (set(PLACEHOLDER.findall(rule.expr)) - set(getattr(rule, "params", {}))) & set(catalog.selectors)
    series = _recorded_reads(rules)
    changed = True
    while changed:
        changed = False
        for rule in rules:
            via = set().union(*(reads[name] for name in series[id(rule)]))
            if not via <= reads[rule.name]:
                reads[rule.name] |= via
                changed = True
    return reads


def platform_off(catalog: Catalog, config: Config, platform: str | None = None,
                 reads: dict[str, set[str]] | None = None) -> dict[str, tuple[str, ...]]:
    """The rules `platform` (default: the configured one) turns off -> the hidden components they
    read (`reads`: component_reads(catalog), when the caller has it already).

    Off: the rules that read hidden components only (component_reads). One that reads visible
    ones too (`... or` over every component, as KubeClientErrors) still works there and stays on.
    An alert is off unless monitoring.yaml sets `alerts.<Name>.disabled: false`; a recording
    rule is off unless a rule that stays on reads its series."""
    name = config.platform if platform is None else platform
    if name not in catalog.platforms:
        if name == Config.platform:
            return {}  # the default means "nothing hidden", whether or not the catalog describes it
        known = ", ".join(sorted({Config.platform, *catalog.platforms}))
        raise ConfigError(f"{config.path}: platform: unknown platform {name!r} (known: {known})")
    hidden = set(catalog.platforms[name].hidden)
    if not hidden:
        return {}
    reads = component_reads(catalog) if reads is None else reads
    rules = [r for m in catalog.modules for g in m.groups for r in g.rules]

    def disabled(rule) -> bool | None:
        return getattr(config.alerts.get(rule.name), "disabled", None) if isinstance(rule, Alert) else None

    blind = {r.name for r in rules if reads[r.name] and reads[r.name] <= hidden}
    on = [r for r in rules if disabled(r) is not True and (r.name not in blind or disabled(r) is False)]
    series = _recorded_reads(rules)
    kept = {r.name for r in on}
    new = (set().union(*(series[id(r)] for r in on)) & blind) - kept
    while new:  # a recording rule that something on reads stays on, and so does what it reads
        kept |= new
        new = (set().union(*(series[id(r)] for r in rules if r.name in new)) & blind) - kept
    order = catalog.platforms[name].hidden
    return {r.name: tuple(h for h in order if h in reads[r.name]) for r in rules if r.name in blind - kept}


class Resolver:
    def __init__(self, catalog: Catalog, config: Config):
        self.catalog = catalog
        self.config = config
        self.off = platform_off(catalog, config)
        unknown = sorted(set(config.selectors) - set(catalog.selectors))
        if unknown:
            raise ConfigError(
                f"{config.path}: selectors.{unknown[0]}: unknown selector "
                f"(known: {', '.join(sorted(catalog.selectors))})"
            )
        for name, text in sorted(config.selectors.items()):
            _check_selector(config.path, name, text)
        self.selectors = catalog.selectors_with(config.selectors)

    def check_names(self) -> None:
        """Every alert and group the config names must exist in the catalog."""
        alerts = {r.name for m in self.catalog.modules for g in m.groups for r in g.rules if isinstance(r, Alert)}
        groups = {g.name for m in self.catalog.modules for g in m.groups}
        for name in self.config.alerts:
            if name not in alerts:
                hint = _closest(name, alerts)
                raise ConfigError(f"{self.config.path}: alerts.{name}: no alert of that name in the catalog{hint}")
        for name in self.config.groups:
            if name not in groups:
                hint = _closest(name, groups)
                raise ConfigError(f"{self.config.path}: groups.{name}: no rule group of that name in the catalog{hint}")

    def params(self, alert: Alert) -> dict[str, ParamValue]:
        override = self.config.alerts.get(alert.name)
        values = dict(alert.params)
        if override:
            for key, value in override.params.items():
                if key not in alert.params:
                    known = ", ".join([*ALERT_KEYS, *sorted(alert.params)])
                    raise ConfigError(f"{self.config.path}: alerts.{alert.name}.{key}: unknown key (known: {known})")
                values[key] = _coerce_param(alert, key, alert.params[key], value, self.config.path)
        return values

    def placeholder_values(self, params: dict[str, ParamValue], namespaced: bool = False) -> dict[str, str]:
        selectors = self.selectors
        scope = self.config.namespace_scope
        if namespaced and scope is not None:
            matcher = f'namespace=~"{promql_string(scope)}"'
            selectors = {k: f"{v}, {matcher}" if v.strip() else matcher for k, v in selectors.items()}
        return {**selectors, **{k: format_value(v) for k, v in params.items()}}

    def expression(self, text: str, values: dict[str, str], where: str) -> str:
        expr = normalize_expr(substitute_expr(text, values, where))
        if self.config.multi_cluster.enabled:
            expr = keep_label(expr, self.config.multi_cluster.label)
        return expr

    def alert(self, alert: Alert, group: Group, module: Module) -> list[AlertRule | RecordingRule]:
        """The alert's rule, after the recording rules its per-label thresholds need; none
        when the settings disable it."""
        override = self.config.alerts.get(alert.name)
        params = self.params(alert)
        if (override and override.disabled) or alert.name in self.off:
            return []
        where = f"{alert.source}: alert {alert.name}"
        values = self.placeholder_values(params, alert.namespaced)
        cfg_alert = f"{self.config.path}: alerts.{alert.name}"
        template = override.expr if override and override.expr else alert.expr
        records: list[RecordingRule] = []
        annotation_values = values
        if override and override.thresholds:
            records, template, annotation_values = self.thresholds(alert, override, template, values, group, module)
        if override and (override.and_ or override.unless):
            template = _with_conditions(template, override)
        team_cases = self.catalog.cases.get(alert.name, [])
        catalog_cases_hold = not (override and (override.expr or override.and_))
        if not catalog_cases_hold and not team_cases:
            key = "expr" if override.expr else "and"
            raise ConfigError(f"{cfg_alert}.{key}: the catalog's cases do not prove the changed expression: give "
                              f"your own in a module of your rules folder: cases = {{{alert.name!r}: [Case(...), ...]}} "
                              "(at least one where it fires and one where it does not)")
        group_cfg = self.config.groups.get(group.name)

        # origins: "labels.x" / "annotations.y" -> the config key that set it, for error messages
        origins: dict[str, str] = {}
        cfg_group = f"{self.config.path}: groups.{group.name}"
        # Precedence, lowest first: the catalog, the group's config, the alert's config.
        labels: dict[str, str] = dict(alert.labels)
        if alert.severity is not None:
            labels["severity"] = alert.severity
        if group_cfg:
            labels.update(group_cfg.labels)
            origins.update({f"labels.{k}": f"{cfg_group}.labels.{k}" for k in group_cfg.labels})
        if override and override.severity:
            labels["severity"] = override.severity
            origins["labels.severity"] = f"{cfg_alert}.severity"
        if override:
            labels.update(override.labels)
            origins.update({f"labels.{k}": f"{cfg_alert}.labels.{k}" for k in override.labels})

        annotations: dict[str, str] = {}
        if alert.summary is not None:
            annotations["summary"] = alert.summary
        if alert.description is not None:
            annotations["description"] = alert.description
        base = self.config.runbook_url_base
        if module.upstream and self.config.sources.upstream_runbook_url_base:
            base = self.config.sources.upstream_runbook_url_base  # the toolkit's runbooks, not the team's
        annotations["runbook_url"] = alert.runbook_url or f"{base}/{alert.name}.md"
        # dashboard_url is added once the dashboards are known (gen.dash.build.link_alerts)
        annotations.update(alert.annotations)
        if group_cfg:
            annotations.update(group_cfg.annotations)
            origins.update({f"annotations.{k}": f"{cfg_group}.annotations.{k}" for k in group_cfg.annotations})
        if override:
            annotations.update(override.annotations)
            origins.update({f"annotations.{k}": f"{cfg_alert}.annotations.{k}" for k in override.annotations})
        annotations = {k: substitute(normalize_expr(v), annotation_values, f"{where}: annotation {k}")
                       for k, v in annotations.items()}
        if override and override.keep_firing_for:
            origins["keep_firing_for"] = f"{cfg_alert}.keep_firing_for"
        if override and override.changes_expression:
            origins["expr"] = cfg_alert
            where = f"{cfg_alert} (alert {alert.name} at {alert.source})"

        return [*records, AlertRule(
            name=alert.name,
            expr=self.expression(template, values, where),
            for_=(override.for_ if override and override.for_ else alert.for_),
            keep_firing_for=(override.keep_firing_for if override and override.keep_firing_for else alert.keep_firing_for),
            labels=dict(sorted(labels.items())),
            annotations=dict(sorted(annotations.items())),
            params=params,
            origins=origins,
            definition=alert,
            group=group.name,
            module=module.name,
            team_cases=list(team_cases),
            catalog_cases_hold=catalog_cases_hold,
        )]

    def thresholds(self, alert: Alert, override: AlertOverride, template: str, values: dict[str, str],
                   group: Group, module: Module) -> tuple[list["RecordingRule"], str, dict[str, str]]:
        """The recording rules, expression template and annotation values of an alert with
        per-label thresholds (gen.rules.thresholds)."""
        entries = override.thresholds
        key = entries[0].key.rsplit("[", 1)[0]
        param = entries[0].param
        if param not in alert.params or isinstance(alert.params[param], (str, Duration)):
            numeric = sorted(k for k, v in alert.params.items() if isinstance(v, (int, float)))
            raise ConfigError(f"{entries[0].key}.{param}: not a numeric parameter of alert {alert.name} "
                              f"(its numeric parameters: {', '.join(numeric) or 'none'})")
        cut = per_label.split(template, param, key)
        self._check_threshold_labels(alert, cut, values, entries, key)
        labels = per_label.labels_of(entries)
        keys, threshold = per_label.record_names(alert.name, labels)
        default = values[param]
        where = f"{key} (alert {alert.name} at {alert.source})"
        records = [
            RecordingRule(name, self.expression(text, values, where), {},
                          Record(name, text, source=alert.source), group.name, module.name)
            for name, text in ((keys, per_label.keys_expr(cut, labels)),
                               (threshold, per_label.threshold_expr(keys, entries, default, format_value)))
        ]
        annotation_values = {**values, param: per_label.annotation_value(entries, default, format_value)}
        return records, per_label.alert_expr(cut, labels, threshold), annotation_values

    def _check_threshold_labels(self, alert: Alert, cut: "per_label.Split", values: dict[str, str],
                                entries, key: str) -> None:
        """The comparison is the expression's last step, and the labels matched are ones its
        left-hand side can carry (else no series could match: a silent no-op)."""
        from gen.core.promql import COMPARISONS, analyze, parse

        whole = parse(self.expression(f"{cut.lhs} {cut.op} 0", values, key))
        if type(whole).__name__ != "BinaryExpr" or str(whole.op) not in COMPARISONS:
            raise ConfigError(f"{key}: alert {alert.name}: `{cut.op} ${{{cut.param}}}` is not the expression's last "
                              "step (an and/or/unless follows it): per-label values cannot apply")
        result = analyze(self.expression(cut.lhs, values, key)).labels
        for entry in entries:
            for label in entry.match:
                if result is not None and not result.can_have(label):
                    have = ", ".join(sorted(result.exact)) if result.exact is not None else "its input labels"
                    raise ConfigError(f"{entry.key}.match.{label}: alert {alert.name}'s result has no label "
                                      f"{label!r} (it has {have})")

    def record(self, record: Record, group: Group, module: Module) -> RecordingRule:
        where = f"{record.source}: recording rule {record.record}"
        return RecordingRule(
            name=record.record,
            expr=self.expression(record.expr, dict(self.selectors), where),
            labels=dict(sorted(record.labels.items())),
            definition=record,
            group=group.name,
            module=module.name,
        )

    def resolve(self) -> list[RuleFile]:
        self.check_names()
        files = []
        for module in self.catalog.modules:
            rule_file = RuleFile(name=module.name, source_file=module.file)
            for group in module.groups:
                rules: list[AlertRule | RecordingRule] = []
                for rule in group.rules:
                    if isinstance(rule, Alert):
                        rules += self.alert(rule, group, module)
                    elif rule.record not in self.off:
                        rules.append(self.record(rule, group, module))
                group_cfg = self.config.groups.get(group.name)
                interval = group_cfg.interval if group_cfg and group_cfg.interval else group.interval
                if rules:
                    rule_file.groups.append(RuleGroup(group.name, interval, rules, group.source))
            if rule_file.groups:
                files.append(rule_file)
        return files


def _with_conditions(template: str, override: AlertOverride) -> str:
    """`(expr) and <cond> unless <cond>`: the team's condition and exception around the
    expression, parenthesised so an `or` in it keeps its meaning."""
    text = f"(\n{textwrap.indent(normalize_expr(template), '  ')}\n)"
    if override.and_:
        text += f"\nand {normalize_expr(override.and_)}"
    if override.unless:
        text += f"\nunless {normalize_expr(override.unless)}"
    return text


def _closest(name: str, known: set[str]) -> str:
    import difflib

    match = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean {match[0]}?)" if match else ""


def resolve(catalog: Catalog, config: Config) -> list[RuleFile]:
    return Resolver(catalog, config).resolve()
