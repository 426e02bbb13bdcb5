"""gen.dash.panels: grafanalib's Grafana 6 bar gauge and old-style table redone in the current
model, which the dashboard schema accepts."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

from grafanalib._gen import DashboardEncoder
from grafanalib.core import Target

from gen.build import build
from gen.dash.panels import BarGauge, Table, steps


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


def test_table_drops_the_old_table_keys_and_keeps_mappings_in_field_config():
    mappings = [{"type": "value", "options": {"1": {"text": "firing"}}}]
    data = _json(Table(title="t", unit="short", mappings=mappings, targets=[]))
    assert not {"color", "columns", "fontSize", "mappings"} & set(data)
    assert data["fieldConfig"]["defaults"]["mappings"] == mappings
    assert data["fieldConfig"]["defaults"]["custom"]["cellOptions"] == {"type": "auto"}
    assert data["fieldConfig"]["defaults"]["unit"] == "short"


DASH = '''
from grafanalib.core import Target
from gen.dash.model import Dashboard, Fixture, Row, cell
from gen.dash.panels import BarGauge, steps
from MODULE import Table

dashboard = Dashboard(
    uid="demo", title="Demo",
    rows=[Row("r", [
        cell(BarGauge(title="Bars", format="percent", description="Targets up.", thresholds=steps(("red", 90)),
                      targets=[Target(expr="up{${app}}", legendFormat="{{instance}}", refId="A", instant=True)])),
        cell(Table(title="Table", unit="short", description="Targets up.",
                   targets=[Target(expr="up{${app}}", format="table", instant=True, refId="A")])),
    ])],
    fixture=Fixture(series={'up{${app}, instance="a"}': "1x20"}, vars={}),
)
'''


def _project(tmp_path: Path, module: str) -> str:
    (tmp_path / "rules_src").mkdir(parents=True)
    (tmp_path / "rules_src" / "_selectors.py").write_text('SELECTORS = {"app": \'job="app"\'}\n')
    (tmp_path / "rules_src" / "demo.py").write_text("groups = []\n")
    (tmp_path / "dashboards_src").mkdir()
    (tmp_path / "dashboards_src" / "demo.py").write_text(textwrap.dedent(DASH).replace("MODULE", module))
    cfg = tmp_path / "monitoring.yaml"
    cfg.write_text("{}\n")
    return str(cfg)


def test_panels_pass_the_dashboard_schema_and_raw_grafanalib_tables_are_cleaned(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    _, files = build(_project(tmp_path / "ours", "gen.dash.panels"), str(tmp_path / "ours" / "rules_src"))
    panels = json.loads(files["grafana/demo.json"])["panels"]
    assert [p["type"] for p in panels] == ["row", "bargauge", "table"]
    # the engine strips grafanalib's old table keys (which the schema rejects) from raw Tables too
    _, files = build(_project(tmp_path / "raw", "grafanalib.core"), str(tmp_path / "raw" / "rules_src"))
    table = json.loads(files["grafana/demo.json"])["panels"][2]
    assert table["type"] == "table" and not {"color", "columns", "fontSize", "mappings"} & set(table)
