"""`${Alert.param}` in panel expressions: a panel computing an alert's quantity uses the
alert's parameter as resolved with monitoring.yaml (the catalog default when the alert is
disabled: the panel still shows the quantity), and a wrong alert or parameter name stops the build naming the panel."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml

from gen.build import build
from gen.core.errors import DashboardError, DefinitionError

RULES = '''
from gen.model import Alert, Case, Fire, Group
groups = [Group("demo", [
    Alert("Overcommit", expr="sum(req{${app}}) / (sum(alloc{${app}}) - sum(topk(${failures}, alloc{${app}}))) > ${threshold}",
          params={"threshold": 1, "failures": 1, "window": "5m"}, severity="warning", summary="s", description="d"),
])]
'''

DASH = '''
from grafanalib.core import Target, TimeSeries
from gen.dash.model import Dashboard, Fixture, Row, cell

dashboard = Dashboard(
    uid="demo", title="Demo",
    rows=[Row("r", [cell(TimeSeries(title="Headroom", unit="percent", description="Allocatable left.", targets=[Target(
        expr='sum(alloc{${app}}) - sum(topk(EXPR, alloc{${app}}))', legendFormat="left", refId="A")]))])],
    fixture=Fixture(series={'alloc{${app}, node="n1"}': "4x20"}, vars={}),
)
'''


pytestmark = pytest.mark.usefixtures("no_bytecode")  # conftest.py


def _build(tmp_path: Path, param: str, settings: dict | None = None):
    (tmp_path / "rules_src").mkdir(exist_ok=True)
    (tmp_path / "rules_src" / "_selectors.py").write_text('SELECTORS = {"app": \'job="app"\'}\n')
    (tmp_path / "rules_src" / "demo.py").write_text(textwrap.dedent(RULES))
    (tmp_path / "dashboards_src").mkdir(exist_ok=True)
    (tmp_path / "dashboards_src" / "demo.py").write_text(textwrap.dedent(DASH).replace("EXPR", param))
    cfg = tmp_path / "monitoring.yaml"
    cfg.write_text(yaml.safe_dump(settings or {}))
    _, files = build(str(cfg), str(tmp_path / "rules_src"))
    return json.loads(files["grafana/demo.json"])["panels"][1]["targets"][0]["expr"]


def test_default_parameter_fills_the_expression(tmp_path):
    assert _build(tmp_path, "${Overcommit.failures}") == 'sum(alloc{job="app"}) - sum(topk(1, alloc{job="app"}))'


def test_configured_parameter_moves_the_panel_with_the_alert(tmp_path):
    expr = _build(tmp_path, "${Overcommit.failures}", {"alerts": {"Overcommit": {"failures": 2}}})
    assert "topk(2, alloc" in expr


def test_disabled_alert_still_fills_the_expression_with_its_catalog_default(tmp_path):
    expr = _build(tmp_path, "${Overcommit.failures}", {"alerts": {"Overcommit": {"disabled": True}}})
    assert "topk(1, alloc" in expr


def test_unknown_alert_is_named(tmp_path):
    with pytest.raises((DefinitionError, DashboardError), match=r"panel 'Headroom'.*\$\{Overcommitt\.failures\}: the catalog has no alert 'Overcommitt'"):
        _build(tmp_path, "${Overcommitt.failures}")


def test_unknown_parameter_is_named_with_the_known_ones(tmp_path):
    with pytest.raises((DefinitionError, DashboardError),
                       match=r"panel 'Headroom'.*alert Overcommit has no parameter 'failure' \(known: failures, threshold, window\)"):
        _build(tmp_path, "${Overcommit.failure}")
