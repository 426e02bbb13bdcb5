"""A catalog as loaded: its modules' definitions, the exporters' default selectors, the
platforms, and the cases written for alerts of other modules (gen.rules.loader reads it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from gen.core.model import Alert, Case, Module, Platform


@dataclass
class Catalog:
    modules: list[Module]
    selectors: dict[str, str]
    replicated: tuple[str, ...] = ()  # selector names of exporters commonly run as several replicas
    folders: tuple[str, ...] = ()  # where it was read, upstream first
    platforms: dict[str, Platform] = field(default_factory=dict)  # name -> what monitoring.yaml's `platform:` hides
    cases: dict[str, list[Case]] = field(default_factory=dict)  # modules' `cases`: alert name -> cases

    def alert_names(self) -> set[str]:
        return {r.name for m in self.modules for g in m.groups for r in g.rules if isinstance(r, Alert)}

    def selectors_with(self, overrides: dict[str, str]) -> dict[str, str]:
        """Each exporter's selector as the expressions get it: the catalog's unless `overrides`
        (monitoring.yaml's `selectors:`) sets it."""
        return {**self.selectors, **overrides}
