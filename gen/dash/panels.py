"""Panels grafanalib 0.7.1 writes in a model current Grafana no longer reads, redone in the
current one, and threshold steps in the form the render fixes up.

grafanalib's BarGauge is Grafana 6's: unit, min, max, thresholds and the reduction sit in
`options.fieldOptions`, which Grafana 7+ migrates only for dashboards of an old
schemaVersion; with a current one the unit and thresholds are lost, and a leftover
`fieldOptions` may still be migrated over the panel's `fieldConfig`. Its Table writes the
old table's top-level `columns`, `fontSize`, `color` and `mappings`, which the dashboard
schema rejects.
"""

from __future__ import annotations

import attr
from grafanalib import core


def steps(*levels: tuple[str, float], base: str = "green") -> list[dict]:
    """Threshold steps: `base` below the first level, then (color, value) pairs."""
    return [{"color": base, "value": "null"}] + [{"color": c, "value": v} for c, v in levels]


@attr.s
class BarGauge(core.BarGauge):
    """grafanalib's BarGauge (same arguments) written in the current model; `thresholds`
    are plain steps (see `steps`), `format` is the unit, `calc` the reduction. Defaults
    changed: the last value (not the mean), no fixed max, gradient bars, green only."""

    calc = attr.ib(default="lastNotNull")
    max = attr.ib(default=None)
    displayMode = attr.ib(default=core.GAUGE_DISPLAY_MODE_GRADIENT)
    thresholds = attr.ib(default=attr.Factory(steps), validator=attr.validators.instance_of(list))
    showUnfilled = attr.ib(default=True, validator=attr.validators.instance_of(bool))

    def to_json_data(self):
        data = super().to_json_data()
        defaults = {"unit": self.format, "min": self.min, "max": self.max, "decimals": self.decimals,
                    "links": self.dataLinks, "mappings": self.valueMaps,
                    "thresholds": {"mode": self.thresholdType, "steps": self.thresholds or steps()}}
        data["fieldConfig"] = {"defaults": defaults, "overrides": []}
        data["options"] = {
            "displayMode": self.displayMode,
            "orientation": self.orientation,
            "showUnfilled": self.showUnfilled,
            "reduceOptions": {"calcs": [self.calc], "fields": "", "values": self.allValues},
            "minVizHeight": 10,
            "minVizWidth": 0,
            "valueMode": "color",
            "namePlacement": "auto",
            "sizing": "auto",
        }
        core._deep_update(data, self.extraJson)  # the caller's extras win, as in grafanalib
        return data


@attr.s
class Table(core.Table):
    """grafanalib's Table (same arguments) without the old table panel's top-level keys:
    value mappings go to `fieldConfig.defaults`, cells are drawn by `cellOptions`."""

    def to_json_data(self):
        data = super().to_json_data()
        for key in ("color", "columns", "fontSize", "mappings"):
            data.pop(key, None)
        defaults = data["fieldConfig"]["defaults"]
        defaults["mappings"] = self.mappings
        custom = defaults.setdefault("custom", {})
        custom.pop("displayMode", None)
        custom["cellOptions"] = {"type": "auto"}
        core._deep_update(data, self.extraJson)
        return data
