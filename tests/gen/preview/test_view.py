"""gen.preview.view: what a preview page draws, decided without a browser: grid positions as
CSS, a stat's colour from its thresholds and value mappings, series names, merged tables."""

from __future__ import annotations

import json

import pytest

from gen.preview import page, view


def test_grid_positions_become_percent_columns_and_30px_rows():
    css = view.grid_css({"x": 6, "y": 3, "w": 12, "h": 8})
    assert css == {"left": "25.0000%", "width": "50.0000%", "top": "90px", "height": f"{8 * 30 - view.GAP_PX}px"}
    assert view.grid_css({"x": 0, "y": 0, "w": 24, "h": 1})["width"] == "100.0000%"


def test_the_page_is_as_high_as_the_lowest_panel():
    panels = [{"gridPos": {"x": 0, "y": 0, "w": 24, "h": 1}}, {"gridPos": {"x": 0, "y": 1, "w": 8, "h": 8}},
              {"gridPos": {"x": 8, "y": 1, "w": 8, "h": 5}}]
    assert view.page_height(panels) == 9 * 30


STEPS = {"mode": "absolute", "steps": [{"color": "green", "value": None}, {"color": "orange", "value": 70},
                                       {"color": "red", "value": 90}]}


@pytest.mark.parametrize("value, expected", [
    (10, "green"), (69.9, "green"), (70, "orange"), (89, "orange"), (90, "red"), (1000, "red"), (-5, "green"),
    (None, "green"),
])
def test_a_stat_takes_the_colour_of_the_highest_step_it_reaches(value, expected):
    assert view.threshold_color(value, STEPS) == view.COLORS[expected]


def test_unsorted_or_unknown_colours_and_grafanalibs_null_string():
    steps = {"steps": [{"color": "blue", "value": "null"}, {"color": "#123456", "value": 5}]}
    assert view.threshold_color(1, steps) == view.COLORS["blue"]
    assert view.threshold_color(5, steps) == "#123456"


def _stat(values, mappings=None, no_value=None):
    panel = {"type": "stat", "id": 3, "title": "Up", "gridPos": {"x": 0, "y": 0, "w": 4, "h": 4},
             "fieldConfig": {"defaults": {"unit": "short", "thresholds": STEPS, "mappings": mappings or [],
                                          **({"noValue": no_value} if no_value else {})}},
             "options": {"reduceOptions": {"calcs": ["lastNotNull"]}, "textMode": "auto"}}
    result = [{"metric": {"job": job}, "values": [[0, "1"], [60, v], [120, "NaN"]]} for job, v in values.items()]
    return view.panel_view(panel, [({"refId": "A", "legendFormat": "{{job}}"}, result)])


def test_a_stat_shows_each_series_last_value_in_its_colour():
    v = _stat({"api": "95", "db": "75"})
    assert [(x["name"], x["value"], x["color"]) for x in v["values"]] == [
        ("api", 95.0, view.COLORS["red"]), ("db", 75.0, view.COLORS["orange"])]


def test_a_value_mapping_gives_the_text_and_its_colour():
    v = _stat({"api": "1"}, mappings=[{"type": "value", "options": {"1": {"text": "leader", "color": "blue"}}}])
    assert (v["values"][0]["text"], v["values"][0]["color"]) == ("leader", view.COLORS["blue"])


def test_an_empty_stat_carries_its_no_value_text():
    v = _stat({}, no_value="no exporter target")
    assert v["values"] == [] and v["noValue"] == "no exporter target"


def test_legend_formats_fill_labels_and_fall_back_to_the_selector():
    assert view.legend("{{node}} {{ device }}", {"node": "n1", "device": "sda"}) == "n1 sda"
    assert view.legend("", {"__name__": "up", "job": "x"}) == 'up{job="x"}'


def test_time_series_carry_threshold_lines_only_when_the_style_is_set():
    panel = {"type": "timeseries", "id": 1, "title": "t", "gridPos": {"x": 0, "y": 0, "w": 4, "h": 4},
             "fieldConfig": {"defaults": {"unit": "percent", "thresholds": STEPS,
                                          "custom": {"thresholdsStyle": {"mode": "line+area"}}}}}
    v = view.panel_view(panel, [({"refId": "A"}, [{"metric": {"a": "b"}, "values": [[0, "1"], [60, "2"]]}])])
    assert [(t["value"], t["style"]) for t in v["thresholds"]] == [(70, "line+area"), (90, "line+area")]
    assert v["series"][0]["points"] == [[0.0, 1.0], [60.0, 2.0]]
    panel["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"] = "off"
    assert view.panel_view(panel, [])["thresholds"] == []


def test_a_table_merges_targets_on_their_labels_and_organizes_the_columns():
    panel = {"type": "table", "id": 9, "title": "Nodes", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
             "fieldConfig": {"defaults": {"unit": "short"},
                             "overrides": [{"matcher": {"id": "byName", "options": "CPU"},
                                            "properties": [{"id": "unit", "value": "percent"}]}]},
             "transformations": [{"id": "merge"}, {"id": "organize", "options": {
                 "excludeByName": {"Time": True}, "renameByName": {"Value #A": "CPU", "Value #B": "Pods"},
                 "indexByName": {"node": 0, "CPU": 1, "Pods": 2}}}]}
    results = [({"refId": "B"}, [{"metric": {"node": "n1"}, "value": [600, "12"]},
                                 {"metric": {"node": "n2"}, "value": [600, "3"]}]),
               ({"refId": "A"}, [{"metric": {"node": "n1"}, "value": [600, "40.5"]}])]
    t = view.panel_view(panel, results)["table"]
    assert t["columns"] == ["node", "CPU", "Pods"]
    assert t["rows"] == [["n1", 40.5, 12.0], ["n2", None, 3.0]]
    assert t["units"] == [None, "percent", "short"]


def test_the_page_is_self_contained_and_its_data_cannot_close_the_script():
    dashboard = {"uid": "x", "title": "X <b>", "panels": [{"gridPos": {"x": 0, "y": 0, "w": 24, "h": 4}}]}
    views = [{"id": 1, "type": "stat", "title": "</script><script>alert(1)</script>", "css": {}, "values": []}]
    text = page.render_page(dashboard, views, "note", 600)
    assert "<script src" not in text and "<link" not in text and "http" not in text.split("uPlot")[0]
    assert "uPlot" in text and "document.body.dataset.rendered" in text
    assert text.count("</script>") == text.count("<script>")
    model = text.split("window.PREVIEW = ", 1)[1].split(";</script>", 1)[0]
    assert json.loads(model)["panels"][0]["title"].startswith("</script>")
    assert "X &lt;b&gt;" in text


def test_the_compiler_does_not_import_the_preview_unless_it_runs():
    import subprocess
    import sys

    from support.paths import REPO

    code = ("import sys, gen.cli, gen.build; from gen.cli import parser; parser().parse_args(['preview', '--no-png']); "
            "print(sorted(m for m in sys.modules if m.startswith('gen.preview')))")
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
