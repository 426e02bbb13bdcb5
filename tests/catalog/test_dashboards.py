"""The dashboards of dashboards_src/: they build, pass the structural checks, every query is
accepted by promtool's parser, and every panel returns data under its fixture (promtool)."""

from __future__ import annotations

import json
import os

import pytest

from gen.tools import promtool
from gen import upstream
from gen.build import build
from gen.config import Config
from gen.dash import check, datatest
from gen.rules.loader import load_catalog
from gen.dash.loader import load_dashboards


@pytest.fixture(scope="module")
def built():
    compiled, files = build(None)
    return compiled, files


def _uids():
    return [d.uid for d in load_dashboards(upstream.DASHBOARDS, load_catalog(upstream.RULES))]


def _rendered(built, uid):
    compiled, files = built
    data = json.loads(files[f"grafana/{uid}.json"])
    (dashboard,) = [d for d in compiled.dashboards if d.uid == uid]
    return dashboard, data


@pytest.mark.live  # runs promtool test rules over every panel query of the dashboard (seconds)
@pytest.mark.parametrize("uid", _uids())
def test_every_panel_returns_data_under_its_fixture(built, uid, tmp_path):
    dashboard, data = _rendered(built, uid)
    selectors = load_catalog(upstream.RULES).selectors
    ((path, groups),) = datatest.write_tests(str(tmp_path), [(dashboard, data)], selectors)
    run = promtool.test_rules([os.path.basename(path)], cwd=str(tmp_path))
    if not run.ok:
        names = datatest.failing(run.output, groups)
        pytest.fail("queries without data under the fixture:\n  " + "\n  ".join(names or ["?"]) + f"\n\n{run.output}")


def test_every_query_is_accepted_by_promtool(built):
    """promtool 2.42 is the final word on what the targeted Prometheus parses."""
    _, files = built
    rendered = [json.loads(v) for k, v in files.items() if k.startswith("grafana/")]
    assert rendered
    assert check.promtool_rejects(rendered) == []


@pytest.mark.parametrize("uid", _uids())
def test_structure(built, uid):
    _, data = _rendered(built, uid)
    assert check.check_structure(data) == []
    assert data["schemaVersion"] >= 36
    assert data["templating"]["list"][0]["type"] == "datasource"
    for p in check.panels(data):
        if p["type"] != "row":
            assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            for t in p.get("targets", []):
                assert t["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
                assert t.get("legendFormat") or t.get("instant") or t.get("format") == "table", \
                    f"{uid}: panel {p['title']!r}: a legend names each series"
