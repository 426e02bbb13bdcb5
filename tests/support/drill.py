"""What every drill checks, on a running shipped pipeline (support.pipeline): the cluster is quiet
before the fault; the fault's alert fires for the right object, nothing else fires, and it
reaches each chat target of its receiver exactly once; it resolves, within a bound of the
fault's removal read from Prometheus' own timestamps; an outage shorter than the alert's
`for` never pages.

    drill = Drill(pipeline)
    drill.quiet()
    drill.begin()
    t = drill.fault(lambda: cluster.stop(2))
    drill.pages(Page("etcdMembersDown", {"job": "etcd"}, "critical", value=1))
    t = drill.fault(lambda: cluster.start(2))
    drill.resolves(Page(...), since=t, bound_s=9)
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable

from support.pipeline import (Pipeline, chat_alerts, ever_firing, everything_received, firing_in_prometheus, received,
                              wait_until)

HEARTBEAT_ALERTS = {"Watchdog"}


@dataclasses.dataclass(frozen=True)
class Page:
    """One expected alert: its object's labels, the receiver the routing sends it to, its value."""

    alert: str
    labels: dict
    receiver: str
    value: float | None = None


class Drill:
    def __init__(self, pipeline: Pipeline, background: set[str] = frozenset()):
        self.p = pipeline
        # alerts the drill's healthy state fires by design, besides Watchdog (none, normally)
        self.background = set(background) | HEARTBEAT_ALERTS
        self.mark: dict[str, int] = {}  # chat target -> messages it had when this drill began

    @property
    def prom(self):
        return self.p.prometheus

    def quiet(self) -> None:
        """Every target scraped, the Alertmanager discovered, only the background firing."""
        self.prom.wait_for_scrapes()
        wait_until("Prometheus has not discovered the Alertmanager",
                   lambda: self.prom.api("alertmanagers")["activeAlertmanagers"], lambda: self.prom.api("alertmanagers"))
        wait_until(f"Prometheus does not fire the background {sorted(self.background)}",
                   lambda: self.background <= set(firing_in_prometheus(self.prom)), self.p.everything)
        firing = set(firing_in_prometheus(self.prom))
        assert firing == self.background, f"the healthy drill cluster already fires {firing - self.background}: " \
                                          f"{self.p.everything()}"

    def begin(self) -> None:
        """A new drill: "arrived once" counts the chat messages from here on."""
        self.mark = {name: len(fake.accepted) for name, fake in self.p.fakes.items()}

    def fault(self, action: Callable[[], object]) -> float:
        """Do it; the Unix time it was done (Prometheus' clock is this machine's)."""
        action()
        return time.time()

    def firing(self, page: Page) -> list[dict]:
        return [labels for labels in firing_in_prometheus(self.prom).get(page.alert, [])
                if page.labels.items() <= labels.items()]

    def pages(self, *pages: Page, also: set[str] = frozenset()) -> None:
        """Each page fires for its object (with its value) and arrives once, firing, at every
        chat target of its receiver; nothing else fires but `also` (alerts that are right but
        not this drill's subject, e.g. the no-leader alert when the quorum is lost)."""
        for page in pages:
            wait_until(f"Prometheus has no firing {page.alert} for {page.labels}", lambda: self.firing(page),
                       self.p.everything)
        firing = firing_in_prometheus(self.prom)
        expected = {pg.alert for pg in pages} | self.background | set(also)
        assert set(firing) <= expected, f"unexpected alerts {set(firing) - expected}: {self.p.everything()}"
        for page in pages:
            assert len(self.firing(page)) == 1, f"{page.alert} fires for more than one object: {firing[page.alert]}"
            if page.value is not None:  # the value Prometheus computed, as its alerts API shows it
                values = [float(a["value"]) for a in self.prom.api("alerts")["alerts"]
                          if a["labels"]["alertname"] == page.alert and a["state"] == "firing"]
                assert values == [page.value], f"{page.alert}: value {values}, expected {page.value}"
            for target in self.p.targets_of(page.receiver):
                wait_until(f"{page.alert} (receiver {page.receiver}) has not arrived firing at {target!r}",
                           lambda: self._arrived(target, page.alert, "FIRING"), self.p.everything)
                arrived = self._arrived(target, page.alert, "FIRING")
                assert len(arrived) == 1, f"{page.alert} arrived {len(arrived)} times at {target!r}: {self.p.everything()}"

    def resolves(self, *pages: Page, since: float, bound_s: float) -> None:
        """Each page stops firing in Prometheus at most `bound_s` after `since` (the fault's
        removal), read from ALERTS' samples, and its resolved message arrives once at every target."""
        for page in pages:
            wait_until(f"{page.alert} still fires after the fault was removed", lambda: not self.firing(page),
                       self.p.everything)
            last = self._last_firing(page, since)
            assert last is None or last - since <= bound_s, \
                f"{page.alert} kept firing {last - since:.1f} s after the fault was removed (bound {bound_s} s)"
            for target in self.p.targets_of(page.receiver):
                wait_until(f"no RESOLVED {page.alert} at {target!r}",
                           lambda: self._arrived(target, page.alert, "RESOLVED"), self.p.everything)
                assert len(self._arrived(target, page.alert, "RESOLVED")) == 1, self.p.everything()
                assert len(self._arrived(target, page.alert, "FIRING")) == 1, \
                    f"{page.alert} paged again at {target!r}: {self.p.everything()}"

    def never_pages(self, alert: str, since: float) -> None:
        """`alert` fired at no evaluation since `since`, and no chat target heard of it."""
        fired = ever_firing(self.prom, since)
        assert alert not in fired, f"{alert} fired after a fault shorter than its `for`: {fired[alert]}"
        heard = {name: [a for a in received(self.p.fakes, name) if a.name == alert] for name in self.p.fakes}
        assert not any(heard.values()), f"{alert} reached chat: {everything_received(self.p.fakes)}"

    def _arrived(self, target: str, alert: str, status: str) -> list:
        messages = list(self.p.fakes[target].accepted)[self.mark.get(target, 0):]
        return [a for m in messages for a in chat_alerts(m) if a.name == alert and a.status == status]

    def _last_firing(self, page: Page, since: float) -> float | None:
        matchers = ", ".join([f'alertname="{page.alert}"', 'alertstate="firing"',
                              *(f'{k}="{v}"' for k, v in page.labels.items())])
        result = self.prom.api("query_range", query=f"ALERTS{{{matchers}}}", start=since - 1, end=time.time(),
                               step="1s")["result"]
        stamps = [float(t) for series in result for t, _ in series["values"]]
        return max(stamps) if stamps else None
