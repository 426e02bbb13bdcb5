"""`gen preview` end to end: every upstream dashboard drawn from its fixture in a real
Prometheus, opened in headless Chromium, every panel with data; a changed dashboard file
previews only that one; a failing query and a Prometheus that does not start are named.
Screenshots are kept in build/test-artifacts/preview/ (git-ignored)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from support.paths import REPO

from gen.build import build
from gen.config import Config
from gen.core.errors import OptionError, ToolError
from gen.preview import command, screenshot
from gen.live.prometheus_api import PrometheusClient
from gen.preview.fixture_tsdb import FixturePrometheus, openmetrics
from gen.preview.panel_data import panel_results

pytestmark = pytest.mark.live

ARTIFACTS = REPO / "build" / "test-artifacts" / "preview"


@pytest.fixture(scope="module")
def built():
    return build(Config())


@pytest.fixture(scope="module")
def chromium():
    binary = screenshot.find_chromium()
    if binary is None:
        pytest.skip("chromium not installed (make setup installs Debian's chromium)")
    return binary


def _args(**kw):
    base = dict(changed_since=None, dashboard=None, png=True, out=str(ARTIFACTS), var=None, prometheus=None)
    return SimpleNamespace(**{**base, **kw})


@pytest.fixture(scope="module")
def pages(built, chromium):
    compiled, files = built
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    assert command.run(_args(), compiled, files) == 0
    return compiled, files


def _dom_facts(dom: str) -> tuple[dict, list[tuple[str, str]]]:
    body = re.search(r"<body([^>]*)>", dom).group(1)
    attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body))
    panels = re.findall(r'<section class="panel"[^>]*data-panel-id="(\d+)"[^>]*data-panel-state="([a-z]+)"', dom)
    return attrs, panels


def test_every_dashboard_is_drawn_with_data_in_every_panel(pages, chromium):
    compiled, files = pages
    uids = [d.uid for d in compiled.dashboards]
    assert len(uids) >= 12
    for uid in uids:
        data = json.loads(files[f"grafana/{uid}.json"])
        expected = sorted(str(p["id"]) for p in data["panels"] if p["type"] != "row")
        html, png = ARTIFACTS / f"{uid}.html", ARTIFACTS / f"{uid}.png"
        assert png.stat().st_size > 10_000, f"{uid}: no real screenshot"
        attrs, panels = _dom_facts(screenshot.dump_dom(chromium, str(html)))
        assert attrs.get("rendered") == "ok", f"{uid}: the page did not finish drawing ({attrs})"
        assert "errors" not in attrs, f"{uid}: script errors: {attrs['errors']}"
        assert sorted(pid for pid, _ in panels) == expected, f"{uid}: panels drawn differ from the dashboard's"
        empty = [(pid, state) for pid, state in panels if state != "data"]
        assert not empty, f"{uid}: panels without data: {empty}"


def test_the_page_shows_the_fixture_numbers(pages, chromium):
    """Not merely 'something drawn': the etcd page's leader stat reads the fixture's mapping."""
    dom = screenshot.dump_dom(chromium, str(ARTIFACTS / "k8s-etcd.html"))
    assert ">leader<" in dom and "uplot" in dom


def test_a_changed_dashboard_file_previews_that_one_only(built, tmp_path, monkeypatch, capsys):
    compiled, files = built
    grafana = tmp_path / "out" / "grafana"
    grafana.mkdir(parents=True)
    for name, text in files.items():
        if name.startswith("grafana/"):
            (tmp_path / "out" / name).write_bytes(text)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(git + ["init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(git + ["add", "."], cwd=tmp_path, check=True)
    subprocess.run(git + ["commit", "-qm", "x"], cwd=tmp_path, check=True)
    path = grafana / "k8s-workload.json"
    path.write_text(path.read_text().replace('"title": "', '"title": "changed ', 1))
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "preview"
    assert command.run(_args(changed_since="HEAD", png=False, out=str(out)), compiled, files) == 0
    assert sorted(os.listdir(out)) == ["k8s-workload.html"]
    assert capsys.readouterr().out.startswith("k8s-workload: ")


def test_a_failing_query_names_dashboard_panel_and_target():
    data = {"uid": "d1", "panels": [{"type": "stat", "id": 4, "title": "Broken", "gridPos": {"x": 0, "y": 0, "w": 4, "h": 4},
                                     "targets": [{"refId": "A", "expr": "up"}, {"refId": "B", "expr": "sum(up"}]}]}
    with FixturePrometheus(openmetrics({'up{job="a"}': "1x10"}, "1m"), "test") as prom, \
            PrometheusClient(prom.url) as client:
        results = panel_results(data, client, {}, {}, 0, 600, 60)
    rows, error = results[4]
    assert rows is None
    assert error.startswith(f"dashboard d1: panel 'Broken' (id 4) target B: Prometheus at {prom.url} answered GET "
                            f"{prom.url}/api/v1/query_range with an error (400 bad_data)")
    assert "sum(up" in error


def test_a_prometheus_that_does_not_start_is_reported_with_its_log(tmp_path, monkeypatch):
    fake = tmp_path / "prometheus"
    fake.write_text("#!/bin/sh\necho 'err=\"opening storage failed: no space\"'\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PROMETHEUS", str(fake))
    with pytest.raises(ToolError, match=r"(?s)dashboard x: fixture: Prometheus exited with 3:.*opening storage failed"):
        with FixturePrometheus(openmetrics({"up": "1"}, "1m"), "dashboard x: fixture"):
            pass


def test_live_mode_queries_a_running_prometheus_over_the_last_hour(built, chromium, tmp_path):
    """--prometheus URL: the pod dashboard's fixture, moved to the last ten minutes, served by a
    Prometheus standing in for a cluster's; the variables come from its label values."""
    import time

    from gen.core.placeholders import substitute

    compiled, files = built
    d = next(x for x in compiled.dashboards if x.uid == "k8s-pod")
    series = {substitute(s, compiled.catalog.selectors, "t"): v for s, v in d.fixture.series.items()}
    text = openmetrics(series, d.fixture.interval, start=int(time.time()) - 600)
    with FixturePrometheus(text, "stand-in") as prom:
        args = _args(dashboard=["k8s-pod"], prometheus=prom.url, png=False, out=str(tmp_path))
        assert command.run(args, compiled, files) == 0
    html = (tmp_path / "k8s-pod.html").read_text()
    assert f"live: {prom.url}, the last hour; " in html and "namespace=shop" in html
    attrs, panels = _dom_facts(screenshot.dump_dom(chromium, str(tmp_path / "k8s-pod.html")))
    assert attrs.get("rendered") == "ok" and "errors" not in attrs
    assert panels and all(state == "data" for _, state in panels), panels


def test_live_mode_sends_lint_prometheus_credentials(built, tmp_path):
    """--prometheus with --bearer-token-file: the preview asks with the token, as lint
    --prometheus does, and a refusal names the credentials it sent."""
    import http.server
    import threading

    seen = []

    class Refuse(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.headers.get("Authorization"))
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status": "error", "error": "unauthorized"}')

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    compiled, files = built
    try:
        args = _args(dashboard=["k8s-pod"], prometheus=f"http://127.0.0.1:{server.server_port}", png=False,
                     out=str(tmp_path / "out"), bearer_token_file=str(token), timeout=5.0)
        with pytest.raises(OptionError, match=r"dashboard k8s-pod: variable namespace: .* refused the request "
                                              r"\(401 Unauthorized\) with the bearer token \(--bearer-token-file\)"):
            command.run(args, compiled, files)
    finally:
        server.shutdown()
    assert seen and set(seen) == {"Bearer s3cret"}
