"""gen.dash.panels: grafanalib's Grafana 6 bar gauge redone in the current model."""

from __future__ import annotations

import json

from grafanalib._gen import DashboardEncoder
from grafanalib.core import Target

from gen.dash.panels import BarGauge, steps


def _json(panel) -> dict:
    return json.loads(json.dumps(panel, cls=DashboardEncoder))


def test_bar_gauge_unit_thresholds_and_reduction_are_where_current_grafana_reads_them():
    data = _json(BarGauge(title="CPU", format="percent", max=100, thresholds=steps(("red", 90)),
                          targets=[Target(expr="x", legendFormat="{{node}}", refId="A")]))
    defaults = data["fieldConfig"]["defaults"]
    assert (defaults["unit"], defaults["min"], defaults["max"]) == ("percent", 0, 100)
    assert defaults["thresholds"] == {"mode": "absolute", "steps": [{"color": "green", "value": "null"},
                                                                    {"color": "red", "value": 90}]}
    assert data["options"]["reduceOptions"]["calcs"] == ["lastNotNull"]
    assert "fieldOptions" not in data["options"]  # Grafana would migrate it over fieldConfig
    assert data["type"] == "bargauge"


def test_bar_gauge_keeps_extra_json_and_grafanalib_arguments():
    data = _json(BarGauge(title="t", format="bytes", calc="max", displayMode="basic", orientation="vertical",
                          extraJson={"options": {"showUnfilled": False}}))
    assert data["fieldConfig"]["defaults"]["unit"] == "bytes"
    assert data["options"]["reduceOptions"]["calcs"] == ["max"]
    assert (data["options"]["displayMode"], data["options"]["orientation"]) == ("basic", "vertical")
    assert data["options"]["showUnfilled"] is False


def test_steps_start_with_the_base_color():
    assert steps() == [{"color": "green", "value": "null"}]
    assert steps(("orange", 70), ("red", 90), base="blue")[0] == {"color": "blue", "value": "null"}
    assert [s["value"] for s in steps(("orange", 70), ("red", 90))] == ["null", 70, 90]
