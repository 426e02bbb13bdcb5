"""out/ as shipped, live, on loopback: fixture exporter -> Prometheus -> Alertmanager -> relay
-> chat contract servers.

What runs is what a team applies (tests/support/shipped.py), changed only in addresses, secrets and
timings:
  - Prometheus 2.42 (tools/bin) loads the committed out/rules/*.yaml, with the `for` of the
    alerts the problems set off cut to seconds (and two range windows, so they resolve in
    seconds), scraping tests/support/fixture_exporter.py every second and sending to
  - Alertmanager 0.25 (tools/bin) with the committed out/alertmanager/alertmanager.yaml, its
    receivers' host pointed at the relay, the token file at the test's, its timings short,
  - the relay (`python -m relay`) with the relay.yaml inside the committed
    out/relay/configmap.yaml, listening on loopback, its store in the test's folder, its
    *_env secrets set to contract servers (tests/support/chatfakes.py) of the targets' kinds.

The fixture's problems set off one alert of every routing area: the host, core components,
core applications, middleware, cluster-wide (the default route), critical and info. Where each alert must
go is written down here from the README's routing table (area by catalog module, then
severity) as an Alertmanager receiver; which chat targets that receiver reaches is what the
shipped relay.yaml says for its route. So a receiver whose route the relay configuration lacks
fails this test: its alerts would reach the default targets, with a warning the test reads.

A failed wait says which stage is missing what: Prometheus (ALERTS), Alertmanager (its API),
the relay (its log) or the chat server (what it accepted). Waits are bounded (STEP_TIMEOUT) so
a broken stage fails instead of hanging; nothing asserts how long a stage took
(bench/README.md has the test's duration).
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from pathlib import Path
from typing import Callable
from urllib.parse import unquote

import pytest
import yaml

import support.shipped as shipped
from support.chatfakes import DingTalkFake, WeComFake
from support.fixture_exporter import (BUSY_KUBELET_NODE, CONNTRACK_NODE, CRASHLOOP_POD, DISK_NODE, ETCD_PORT, MEMORY_POD,
                              NO_LEADER_NODE, NODE_EXPORTER_PORT, QUOTA, REDIS_INSTANCE, THROTTLED_POD, FixtureExporter)
from support.live import running_alertmanager, running_prometheus
from support.relay_support import RelayProcess

# live: runs Prometheus, Alertmanager and the relay process end to end; `pytest -m "not live"` skips it
pytestmark = pytest.mark.live

STEP_TIMEOUT = 45.0  # seconds any one stage may take before the test fails; not a measurement
POLL = 0.2
TOKEN = "e2e-relay-token-5d1f"  # Alertmanager -> relay
DT_SECRET = "SEC-e2e-dingtalk-signing"
# The relay's heartbeat: longer than Watchdog's repeat below (~3 s) and than the time from the
# relay's start to the first Watchdog (about 7 s here). Should a slow machine take longer, the
# heartbeat target gets a "broken" page at start-up and its recovery, which the tests allow.
MISSING_AFTER_S = 15

# Timings only. Why each: a real `for` is minutes; KubePodCrashLooping's max_over_time and
# CPUThrottlingHigh's increase look back 5m, which would keep them firing for five minutes
# after the fault; NodeFilesystemAlmostOutOfSpace fires before its warning twin (1s < 4s) and
# keeps firing 5 s after the disk recovers, so the twin is inhibited for its whole life, as it
# is with the real 60m `for`s and a disk that fills over hours.
FOR = {"KubePodCrashLooping": "2s", "PodMemory75": "2s", "NodeFilesystemAlmostOutOfSpace": "1s",
       "NodeFilesystemSpaceFillingUp": "4s", "etcdNoLeader": "2s", "NodeHighNumberConntrackEntriesUsed": "2s",
       "KubeletTooManyPods": "2s", "KubeQuotaExceeded": "2s", "CPUThrottlingHigh": "2s",
       "RedisOutOfConfiguredMaxmemory": "2s"}
KEEP_FIRING_FOR = {"NodeFilesystemAlmostOutOfSpace": "5s"}
WINDOWS = {"KubePodCrashLooping": ("[5m]", "[10s]"), "CPUThrottlingHigh": ("[5m]", "[10s]")}
# one firing and one resolved message per alert: nothing repeats within the test; Watchdog
# comes again every ~3 s (2 s rounded up to group_interval ticks), well inside missing_after
FAST = {"group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"}
HEARTBEAT = {"group_wait": "0s", "group_interval": "1s", "repeat_interval": "2s"}


@dataclasses.dataclass(frozen=True)
class Expected:
    """One injected problem's alert: the receiver the routing must send it to, and what identifies it."""

    alert: str
    problem: str
    severity: str
    receiver: str  # the area's Alertmanager receiver (README's routing table)
    labels: dict  # labels the alert must carry (its object)


DISK_INSTANCE = f"{DISK_NODE.ip}:{NODE_EXPORTER_PORT}"

# README's routing table: nodes -> host; apiserver, etcd, ..., group kubelet -> core-components;
# pods, workloads, storage -> core-apps; mysql, postgres, redis, kafka -> middleware;
# everything else (resources) -> cluster; inside each
# area critical -> critical and info -> info.
EXPECTED = [
    Expected("NodeHighNumberConntrackEntriesUsed", "conntrack_full", "warning", "host",
             {"instance": f"{CONNTRACK_NODE.ip}:{NODE_EXPORTER_PORT}"}),
    Expected("KubeletTooManyPods", "too_many_pods", "warning", "core-components", {"node": BUSY_KUBELET_NODE.name}),
    Expected("KubePodCrashLooping", "crashloop", "warning", "core-apps",
             {"namespace": CRASHLOOP_POD.namespace, "pod": CRASHLOOP_POD.name, "container": "app"}),
    Expected("PodMemory75", "memory_pressure", "warning", "core-apps",
             {"namespace": MEMORY_POD.namespace, "pod": MEMORY_POD.name}),
    Expected("RedisOutOfConfiguredMaxmemory", "redis_memory_full", "warning", "middleware",
             {"instance": REDIS_INSTANCE, "job": "redis"}),
    Expected("KubeQuotaExceeded", "quota_exceeded", "warning", "cluster",
             {"namespace": QUOTA[0], "resourcequota": QUOTA[1], "resource": "requests.cpu"}),
    Expected("NodeFilesystemAlmostOutOfSpace", "disk_full", "critical", "critical",
             {"instance": DISK_INSTANCE, "mountpoint": "/", "device": "/dev/sda1"}),
    Expected("etcdNoLeader", "etcd_no_leader", "critical", "critical",
             {"instance": f"{NO_LEADER_NODE.ip}:{ETCD_PORT}", "job": "etcd"}),
    Expected("CPUThrottlingHigh", "cpu_throttling", "info", "info",
             {"namespace": THROTTLED_POD.namespace, "pod": THROTTLED_POD.name, "container": "app"}),
]
AREAS = {"host", "core-components", "core-apps", "middleware", "cluster", "critical", "info"}
assert {e.receiver for e in EXPECTED} == AREAS  # one alert of every routing area
# fires with disk_full (same filesystem), routed to `host`, silenced by its critical twin above
INHIBITED = Expected("NodeFilesystemSpaceFillingUp", "disk_full", "warning", "host",
                     {"instance": DISK_INSTANCE, "mountpoint": "/", "device": "/dev/sda1"})
SOURCE_OF_INHIBITION = "NodeFilesystemAlmostOutOfSpace"


def wait_until(what: str, check: Callable[[], object], seen: Callable[[], object], timeout: float = STEP_TIMEOUT):
    """check() until truthy (returned); else fail with `what` and what was seen instead."""
    end = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > end:
            raise AssertionError(f"{what} after {timeout:g} s; {seen()}")
        time.sleep(POLL)


# --- out/ as shipped, with its secrets pointing at contract servers ----------------------------


def chat_fakes(relay: dict) -> dict[str, DingTalkFake | WeComFake]:
    """A contract server per target of the shipped relay.yaml, of its kind."""
    fakes = {}
    for name, target in relay["targets"].items():
        assert target["kind"] in ("dingtalk", "wecom"), \
            f"target {name}: this test reads DingTalk and WeCom messages; add the kind {target['kind']!r} here"
        assert set(target) <= {"kind", "url_env", "secret_env", "mobiles", "at_all", "timezone"}, \
            f"target {name}: give the new keys {sorted(target)} a value here"
        fakes[name] = (DingTalkFake(token=f"dt-{name}", secret=DT_SECRET if "secret_env" in target else None)
                       if target["kind"] == "dingtalk" else WeComFake(key=f"wc-{name}"))
    return fakes


def secrets(relay: dict, fakes: dict) -> dict[str, str]:
    """The relay's *_env secrets, pointing at the (started) contract servers."""
    env = {relay["auth"]["bearer_token_env"]: TOKEN}
    for name, target in relay["targets"].items():
        env[target["url_env"]] = fakes[name].url
        if "secret_env" in target:
            env[target["secret_env"]] = DT_SECRET
    return env


@dataclasses.dataclass
class Pipeline:
    exporter: FixtureExporter
    prometheus: object  # live.Prometheus
    alertmanager: object  # live.Alertmanager
    relay: RelayProcess
    fakes: dict[str, DingTalkFake | WeComFake]
    rules: dict[str, dict]  # alert name -> its rule as shipped (annotation templates)
    routes: dict[str, list[str]]  # the shipped relay.yaml's routes: name -> targets
    heartbeat_targets: list[str]

    def targets_of(self, receiver: str) -> list[str]:
        """The chat targets the shipped relay configuration gives this receiver's route."""
        assert receiver in self.routes, (f"receiver {receiver}: the shipped relay.yaml has no route {receiver!r} "
                                         f"(routes: {sorted(self.routes)}): its alerts would reach the default targets")
        return self.routes[receiver]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    relay_cfg = shipped.relay_config()
    problems = shipped.contract_problems(shipped.receiver_paths(), relay_cfg)
    assert not problems, "out/ as committed breaks the receivers' contract with the relay:\n" + "\n".join(problems)
    fakes = chat_fakes(relay_cfg)
    relay = None
    try:
        for fake in fakes.values():
            fake.start()
        relay_cfg.update(listen="127.0.0.1:0", store=str(tmp / "relay.db"), retry={"initial": "200ms", "max": "1s"})
        relay_cfg["heartbeat"]["missing_after"] = f"{MISSING_AFTER_S}s"
        relay = RelayProcess(tmp, relay_cfg, extra_modules=(), env=secrets(relay_cfg, fakes))
        relay.start()

        (tmp / "token").write_text(TOKEN + "\n")
        am_config = tmp / "alertmanager.yaml"
        am_config.write_text(yaml.safe_dump(shipped.alertmanager_config(relay.url, tmp / "token", FAST, HEARTBEAT)))
        rule_files = shipped.write_rules(tmp / "rules", FOR, KEEP_FIRING_FOR, WINDOWS)
        with running_alertmanager(tmp / "am", str(am_config)) as am, FixtureExporter() as exporter:
            alerting = {"alertmanagers": [{"static_configs": [{"targets": [am.url.removeprefix("http://")]}]}]}
            with running_prometheus(
                    tmp / "prometheus", exporter.scrape_configs(), rule_files, extra_config={"alerting": alerting},
                    # firing alerts are re-sent every second: the first ones may come before
                    # Prometheus has discovered the Alertmanager and would wait the default 1m
                    extra_args=["--rules.alert.resend-delay=1s"]) as prom:
                yield Pipeline(exporter, prom, am, relay, fakes, shipped.alert_rules(), shipped.relay_routes(relay_cfg),
                               relay_cfg["heartbeat"]["targets"])
    finally:
        if relay is not None:
            relay.stop()
        for fake in fakes.values():
            fake.stop()


# --- reading each stage ---------------------------------------------------------------------


def firing_in_prometheus(prom) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for sample in prom.api("query", query='ALERTS{alertstate="firing"}')["result"]:
        labels = sample["metric"]
        out.setdefault(labels["alertname"], []).append(labels)
    return out


def alertmanager_alerts(am) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for alert in am.alerts():
        out.setdefault(alert["labels"]["alertname"], []).append(alert)
    return out


@dataclasses.dataclass
class ChatAlert:
    """One alert as a chat message shows it (the default templates of dingtalk and wecom)."""

    status: str  # FIRING / RESOLVED
    name: str
    severity: str
    summary: str
    links: dict[str, str]
    text: str


_DINGTALK_HEAD = re.compile(r"^\*\*(?:🔥|✅) (FIRING|RESOLVED) · (\S+)\*\*(?: · (\w+))?$", re.M)
_WECOM_HEAD = re.compile(r'^<font color="\w+">(FIRING|RESOLVED)</font> \*\*(\S+)\*\*(?: · (\w+))?$', re.M)
_LINK = re.compile(r"\[(\w+)\]\(([^)\s]+)\)")


def chat_alerts(message: dict) -> list[ChatAlert]:
    """Split a DingTalk or WeCom markdown message into its alerts."""
    if "title" in message["markdown"]:  # DingTalk markdown has a title, WeCom's has not
        text, head = message["markdown"]["text"], _DINGTALK_HEAD
    else:
        text, head = message["markdown"]["content"], _WECOM_HEAD
    starts = list(head.finditer(text))
    out = []
    for i, m in enumerate(starts):
        block = text[m.end(): starts[i + 1].start() if i + 1 < len(starts) else len(text)]
        quoted = [line[2:].strip() for line in block.splitlines() if line.startswith("> ")]
        out.append(ChatAlert(m.group(1), m.group(2), m.group(3) or "", quoted[0] if quoted else "",
                             dict(_LINK.findall(block)), block))
    return out


def received(fakes, target: str) -> list[ChatAlert]:
    return [a for message in list(fakes[target].accepted) for a in chat_alerts(message)]


def everything_received(fakes) -> dict[str, list[str]]:
    return {name: [f"{a.status} {a.name}" for a in received(fakes, name)] for name in fakes}


def relay_received(relay: RelayProcess) -> list[str]:
    """What reached the relay: `route: group labels status (result)`, from its log."""
    return [f"{e.get('route')}: {str(e.get('group_key')).rpartition('}:')[2]} {e.get('status')} ({e.get('result')})"
            for e in relay.logs() if e.get("msg") == "received"]


def expand(template: str, labels: dict) -> str:
    """What Prometheus makes of an annotation that only reads `{{ $labels.x }}`."""
    return re.sub(r"\{\{\s*\$labels\.(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), template)


def received_by_relay(relay: RelayProcess) -> list[dict]:
    return [e for e in relay.logs() if e.get("msg") == "received"]


def check_message(alert: ChatAlert, exp: Expected, status: str, rule: dict, am) -> None:
    where = f"{exp.alert} ({status})"
    assert (alert.name, alert.severity) == (exp.alert, exp.severity), where
    assert alert.summary == rule["annotations"]["summary"], f"{where}: summary {alert.summary!r}"
    for value in exp.labels.values():
        assert value in alert.text, f"{where}: the object's label value {value!r} is not shown:\n{alert.text}"
    assert alert.links.get("Runbook") == rule["annotations"]["runbook_url"], f"{where}: {alert.links}"
    if "dashboard_url" in rule["annotations"]:
        assert alert.links.get("Dashboard") == expand(rule["annotations"]["dashboard_url"], exp.labels), \
            f"{where}: {alert.links}"
        assert "{{" not in alert.links["Dashboard"], alert.links
    silence = alert.links.get("Silence", "")
    assert silence.startswith(f"{am.url}/#/silences/new?filter="), f"{where}: {alert.links}"
    matchers = unquote(silence.split("filter=", 1)[1])
    for key, value in {"alertname": exp.alert, "severity": exp.severity, **exp.labels}.items():
        assert f'{key}="{value}"' in matchers, f"{where}: silence filter {matchers}"
    assert "/graph?g0.expr=" in alert.links.get("Source", ""), f"{where}: {alert.links}"


# --- the tests ------------------------------------------------------------------------------


def test_every_area_reaches_its_chat_target_inhibited_twin_stays_quiet_then_resolve(pipeline):
    prom, am, relay, fakes, exporter = pipeline.prometheus, pipeline.alertmanager, pipeline.relay, pipeline.fakes, \
        pipeline.exporter
    everything = lambda: (f"Prometheus ALERTS firing: {sorted(firing_in_prometheus(prom))}; "  # noqa: E731
                          f"relay received: {relay_received(relay)}; chat: {everything_received(fakes)}")
    where = {exp.alert: pipeline.targets_of(exp.receiver) for exp in EXPECTED}

    # 0. a quiet cluster: scraped, Alertmanager discovered, only Watchdog fires
    prom.wait_for_scrapes()
    wait_until("Prometheus has not discovered the Alertmanager",
               lambda: prom.api("alertmanagers")["activeAlertmanagers"], lambda: prom.api("alertmanagers"))
    wait_until("Prometheus has no firing Watchdog", lambda: "Watchdog" in firing_in_prometheus(prom), everything)
    assert set(firing_in_prometheus(prom)) == {"Watchdog"}, f"the healthy fixture already fires: {everything()}"

    # 1. switch every problem on
    exporter.set_problems(**{p: True for p in {e.problem for e in EXPECTED}})

    # 2. Prometheus fires each expected alert, for the expected object, and nothing else
    for exp in [*EXPECTED, INHIBITED]:
        wait_until(f"Prometheus has no firing {exp.alert} for {exp.labels}",
                   lambda: any(exp.labels.items() <= labels.items() and labels.get("severity") == exp.severity
                               for labels in firing_in_prometheus(prom).get(exp.alert, [])), everything)
    fired = firing_in_prometheus(prom)
    assert set(fired) == {"Watchdog", INHIBITED.alert, *(e.alert for e in EXPECTED)}, \
        f"unexpected alerts: {everything()}"
    assert all(len(v) == 1 for v in fired.values()), f"an alert fires for more than one object: {fired}"

    # 3. Alertmanager holds the warning twin as suppressed by its critical twin
    def twin_suppressed():
        by_name = alertmanager_alerts(am)
        twin, source = by_name.get(INHIBITED.alert, []), by_name.get(SOURCE_OF_INHIBITION, [])
        return (len(twin) == 1 and len(source) == 1 and twin[0]["status"]["state"] == "suppressed"
                and twin[0]["status"]["inhibitedBy"] == [source[0]["fingerprint"]])
    wait_until(f"Alertmanager does not show {INHIBITED.alert} inhibited by {SOURCE_OF_INHIBITION}", twin_suppressed,
               lambda: [(a["labels"]["alertname"], a["status"]) for a in am.alerts()])

    # 4. each alert arrives once, firing, at each chat target of its receiver's route, with its
    # summary and links, having reached the relay on that route
    for exp in EXPECTED:
        for target in where[exp.alert]:
            wait_until(f"{exp.alert} (receiver {exp.receiver}) has not arrived firing at chat target {target!r}",
                       lambda: any(a.name == exp.alert and a.status == "FIRING" for a in received(fakes, target)),
                       everything)
    for exp in EXPECTED:
        routes = {e["route"] for e in received_by_relay(relay) if f'alertname="{exp.alert}"' in e["group_key"]}
        assert routes == {exp.receiver}, f"{exp.alert} reached the relay on {routes}, not /alerts/{exp.receiver}"
        for target in where[exp.alert]:
            arrived = [a for a in received(fakes, target) if a.name == exp.alert]
            assert len(arrived) == 1, f"{exp.alert} arrived {len(arrived)} times at {target!r}: {everything()}"
            check_message(arrived[0], exp, "FIRING", pipeline.rules[exp.alert], am)

    # 5. switch the problems off: Prometheus resolves, each target gets the resolved message
    exporter.set_problems(**{p: False for p in {e.problem for e in EXPECTED}})
    for exp in EXPECTED:
        for target in where[exp.alert]:
            wait_until(f"no RESOLVED {exp.alert} at chat target {target!r}",
                       lambda: any(a.name == exp.alert and a.status == "RESOLVED" for a in received(fakes, target)),
                       everything)
    wait_until("Prometheus still fires more than Watchdog", lambda: set(firing_in_prometheus(prom)) == {"Watchdog"},
               everything)
    for exp in EXPECTED:
        for target in where[exp.alert]:
            resolved = [a for a in received(fakes, target) if a.name == exp.alert and a.status == "RESOLVED"]
            assert len(resolved) == 1, f"{exp.alert}: {everything()}"
            check_message(resolved[0], exp, "RESOLVED", pipeline.rules[exp.alert], am)

    # 6. nothing else reached anyone: one firing and one resolved message per alert, at its
    # targets only; the inhibited twin nowhere; no Watchdog anywhere; no route the relay lacked
    for name in fakes:
        want = sorted(f"{s} {e.alert}" for e in EXPECTED if name in where[e.alert] for s in ("FIRING", "RESOLVED"))
        got = sorted(f"{a.status} {a.name}" for a in received(fakes, name) if a.name != "AlertingPipelineBroken")
        assert got == want, f"chat target {name!r} got other messages than expected: {everything()}"
    assert not [e for e in relay.logs() if e.get("level") == "warning" and "route" in e.get("msg", "")], relay.logs()
    assert not [k for k in relay.metrics() if k.startswith("relay_unknown_route_notifications_total")]
    # every request was accepted: DingTalk's signatures (checked by the fake), keys, sizes, rates
    for name, fake in fakes.items():
        assert all(json.loads(body)["errcode"] == 0 for _, body in fake.answers), f"{name}: {fake.answers}"


def test_watchdog_feeds_the_heartbeat_only(pipeline):
    """Watchdog reaches the relay on the heartbeat receiver (plain /alerts) and is recorded, never
    delivered; when Alertmanager stops, the heartbeat targets, and no other, hear that the
    pipeline is broken. Stops the pipeline's Alertmanager: keep this test last."""
    relay, fakes, am = pipeline.relay, pipeline.fakes, pipeline.alertmanager

    def heartbeats() -> list[dict]:
        return [e for e in received_by_relay(relay) if e.get("result") == "heartbeat"]

    wait_until("the relay has not received Watchdog twice from Alertmanager's heartbeat receiver",
               lambda: len(heartbeats()) >= 2, lambda: relay_received(relay))
    for entry in heartbeats():
        assert entry["route"] is None and "Watchdog" in entry["group_key"] and entry["targets"] == [], entry
    assert relay.metrics()["relay_heartbeat_missing"] == 0
    assert not [a for name in fakes for a in received(fakes, name) if a.name == "Watchdog"], everything_received(fakes)

    # the dead man's switch: no Watchdog any more -> "the alerting pipeline is broken"
    before = {name: len(fake.accepted) for name, fake in fakes.items()}
    am.stop()
    for target in pipeline.heartbeat_targets:
        wait_until(f"heartbeat target {target} got no AlertingPipelineBroken {MISSING_AFTER_S} s after Alertmanager stopped",
                   lambda: any(a.name == "AlertingPipelineBroken" and a.status == "FIRING"
                               for m in fakes[target].accepted[before[target]:] for a in chat_alerts(m)),
                   lambda: f"relay log: {relay.logs()[-5:]}; chat: {everything_received(fakes)}",
                   timeout=STEP_TIMEOUT + MISSING_AFTER_S)
    for name in set(fakes) - set(pipeline.heartbeat_targets):
        assert not [a for a in received(fakes, name) if a.name in ("Watchdog", "AlertingPipelineBroken")], \
            f"{name}: {everything_received(fakes)}"
