"""The resolved model: the rules a build compiles, with every placeholder filled and every
setting applied, and each rule's PromQL analysis attached. Stages below the build (lint,
dashboards, routing, output) read these; gen.rules.resolve makes them."""

from __future__ import annotations

from dataclasses import dataclass, field

from gen.core.model import Alert, Case, Duration, ParamValue, Record, Source
from gen.core.promql import Analysis


@dataclass
class AlertRule:
    name: str
    expr: str
    for_: str
    keep_firing_for: str | None
    labels: dict[str, str]
    annotations: dict[str, str]
    params: dict[str, ParamValue]
    origins: dict[str, str]  # "labels.x"/"annotations.y" set by the config -> "file: dotted.key"
    definition: Alert
    group: str
    module: str
    # The team's cases for this alert (a rules module's `cases = {name: [...]}`), written
    # against the team's monitoring.yaml.
    team_cases: list[Case] = field(default_factory=list)
    # The settings replaced the expression or added a condition: the catalog's cases do not
    # describe this rule, the team's must.
    catalog_cases_hold: bool = True
    # The expression's analysis (metrics read, result labels), attached by gen.build.analyze_rules.
    analysis: Analysis | None = field(default=None, compare=False, repr=False)

    @property
    def cases(self) -> list[Case]:
        """The cases that prove the rule as compiled with these settings."""
        return (list(self.definition.cases) if self.catalog_cases_hold else []) + self.team_cases

    def where(self, field: str | None = None) -> str:
        """The config key that set `field`, else the definition's file:line."""
        return self.origins.get(field, str(self.source)) if field else str(self.source)

    @property
    def source(self) -> Source:
        return self.definition.source

    @property
    def what(self) -> str:
        return f"alert {self.name}"


@dataclass
class RecordingRule:
    name: str
    expr: str
    labels: dict[str, str]
    definition: Record
    group: str
    module: str
    analysis: Analysis | None = field(default=None, compare=False, repr=False)  # see AlertRule

    def where(self, field: str | None = None) -> str:
        return str(self.source)

    @property
    def source(self) -> Source:
        return self.definition.source

    @property
    def what(self) -> str:
        return f"recording rule {self.name}"


@dataclass
class RuleGroup:
    name: str
    interval: str | None
    rules: list[AlertRule | RecordingRule]
    source: Source


@dataclass
class RuleFile:
    """One catalog module, resolved: one plain rule file and one PrometheusRule."""

    name: str
    source_file: str
    groups: list[RuleGroup] = field(default_factory=list)


def rules_of(rule_files: list[RuleFile]):
    """Every resolved rule, file by file and group by group."""
    for rf in rule_files:
        for group in rf.groups:
            yield from group.rules


def alert_params(rule_files: list[RuleFile]) -> dict[str, dict[str, ParamValue]]:
    """Each enabled alert's parameters as monitoring.yaml resolved them."""
    return {r.name: r.params for r in rules_of(rule_files) if isinstance(r, AlertRule)}


def format_value(value: ParamValue) -> str:
    """A parameter as it appears in PromQL: integers without a decimal point."""
    if isinstance(value, Duration):
        return value.text
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
