"""The relay's Prometheus metrics, in a registry of its own (one per relay instance).

Queue depth and oldest age are read from the workers at scrape time, so they are exact and
cost nothing between scrapes.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _QueueCollector:
    def __init__(self, queues: Callable[[], Iterable[tuple[str, int, float | None]]]):
        self._queues = queues

    def collect(self):
        depth = GaugeMetricFamily("relay_queue_depth", "Notifications waiting for delivery, per target.", labels=["target"])
        age = GaugeMetricFamily("relay_queue_oldest_age_seconds",
                                "Age of the oldest notification waiting for delivery, per target (0 when empty).",
                                labels=["target"])
        now = time.time()
        for target, size, oldest in self._queues():
            depth.add_metric([target], size)
            age.add_metric([target], max(0.0, now - oldest) if oldest is not None else 0.0)
        yield depth
        yield age


class Metrics:
    def __init__(self) -> None:
        disable_created_metrics()  # *_created series only double the exposition here
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("relay_http_requests", "Inbound POST /alerts requests by answer code.", ["code"], registry=r)
        self.received = Counter("relay_notifications_received", "Valid notifications received (before dedupe).", registry=r)
        self.stored = Counter("relay_notifications_stored", "Notifications committed to the store.", registry=r)
        self.unknown_route = Counter("relay_unknown_route_notifications",
                                     "Notifications posted to /alerts/<route> for a route relay.yaml does not name, "
                                     "delivered to the default targets.", ["route"], registry=r)
        self.duplicates = Counter("relay_notifications_duplicate",
                                  "Notifications dropped as a repeat of one seen within dedup_window.", registry=r)
        self.heartbeats = Counter("relay_heartbeats_received", "Heartbeat (Watchdog) notifications received.", registry=r)
        self.delivered = Counter("relay_deliveries_delivered", "Notifications the target confirmed.", ["target"], registry=r)
        self.failed = Counter("relay_deliveries_failed",
                              "Notifications given up (moved to dead letters), by reason: permanent, expired, build.",
                              ["target", "reason"], registry=r)
        self.summarised = Counter("relay_notifications_summarised",
                                  "Notifications a target's last message within show_within only counted (and "
                                  "linked): the rate budget could not show them in time.", ["target"], registry=r)
        self.retried = Counter("relay_delivery_retries", "Delivery attempts that will be retried.", ["target"], registry=r)
        self.messages = Counter("relay_messages_sent", "Messages sent to targets (a digest counts once), by answer.",
                                ["target", "outcome"], registry=r)
        self.digested = Counter("relay_notifications_digested",
                                "Notifications delivered inside a digest of several.", ["target"], registry=r)
        self.latency = Histogram("relay_delivery_latency_seconds",
                                 "From acknowledgement to the target's confirmation.", ["target"],
                                 buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
                                 registry=r)
        self.heartbeat_missing = Gauge("relay_heartbeat_missing",
                                       "1 while the heartbeat alert is overdue (pipeline broken).", registry=r)
        self.heartbeat_last_seen = Gauge("relay_heartbeat_last_seen_timestamp_seconds",
                                         "When the heartbeat alert last arrived.", registry=r)
        self.commit_seconds = Histogram("relay_store_commit_seconds",
                                        "Time of one group commit to the store (BEGIN to COMMIT with its fsync); "
                                        "every acknowledgement in the group waited for it.",
                                        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
                                        registry=r)
        self.lease_held = Gauge("relay_target_lease_held",
                                "1 while this replica holds the target's lease and delivers it (a store several "
                                "replicas share; exactly one replica has 1 per target).", ["target"], registry=r)
        self.config_reloads = Counter("relay_config_reloads", "SIGHUP reloads by result.", ["result"], registry=r)

    def watch_queues(self, queues: Callable[[], Iterable[tuple[str, int, float | None]]]) -> None:
        self.registry.register(_QueueCollector(queues))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
