"""Drill: a real 3-member etcd cluster (Debian's etcd 3.4) under the shipped pipeline.

The rest of the cluster is the fixture exporter's healthy cluster (so the API server,
kubelets, CoreDNS, ... are present and quiet); its fake etcd job is left out and the real
members are scraped as job "etcd" instead. Faults, in order (the tests share one cluster
and run in file order):
  1. one member stopped for less than etcdMembersDown's `for`: nothing pages;
  2. one member stopped: etcdMembersDown (1) pages the critical receiver, and resolves when
     the member is back, within the rule's window plus two evaluations (the bug this drill
     caught: the peers' failure rate used to carry the pending time over and page after
     recovery);
  3. two members stopped: the quorum is lost (etcdInsufficientMembers), the last member has
     no leader (etcdNoLeader), etcdMembersDown counts 2; all resolve when both are back.
Then: every series the etcd alerts read is exported by the real members, or the alert says
what it needs (`requires`); the etcd dashboard's panels return data.
Only timings differ from out/: the `for`s below, and etcdMembersDown's 2m window as 6s.
Every drill runs twice: the rules on Prometheus, then on vmalert over VictoriaMetrics.
"""

from __future__ import annotations

import time

import pytest

from support.dashboard_live import panels_without_data
from support.drill import Drill, Page
from support.etcd_cluster import etcd_cluster
from support.fixture_exporter import FixtureExporter
from support.exporter_metrics import exposed_names, unexported
from support.pipeline import Timings, shipped_pipeline, wait_until

pytestmark = [pytest.mark.live, pytest.mark.drill]

WINDOW_S = 6
FOR = {"etcdMembersDown": "8s", "etcdInsufficientMembers": "3s", "etcdNoLeader": "3s"}
TIMINGS = Timings(for_=FOR, windows={"etcdMembersDown": ("[2m]", f"[{WINDOW_S}s]")})
EVAL_S = 1  # tests/support/live.py: evaluation_interval 1s, scrape_interval 1s
RESOLVE_BOUND_S = WINDOW_S + 2 * EVAL_S + 1  # the window, two evaluations, one scrape


# The same drills with the rules on vmalert over VictoriaMetrics (README "Running the rules
# on VictoriaMetrics, Thanos or Mimir").
@pytest.fixture(scope="module", params=["prometheus", "vmalert"])
def drill(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"drill-etcd-{request.param}")
    with FixtureExporter() as exporter, etcd_cluster(tmp / "etcd") as cluster:
        scrapes = [c for c in exporter.scrape_configs() if c["job_name"] != "etcd"] + [cluster.scrape_config("etcd")]
        with shipped_pipeline(tmp, scrapes, TIMINGS, engine=request.param) as pipeline:
            d = Drill(pipeline)
            d.cluster = cluster
            d.quiet()
            yield d


def test_an_outage_shorter_than_for_never_pages(drill):
    drill.begin()
    start = drill.fault(lambda: drill.cluster.stop(2))
    time.sleep(5)  # under etcdMembersDown's `for` (8s), with room for a scrape and an evaluation either side
    drill.fault(lambda: drill.cluster.start(2))
    drill.cluster.wait_healthy()
    time.sleep(WINDOW_S + 3)  # the peer half's window passes: it would have taken the pending time over
    drill.never_pages("etcdMembersDown", start)


def test_one_member_down_pages_once_and_resolves_after_it_returns(drill):
    drill.begin()
    page = Page("etcdMembersDown", {"job": "etcd"}, "critical", value=1)
    drill.fault(lambda: drill.cluster.stop(1))
    drill.pages(page)
    back = drill.fault(lambda: drill.cluster.start(1))
    drill.cluster.wait_healthy()
    drill.resolves(page, since=back, bound_s=RESOLVE_BOUND_S)


def test_two_members_down_lose_the_quorum_and_the_leader(drill):
    drill.begin()
    survivor = drill.cluster.members[0]
    pages = [Page("etcdInsufficientMembers", {"job": "etcd"}, "critical", value=1),
             Page("etcdNoLeader", {"job": "etcd", "instance": survivor.instance}, "critical", value=0),
             Page("etcdMembersDown", {"job": "etcd"}, "critical", value=2)]
    drill.fault(lambda: (drill.cluster.stop(1), drill.cluster.stop(2)))
    drill.pages(*pages)
    back = drill.fault(lambda: (drill.cluster.start(1), drill.cluster.start(2)))
    drill.cluster.wait_healthy()
    drill.resolves(*pages, since=back, bound_s=RESOLVE_BOUND_S)


def test_every_series_the_etcd_alerts_read_is_exported_or_the_alert_says_what_it_needs(drill):
    cluster = drill.cluster
    # after the faults above (etcd creates a peer's failure counter at its first failure),
    # and a served write and read (the gRPC counters)
    cluster.put("drill/key", "v")
    cluster.get("drill/key")
    missing = unexported("etcd", exposed_names(cluster.members[0].client_url + "/metrics"))
    undocumented = {alert: names for alert, (names, requires) in missing.items() if not requires}
    assert not undocumented, f"etcd 3.4 with its default flags does not export what these alerts read: {undocumented}"
    assert set(missing) == {"etcdGRPCRequestsSlow"}, missing  # the one that needs --metrics=extensive


def test_the_etcd_dashboard_shows_the_real_cluster(drill):
    """Every panel has data, but those reading only series that etcd exports under a flag an
    alert `requires` (the gRPC latency histogram): their description must name the flag.

    A latency quantile has data only while its histogram moves: a client writes (WAL fsyncs,
    backend commits), and etcd observes the peer round trip every 30 s, so the check retries
    for one such period (VictoriaMetrics drops the NaN of a flat histogram, Prometheus keeps it)."""
    flagged = {name for names, requires in unexported("etcd", set()).values() if requires for name in names}
    exposed = exposed_names(drill.cluster.members[0].client_url + "/metrics")

    def behind_a_flag(q) -> bool:
        return bool(q.metrics - exposed) and q.metrics - exposed <= flagged and "--metrics=extensive" in q.description

    def unexplained_empty() -> list:
        drill.cluster.put("dashboard-drill", str(time.time()))
        # the failure panels have series once a request or a peer send failed, which the outages
        # above (or the members' start) may or may not have caused (no client but the drill's
        # health checks; the test may run alone): their descriptions say they are empty otherwise
        return [q for q in panels_without_data(drill.prom, "k8s-etcd")
                if not behind_a_flag(q) and "empty while" not in q.description.lower()]

    wait_until("etcd dashboard panels still without data from a real cluster", lambda: not unexplained_empty(),
               unexplained_empty, timeout=40)
    empty = panels_without_data(drill.prom, "k8s-etcd")
    assert [q.title for q in empty if behind_a_flag(q)] == ["gRPC latency, p99 (unary)"], empty


def test_the_etcd_dashboard_previews_from_the_live_prometheus(drill, tmp_path):
    """`python -m gen preview --prometheus URL` against the drill's live Prometheus (or
    VictoriaMetrics): the page draws in Chromium without a script error or a failed query, and
    the only empty panels are those that say why (behind etcd's --metrics=extensive, or
    "empty while" nothing fails). Latency quantiles need a write inside their window at one of
    the page's 1-minute steps (VictoriaMetrics aligns the steps to the minute and drops a flat
    histogram's NaN), so the preview is drawn again for up to two steps while a client writes."""
    import json
    import re
    from types import SimpleNamespace

    from gen.build import build
    from gen.config import Config
    from gen.preview import command, screenshot

    chromium = screenshot.find_chromium()
    if chromium is None:
        pytest.skip("chromium not installed (make setup installs Debian's chromium)")
    compiled, files = build(Config())
    panels = {str(p["id"]): p for p in json.loads(files["grafana/k8s-etcd.json"])["panels"] if p["type"] != "row"}
    args = SimpleNamespace(changed_since=None, dashboard=["k8s-etcd"], png=False, out=str(tmp_path), var=None,
                           prometheus=drill.prom.url)
    drawn = {}

    def unexplained() -> list[str]:
        drill.cluster.put("preview-drill", str(time.time()))
        assert command.run(args, compiled, files) == 0  # no query failed
        dom = screenshot.dump_dom(chromium, str(tmp_path / "k8s-etcd.html"))
        body = re.search(r"<body([^>]*)>", dom).group(1)
        assert 'data-rendered="ok"' in body and "data-errors" not in body, body
        drawn.update(re.findall(r'<section class="panel"[^>]*data-panel-id="(\d+)"[^>]*data-panel-state="([a-z]+)"', dom))
        assert set(drawn) == set(panels)
        return [panels[pid]["title"] for pid, state in drawn.items() if state != "data"
                and not re.search(r"--metrics=extensive|empty while", panels[pid].get("description", ""), re.I)]

    wait_until("etcd preview panels without data from the live Prometheus", lambda: not unexplained(),
               lambda: (unexplained(), drawn), timeout=130)
