"""`python -m gen lint --prometheus URL` against a real Prometheus 2.42 scraping the fixture
exporter (tests/support/fixture_exporter.py) every second, with the catalog's rule files loaded.

The expected findings are derived from what the exporter says it serves (`served()`) and the
scrape jobs it is scraped under, never from the linter's own output.
"""

from __future__ import annotations

from support.paths import REPO
import json
import os
import re
import shutil
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from support.fixture_exporter import FixtureExporter, targets
from gen.live.online_lint import RULE_EVALUATOR_SERIES
from gen.render import outdir
from gen.build import build
from gen.cli import main
from gen.dash.check import PARSE_MACROS, fill, queries
from gen.core.promql import analyze
from gen.core.resolved import RecordingRule
from support.live import free_port, running_prometheus

# live: runs a real Prometheus scraping the fixture exporter; `pytest -m "not live"` skips it
pytestmark = pytest.mark.live

ROOT = str(REPO)

BASIC_USER = "lint"
BASIC_PASSWORD = "lint-pass-7Qz"
# bcrypt (cost 4) of BASIC_PASSWORD, made with Python's crypt.crypt(..., mksalt(METHOD_BLOWFISH, rounds=16));
# test_basic_auth_is_sent proves Prometheus accepts it.
BASIC_HASH = "$2b$04$mN491T4.qT09asGW28N/N.T2K3e5ttzliYWFgqw0ZodNIMLlPZo/e"
TOKEN = "lint-token-e81f3c"


@pytest.fixture(scope="module")
def catalog():
    """The catalog as built with the defaults: (compiled, files)."""
    return build(None)


@pytest.fixture(scope="module")
def exporter():
    with FixtureExporter() as ex:
        yield ex


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory, exporter, catalog):
    """Prometheus scraping the fixture every second with the default build's rule files."""
    _, files = catalog
    built = tmp_path_factory.mktemp("built")
    outdir.write_tree(str(built), files)
    rule_files = sorted(str(built / p) for p in files if p.startswith("rules/"))
    with running_prometheus(tmp_path_factory.mktemp("prometheus"), exporter.scrape_configs(), rule_files) as prom:
        prom.wait_for_scrapes()
        yield prom


@pytest.fixture
def defaults(tmp_path, monkeypatch):
    """An empty monitoring.yaml (catalog defaults), and the project root as working directory
    so printed paths read rules_src/...; returns the config path."""
    monkeypatch.chdir(ROOT)
    path = tmp_path / "monitoring.yaml"
    path.write_text("{}\n")
    return str(path)


def lint(*argv) -> int:
    return main(["lint", *argv])


def findings(out: str) -> list[str]:
    """The report without its first line, whose counts grow while recording rules start
    writing series."""
    return [line for line in out.splitlines() if not line.startswith("Prometheus at ")]


# --- expectations from the exporter's own description ---------------------------------------


def _matches(op: str, pattern: str, value: str) -> bool:
    """Prometheus matcher semantics; an absent label is the empty string, regexes anchored."""
    if op == "=":
        return value == pattern
    if op == "!=":
        return value != pattern
    found = re.fullmatch(pattern, value) is not None
    return found if op == "=~" else not found


def served_with_up(exporter) -> dict[tuple[str, str], dict[str, set[str]]]:
    """served(), plus the `up` series Prometheus itself writes for each target."""
    served = {k: {m: set(l) for m, l in v.items()} for k, v in exporter.served().items()}
    for t in targets():
        labels = {"job", "instance", *t.labels} | ({"metrics_path"} if t.job == "kubelet" else set())
        served[(t.job, t.metrics_path)].setdefault("up", set()).update(labels)
    return served


def catalog_selectors(compiled, files):
    """(what, selectors, label a variable lists) for every rule, panel target and variable."""
    out = []
    for rf in compiled.rule_files:
        for g in rf.groups:
            for rule in g.rules:
                out.append((rule.what, analyze(rule.expr).selectors, None))
    for d in compiled.dashboards:
        data = json.loads(files[f"grafana/{d.uid}.json"])
        declared = {v["name"]: "placeholder" for v in data["templating"]["list"]}
        for q in queries(data):
            out.append((q.where, analyze(fill(q.expr, declared, PARSE_MACROS)).selectors, q.label))
    return out


def expected_missing(compiled, files, served) -> set[tuple[str, str, str]]:
    """(what, metric, kind) for every selector reading what the exporter does not serve under
    the scrape job its job/metrics_path matchers pick. Catalog recording rules are loaded."""
    records = {r.name for rf in compiled.rule_files for g in rf.groups for r in g.rules if isinstance(r, RecordingRule)}
    target_labels = {key: {"job": key[0], **({"metrics_path": key[1]} if key[0] == "kubelet" else {})} for key in served}
    out = set()
    for what, selectors, listed in catalog_selectors(compiled, files):
        for sel in selectors:
            if sel.metric in records or sel.metric in RULE_EVALUATOR_SERIES:
                continue
            if sel.metric is None:  # e.g. {__name__=~"..."}: checked for its labels only
                continue
            place = [m for m in sel.matchers if m[0] in ("job", "metrics_path")]
            picked = [k for k, labels in target_labels.items() if all(_matches(op, v, labels.get(l, "")) for l, op, v in place)]
            if not any(sel.metric in metrics for metrics in served.values()):
                out.add((what, sel.metric, "metric"))
                continue
            having = [served[k][sel.metric] for k in picked if sel.metric in served[k]]
            if not having:
                out.add((what, sel.metric, "selector"))
                continue
            labels = set().union(*having)
            for l, op, v in sel.matchers:
                if l not in ("__name__", "job", "metrics_path") and not _matches(op, v, "") and l not in labels:
                    out.add((what, sel.metric, "label"))
            if listed and listed not in labels:
                out.add((what, sel.metric, "label"))
    return out


# --- the catalog against the fixture ----------------------------------------------------------


def test_reports_exactly_what_the_fixture_does_not_serve(prometheus, exporter, catalog):
    from gen.live import online_lint
    from gen.live.prometheus_api import PrometheusClient

    compiled, files = catalog
    rendered = {d.uid: json.loads(files[f"grafana/{d.uid}.json"]) for d in compiled.dashboards}
    refs = online_lint.rule_references(compiled.rule_files) + \
        online_lint.dashboard_references(compiled.dashboards, rendered)
    with PrometheusClient(prometheus.url) as client:
        report = online_lint.check(client, refs, online_lint.exporters(compiled.catalog.selectors),
                                   online_lint.recording_rule_sources(compiled.rule_files))

    expected = expected_missing(compiled, files, served_with_up(exporter))
    assert {(m.ref.what, m.metric, m.kind) for m in report.missing} == expected
    # the fixture leaves out whole components and some objects: the comparison is not vacuous
    kinds = {k for _, _, k in expected}
    assert {"metric", "selector"} <= kinds
    assert ("alert KubePodCrashLooping", "kube_pod_container_status_waiting_reason", "metric") in expected
    assert ("alert KubeAPIDown", "up", "selector") in expected
    # everything the fixture serves is found: no alert about node filesystems or etcd leaders
    assert not {w for w, _, _ in expected} & {"alert NodeFilesystemAlmostOutOfSpace", "alert etcdNoLeader", "alert PodMemory75"}


def test_cli_groups_by_exporter_and_exits_1(prometheus, catalog, defaults, capsys):
    compiled, _ = catalog
    assert lint("--prometheus", prometheus.url, "--config", defaults) == 1
    out = capsys.readouterr().out.splitlines()
    start = next(i for i, line in enumerate(out) if line.startswith("Prometheus at "))
    blocks: dict[str, list[str]] = {}
    for line in out[start + 1:-1]:
        if line.startswith("  "):
            blocks[current].append(line.strip())
        else:
            current = line.split(":", 1)[0]
            blocks[current] = [line]
    source = {r.name: str(r.source) for rf in compiled.rule_files for g in rf.groups for r in g.rules}

    ksm = blocks['kube_state_metrics {job="kube-state-metrics"}']
    assert f"{source['KubeJobFailed']}: alert KubeJobFailed: metric kube_job_failed never seen" in ksm
    assert "no series at all" not in ksm[0]  # kube-state-metrics is scraped: only some metrics lack
    api = blocks['apiserver {job="apiserver"}']
    assert 'no series at all match {job="apiserver"}' in api[0] and "selectors.apiserver" in api[0]
    assert f"{source['KubeAPIDown']}: alert KubeAPIDown: metric up never seen with {{job=\"apiserver\"}}" in api
    # the fixture serves everything the alerts read from these exporters (dashboards read more)
    served_fully = [line for name, lines in blocks.items() if name.startswith(("node_exporter", "etcd", "cadvisor"))
                    for line in lines[1:] if ": alert " in line]
    assert served_fully == []
    alerts = sum(1 for rf in compiled.rule_files for g in rf.groups for r in g.rules if not isinstance(r, RecordingRule))
    assert re.fullmatch(rf"online lint: \d+ of {alerts} alerts, .* read something this server has never seen", out[-1])


def test_warn_only_exits_0_with_the_same_report(prometheus, defaults, capsys):
    assert lint("--prometheus", prometheus.url, "--config", defaults) == 1
    strict = capsys.readouterr().out
    assert lint("--prometheus", prometheus.url, "--config", defaults, "--warn-only") == 0
    assert findings(capsys.readouterr().out) == findings(strict)


CATALOG = '''\
from gen.model import Alert, Group, Record

groups = [
    Group("shop", [
        Record("namespace:shop_restarts:rate5m", expr="sum by (namespace) (rate(kube_pod_container_status_restarts_total{${kube_state_metrics}}[5m]))"),
        Alert("ShopRestartsTypo", expr="increase(kube_pod_container_status_restart_total{${kube_state_metrics}}[10m]) > 0", severity="warning", summary="s", description="d"),
        Alert("ShopWrongLabel", expr='kube_pod_info{${kube_state_metrics}, nodename="node-1"} > 0', severity="warning", summary="s", description="d"),
        Alert("ShopRestartRate", expr="namespace:shop_restarts:rate5m > 1", severity="warning", summary="s", description="d"),
        Alert("ShopFine", expr='kube_pod_info{${kube_state_metrics}, node!=""} == 0 or kube_pod_info{${kube_state_metrics}, host_network=""} == 0', severity="warning", summary="s", description="d"),
    ]),
]
'''


def test_misspelt_metric_wrong_label_and_unloaded_recording_rule_named_with_file_line(prometheus, tmp_path, defaults, capsys):
    folder = tmp_path / "rules_src"
    folder.mkdir()
    shutil.copyfile(os.path.join(ROOT, "rules_src", "_selectors.py"), folder / "_selectors.py")
    (folder / "shop.py").write_text(CATALOG)
    line = {name: n for n, text in enumerate(CATALOG.splitlines(), 1)
            for name in re.findall(r'(?:Alert|Record)\("([\w:]+)"', text)}
    path = os.path.relpath(folder / "shop.py")

    assert lint("--prometheus", prometheus.url, "--config", defaults, "--no-upstream", "--rules-src", str(folder)) == 1
    out = capsys.readouterr().out.splitlines()
    problems = sorted(line.strip() for line in out if line.startswith("  "))
    assert problems == sorted([
        f"{path}:{line['ShopRestartsTypo']}: alert ShopRestartsTypo: metric kube_pod_container_status_restart_total never seen",
        f'{path}:{line["ShopWrongLabel"]}: alert ShopWrongLabel: label nodename never seen on '
        f'kube_pod_info{{job="kube-state-metrics"}} (matcher nodename="node-1")',
        f"{path}:{line['ShopRestartRate']}: alert ShopRestartRate: recording rule namespace:shop_restarts:rate5m "
        f"not loaded on the server (defined at {path}:{line['namespace:shop_restarts:rate5m']})",
    ])
    assert out[-1] == "online lint: 3 of 4 alerts, 0 of 1 recording rules read something this server has never seen"


# --- credentials ---------------------------------------------------------------------------------


def test_basic_auth_is_sent(tmp_path, defaults, capsys):
    password = tmp_path / "password"
    password.write_text(BASIC_PASSWORD + "\n")
    wrong = tmp_path / "wrong"
    wrong.write_text("not-it\n")
    with running_prometheus(tmp_path / "prom", [], web_config={"basic_auth_users": {BASIC_USER: BASIC_HASH}},
                            auth=(BASIC_USER, BASIC_PASSWORD)) as prom:
        assert requests.get(prom.url + "/api/v1/labels", timeout=5).status_code == 401  # the server does demand it

        assert lint("--prometheus", prom.url, "--config", defaults,
                    "--basic-auth-user", BASIC_USER, "--basic-auth-password-file", str(password)) == 1
        cap = capsys.readouterr()
        assert f"Prometheus at {prom.url}: 0 metric names" in cap.out and "error" not in cap.err

        assert lint("--prometheus", prom.url, "--config", defaults,
                    "--basic-auth-user", BASIC_USER, "--basic-auth-password-file", str(wrong)) == 2
        err = capsys.readouterr().err
        assert f"{prom.url} refused the request (401" in err and f"basic auth user {BASIC_USER!r}" in err

        assert lint("--prometheus", prom.url, "--config", defaults) == 2
        assert "no credentials" in capsys.readouterr().err


class _TokenProxy(BaseHTTPRequestHandler):
    """In front of Prometheus: forwards GETs that carry the right bearer token, 401 otherwise."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.seen.append(self.headers.get("Authorization"))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            body = b"Unauthorized\n"
            self.send_response(401)
        else:
            up = requests.get(self.server.upstream + self.path, timeout=10)
            body = up.content
            self.send_response(up.status_code)
            self.send_header("Content-Type", up.headers.get("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def token_proxy(prometheus):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenProxy)
    server.upstream, server.seen = prometheus.url, []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_bearer_token_is_sent(prometheus, token_proxy, tmp_path, defaults, capsys):
    proxy_url = f"http://127.0.0.1:{token_proxy.server_address[1]}"
    token = tmp_path / "token"
    token.write_text(f"  {TOKEN}\n")
    assert lint("--prometheus", prometheus.url, "--config", defaults) == 1
    direct = capsys.readouterr().out

    assert lint("--prometheus", proxy_url, "--config", defaults, "--bearer-token-file", str(token)) == 1
    through = capsys.readouterr().out
    assert f"Prometheus at {proxy_url}: " in through
    assert findings(through) == findings(direct)
    assert token_proxy.seen and set(token_proxy.seen) == {f"Bearer {TOKEN}"}

    token.write_text("expired-token\n")
    assert lint("--prometheus", proxy_url, "--config", defaults, "--bearer-token-file", str(token)) == 2
    err = capsys.readouterr().err
    assert f"{proxy_url} refused the request (401" in err and "bearer token" in err and "expired-token" not in err


# --- servers that cannot be asked -------------------------------------------------------------


def test_unreachable_server_is_named_and_exits_2(defaults, capsys):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    assert lint("--prometheus", url, "--config", defaults) == 2
    assert f"error: cannot connect to Prometheus at {url}: Connection refused" in capsys.readouterr().err


class _Html(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = b"<!doctype html><html><title>Grafana</title></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_not_prometheus_answers_are_explained(defaults, capsys):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Html)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        assert lint("--prometheus", url, "--config", defaults) == 2
        err = capsys.readouterr().err
        assert f"{url} does not answer like Prometheus' HTTP API at /api/v1/label/__name__/values (text/html" in err
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    with FixtureExporter() as other:  # an HTTP server without the API: 404
        assert lint("--prometheus", other.url + "/prom", "--config", defaults) == 2
        err = capsys.readouterr().err
        assert f"404 Not Found: is {other.url}/prom Prometheus' base URL" in err


def test_silent_server_hits_the_timeout(defaults, capsys):
    with socket.socket() as sock:  # accepts connections (backlog), never answers
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        assert lint("--prometheus", url, "--config", defaults, "--timeout", "0.3") == 2
    assert f"{url}: no answer within 0.3 s (--timeout)" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--prometheus", "http://x", "--basic-auth-user", "u"], "--basic-auth-user and --basic-auth-password-file go together"),
    (["--prometheus", "http://x", "--bearer-token-file", "t", "--basic-auth-user", "u", "--basic-auth-password-file", "p"],
     "give one kind of credentials"),
    (["--prometheus", "http://x", "--bearer-token-file", "/nonexistent/token"], "--bearer-token-file /nonexistent/token: cannot read"),
    (["--prometheus", "prometheus:9090"], "--prometheus 'prometheus:9090': expected the server's base URL"),
    (["--prometheus", "http://x", "--timeout", "0"], "--timeout 0: must be more than 0 seconds"),
    (["--warn-only"], "only apply with --prometheus URL"),
])
def test_bad_options_are_named(argv, message, defaults, capsys):
    assert lint(*argv, "--config", defaults) == 1
    assert message in capsys.readouterr().err


# --- the pieces ------------------------------------------------------------------------------


@pytest.mark.parametrize("matcher, needs", [
    (("a", "=", "x"), True), (("a", "=", ""), False), (("a", "!=", ""), True), (("a", "!=", "x"), False),
    (("a", "=~", ".+"), True), (("a", "=~", ".*"), False), (("a", "=~", "x|"), False), (("a", "!~", ""), True),
    (("a", "!~", ".+"), False), (("a", "!~", "x"), False),
])
def test_requires_label(matcher, needs):
    from gen.live.online_lint import requires_label

    _, op, value = matcher
    assert requires_label(op, value) is needs


def test_exporter_of_prefers_the_most_specific_catalog_selector():
    from gen.live.online_lint import exporter_of, exporters

    known = exporters({"kubelet": 'job="kubelet", metrics_path="/metrics"', "cadvisor": 'job="kubelet", metrics_path="/metrics/cadvisor"',
                       "loose": 'job="kubelet"', "empty": ""})
    sel = analyze('x{job="kubelet", metrics_path="/metrics/cadvisor", container!=""}').selectors[0]
    assert exporter_of(sel, known).name == "cadvisor"
    assert exporter_of(analyze('x{job="kubelet"}').selectors[0], known).name == "loose"
    own = exporter_of(analyze('x{job="other", a="b"}').selectors[0], known)
    assert (own.configured, own.title) == (False, '{job="other"}')
    assert exporter_of(analyze("x").selectors[0], known) is None
