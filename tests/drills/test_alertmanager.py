"""Drill: Alertmanager stopped under the shipped pipeline, Prometheus and Alertmanager scraping
themselves (jobs "prometheus" and "alertmanager", as the monitoring alerts' selectors read
them), next to the fixture exporter's healthy cluster.

While Alertmanager is down nothing it would route can reach anyone: Prometheus fires
PrometheusErrorSendingAlertsToAnyAlertmanager (it cannot deliver it), and the relay, which
no longer hears Watchdog, pages its heartbeat targets "the alerting pipeline is broken",
once. When Alertmanager is back, Prometheus hands it the alert that fired meanwhile, so the
team learns that alerts were lost (it pages the critical receiver and resolves when the
errors leave its window), and the heartbeat targets hear the pipeline has recovered.
Only timings differ from out/: the alert's `for` and its 5m windows (as 10s).
"""

from __future__ import annotations

import time

import pytest

from support.drill import Drill, Page
from support.fixture_exporter import FixtureExporter
from support.pipeline import Timings, chat_alerts, shipped_pipeline, wait_until

pytestmark = [pytest.mark.live, pytest.mark.drill]

ALERT = "PrometheusErrorSendingAlertsToAnyAlertmanager"
WINDOW_S = 10
MISSING_AFTER_S = 15
TIMINGS = Timings(for_={ALERT: "3s"}, windows={ALERT: ("[5m]", f"[{WINDOW_S}s]")}, missing_after_s=MISSING_AFTER_S)


@pytest.fixture(scope="module")
def drill(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("drill-alertmanager")
    with FixtureExporter() as fixture, shipped_pipeline(tmp, fixture.scrape_configs(), TIMINGS) as pipeline:
        prom, am = pipeline.prometheus, pipeline.alertmanager
        # Prometheus and Alertmanager scrape themselves: reload Prometheus with two more jobs
        selves = [{"job_name": "prometheus", "scrape_interval": "1s",
                   "static_configs": [{"targets": [prom.url.removeprefix("http://")]}]},
                  {"job_name": "alertmanager", "scrape_interval": "1s",
                   "static_configs": [{"targets": [am.url.removeprefix("http://")]}]}]
        prom.add_scrape_configs(selves)
        d = Drill(pipeline)
        d.quiet()
        yield d


def _heard(drill: Drill, target: str, status: str) -> list:
    messages = list(drill.p.fakes[target].accepted)[drill.mark.get(target, 0):]
    return [a for m in messages for a in chat_alerts(m) if a.name == "AlertingPipelineBroken" and a.status == status]


def test_alertmanager_down_fires_in_prometheus_and_the_heartbeat_pages_once_then_recovers(drill):
    am, prom = drill.p.alertmanager, drill.prom
    drill.begin()
    drill.fault(am.stop)
    wait_until(f"Prometheus does not fire {ALERT} with its Alertmanager down",
               lambda: drill.firing(Page(ALERT, {"job": "prometheus"}, "critical")), drill.p.everything)
    for target in drill.p.heartbeat_targets:
        wait_until(f"heartbeat target {target} not told the pipeline is broken", lambda: _heard(drill, target, "FIRING"),
                   drill.p.everything, timeout=45 + MISSING_AFTER_S)
    time.sleep(3)  # the relay keeps it to one page while the pipeline stays broken
    for target in drill.p.heartbeat_targets:
        assert len(_heard(drill, target, "FIRING")) == 1, drill.p.everything()
    # nobody heard anything else: nothing could be routed
    for name, fake in drill.p.fakes.items():
        other = [a.name for m in list(fake.accepted)[drill.mark.get(name, 0):] for a in chat_alerts(m)
                 if a.name != "AlertingPipelineBroken"]
        assert not other, f"{name} heard {other} while Alertmanager was down"

    back = drill.fault(am.start)
    page = Page(ALERT, {"job": "prometheus"}, "critical")
    drill.pages(page)  # handed to Alertmanager once it is back: the team learns alerts were lost
    for target in drill.p.heartbeat_targets:
        wait_until(f"heartbeat target {target} not told the pipeline recovered",
                   lambda: _heard(drill, target, "RESOLVED"), drill.p.everything, timeout=45 + MISSING_AFTER_S)
    drill.resolves(page, since=back, bound_s=WINDOW_S + 2 + 1)
