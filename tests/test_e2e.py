"""The whole pipeline, live, on loopback: fixture exporter -> Prometheus -> Alertmanager -> relay
-> chat contract servers.

What runs (every process started here and stopped, by process group, however the test ends):
  - tests/fixture_exporter.py, a fake cluster with four switchable problems;
  - Prometheus 2.42 (tools/bin) scraping it every second, evaluating every second the plain rule
    files of a `python -m gen build` made with e2e_settings() below (short `for`s), and sending to
  - Alertmanager 0.25 (tools/bin) with that build's generated alertmanager.yaml (timings
    shortened through monitoring.yaml's `alertmanager.timings`, never by editing the file),
    posting with a bearer token to
  - the relay (`python -m gen relay`), whose routes are the relay routes the routing's
    receivers post to, delivering to DingTalk (signed) and WeCom contract servers
    (tests/chatfakes.py), one per relay route so a message's arrival says which route it took.

Where each problem must arrive is written down here from the README's routing table (area by
catalog module, then severity), not taken from the generated configuration. A failed wait
says which stage is missing what: Prometheus (ALERTS), Alertmanager (its API), the relay (its
log) or the chat server (what it accepted).

Waits are bounded (STEP_TIMEOUT) so a broken stage fails instead of hanging; nothing asserts how
long a stage took (bench/README.md has the test's duration).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Callable
from urllib.parse import unquote

import pytest
import yaml

from chatfakes import DingTalkFake, WeComFake
from fixture_exporter import CRASHLOOP_POD, DISK_NODE, MEMORY_POD, NO_LEADER_NODE, NODE_EXPORTER_PORT, ETCD_PORT, \
    FixtureExporter
from live import free_port, running_prometheus
from relay_support import RelayProcess

ROOT = Path(__file__).resolve().parent.parent
ALERTMANAGER = os.environ.get("ALERTMANAGER", str(ROOT / "tools" / "bin" / "alertmanager"))
STEP_TIMEOUT = 45.0  # seconds any one stage may take before the test fails; not a measurement
POLL = 0.2

RUNBOOKS = "https://runbooks.e2e.example/docs/runbooks"
GRAFANA = "https://grafana.e2e.example"
TOKEN = "e2e-relay-token-5d1f"  # Alertmanager -> relay
DT_SECRET = "SEC-e2e-dingtalk-signing"
# The relay's heartbeat: longer than Watchdog's repeat below (~3 s) and than the time from the
# relay's start to the first Watchdog (about 7 s here). Should a slow machine take longer, the
# heartbeat target gets a "broken" page at start-up and its recovery, which the tests allow.
MISSING_AFTER_S = 15


def e2e_settings(relay_url: str, token_file: Path) -> dict:
    """The TEST monitoring.yaml: the catalog's alerts and routing, with `for`s and Alertmanager
    timings shortened so the whole cycle takes seconds.

    Why each change: KubePodCrashLooping's max_over_time window (5m) would keep it firing for
    five minutes after the pod recovers; NodeFilesystemAlmostOutOfSpace fires before its warning
    twin (1s < 4s) and keeps firing 5 s after the disk recovers, so the twin is inhibited for
    its whole life, as it is with the real 60m `for`s and a disk that fills over hours.
    """
    fast = {"group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"}
    return {
        "scrape_interval": "1s",
        "runbook_url_base": RUNBOOKS,
        "grafana_url": GRAFANA,
        "alerts": {
            "KubePodCrashLooping": {"for": "2s", "window": "10s"},
            "PodMemory75": {"for": "2s"},
            "NodeFilesystemAlmostOutOfSpace": {"for": "1s", "keep_firing_for": "5s"},
            "NodeFilesystemSpaceFillingUp": {"for": "4s"},
            "etcdNoLeader": {"for": "2s"},
        },
        "alertmanager": {
            "relay_url": relay_url,
            "credentials_file": str(token_file),
            "timings": {
                # Watchdog comes again every ~3 s (2 s rounded up to group_interval ticks), well inside missing_after
                "heartbeat": {"group_wait": "0s", "group_interval": "1s", "repeat_interval": "2s"},
                # one firing and one resolved message per alert: nothing repeats within the test
                "critical": fast, "warning": fast, "info": fast,
            },
        },
    }


# The chat targets, one per relay route (README "Alert routing": the receivers post to
# <relay_url>/alerts/<route>), and the heartbeat's own target, which is nobody's chat.
PERSON_TARGETS = {
    # relay route: (target name, kind)
    "critical": ("oncall", "dingtalk"),
    "core-components": ("platform", "dingtalk"),
    "host": ("infra", "wecom"),
    "core-apps": ("apps", "wecom"),
    "cluster": ("cluster", "wecom"),
    "info": ("low-noise", "wecom"),
}
HEARTBEAT_TARGET = ("pipeline", "wecom")


@dataclasses.dataclass(frozen=True)
class Expected:
    """One injected problem's alert: where the routing must send it and what identifies it."""

    alert: str
    problem: str
    severity: str
    target: str  # chat target name (PERSON_TARGETS)
    labels: dict  # labels the alert must carry (its object)


DISK_INSTANCE = f"{DISK_NODE.ip}:{NODE_EXPORTER_PORT}"
ETCD_INSTANCE = f"{NO_LEADER_NODE.ip}:{ETCD_PORT}"

# README's routing table: pods -> core-apps; nodes -> host; etcd -> core-components; inside
# each area critical -> the `critical` route (on-call).
EXPECTED = [
    Expected("KubePodCrashLooping", "crashloop", "warning", "apps",
             {"namespace": CRASHLOOP_POD.namespace, "pod": CRASHLOOP_POD.name, "container": "app"}),
    Expected("PodMemory75", "memory_pressure", "warning", "apps",
             {"namespace": MEMORY_POD.namespace, "pod": MEMORY_POD.name}),
    Expected("NodeFilesystemAlmostOutOfSpace", "disk_full", "critical", "oncall",
             {"instance": DISK_INSTANCE, "mountpoint": "/", "device": "/dev/sda1"}),
    Expected("etcdNoLeader", "etcd_no_leader", "critical", "oncall", {"instance": ETCD_INSTANCE, "job": "etcd"}),
]
# fires with disk_full (same filesystem), routed to `host`, silenced by its critical twin above
INHIBITED = Expected("NodeFilesystemSpaceFillingUp", "disk_full", "warning", "infra",
                     {"instance": DISK_INSTANCE, "mountpoint": "/", "device": "/dev/sda1"})
SOURCE_OF_INHIBITION = "NodeFilesystemAlmostOutOfSpace"


# --- processes ---------------------------------------------------------------------------------


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


def stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM to the process group (start_new_session), SIGKILL if it lingers."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        except ProcessLookupError:
            pass


@dataclasses.dataclass
class Alertmanager:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def alerts(self) -> list[dict]:
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts", timeout=10) as resp:
            return json.loads(resp.read())


def start_alertmanager(tmp: Path, config: Path) -> Alertmanager:
    assert os.path.exists(ALERTMANAGER), f"{ALERTMANAGER} missing: run `make setup` (or set ALERTMANAGER)"
    # the Makefile's alertmanager copy reads its default template from ./am-share
    (tmp / "am-share").symlink_to(ROOT / "tools" / "root" / "usr" / "share" / "prometheus" / "alertmanager")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp / "alertmanager.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([ALERTMANAGER, f"--config.file={config}", f"--storage.path={tmp / 'am-data'}",
                                 f"--web.listen-address=127.0.0.1:{port}", f"--web.external-url={url}",
                                 "--cluster.listen-address=", "--log.level=info"],
                                cwd=tmp, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    am = Alertmanager(url, proc, log_path)

    def ready() -> bool:
        assert proc.poll() is None, f"alertmanager exited with {proc.returncode}:\n{am.log()}"
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as resp:
                return resp.status == 200
        except OSError:
            return False

    try:
        wait_until("Alertmanager not ready", ready, am.log)
    except BaseException:
        stop_group(proc)
        raise
    return am


def relay_config(tmp: Path, fakes: dict[str, DingTalkFake | WeComFake]) -> dict:
    targets = {}
    for name, fake in fakes.items():
        url_file = tmp / f"{name}.url"
        url_file.write_text(fake.url + "\n")
        targets[name] = {"kind": "dingtalk" if isinstance(fake, DingTalkFake) else "wecom", "url_file": str(url_file)}
        if isinstance(fake, DingTalkFake):
            targets[name]["secret_file"] = str(tmp / "dingtalk.secret")
    (tmp / "dingtalk.secret").write_text(DT_SECRET + "\n")
    return {
        "listen": "127.0.0.1:0",
        "store": str(tmp / "relay.db"),
        "retry": {"initial": "200ms", "max": "1s"},
        "auth": {"bearer_token_file": str(tmp / "token")},
        "targets": targets,
        "routes": [{"name": route, "targets": [target]} for route, (target, _) in PERSON_TARGETS.items()],
        "default_targets": [],
        "heartbeat": {"alertname": "Watchdog", "missing_after": f"{MISSING_AFTER_S}s",
                      "targets": [HEARTBEAT_TARGET[0]]},
    }


@dataclasses.dataclass
class Pipeline:
    exporter: FixtureExporter
    prometheus: object  # live.Prometheus
    alertmanager: Alertmanager
    relay: RelayProcess
    fakes: dict[str, DingTalkFake | WeComFake]
    rules: dict[str, dict]  # alert name -> its rule as built (annotations templates)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    fakes: dict[str, DingTalkFake | WeComFake] = {}
    for name, kind in [*PERSON_TARGETS.values(), HEARTBEAT_TARGET]:
        fakes[name] = (DingTalkFake(token=f"dt-{name}", secret=DT_SECRET) if kind == "dingtalk"
                       else WeComFake(key=f"wc-{name}"))
    relay = am = None
    try:
        for fake in fakes.values():
            fake.start()
        (tmp / "token").write_text(TOKEN + "\n")
        relay = RelayProcess(tmp, relay_config(tmp, fakes), extra_modules=())
        relay.start()

        settings = tmp / "monitoring.yaml"
        settings.write_text(yaml.safe_dump(e2e_settings(relay.url, tmp / "token"), sort_keys=False))
        built = subprocess.run([sys.executable, "-m", "gen", "build", "--config", str(settings),
                                "--out", str(tmp / "out")], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert built.returncode == 0, f"python -m gen build with the test settings failed:\n{built.stderr}"
        rule_files = sorted(str(p) for p in (tmp / "out" / "rules").glob("*.yaml"))
        rules = {r["alert"]: r for f in rule_files for g in yaml.safe_load(Path(f).read_text())["groups"]
                 for r in g["rules"] if "alert" in r}

        am = start_alertmanager(tmp, tmp / "out" / "alertmanager" / "alertmanager.yaml")
        alerting = {"alertmanagers": [{"static_configs": [{"targets": [am.url.removeprefix("http://")]}]}]}
        with FixtureExporter() as exporter, running_prometheus(
                tmp / "prometheus", exporter.scrape_configs(), rule_files, extra_config={"alerting": alerting},
                # firing alerts are re-sent every second: the first ones may come before
                # Prometheus has discovered the Alertmanager and would wait the default 1m
                extra_args=["--rules.alert.resend-delay=1s"]) as prom:
            yield Pipeline(exporter, prom, am, relay, fakes, rules)
    finally:
        if am is not None:
            stop_group(am.process)
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


def alertmanager_alerts(am: Alertmanager) -> dict[str, list[dict]]:
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


def check_message(alert: ChatAlert, exp: Expected, status: str, rule: dict, am: Alertmanager) -> None:
    where = f"{exp.alert} ({status}) at {exp.target}"
    assert (alert.name, alert.severity) == (exp.alert, exp.severity), where
    assert alert.summary == rule["annotations"]["summary"], f"{where}: summary {alert.summary!r}"
    for value in exp.labels.values():
        assert value in alert.text, f"{where}: the object's label value {value!r} is not shown:\n{alert.text}"
    assert alert.links.get("Runbook") == f"{RUNBOOKS}/{exp.alert}.md", f"{where}: {alert.links}"
    assert alert.links.get("Dashboard") == expand(rule["annotations"]["dashboard_url"], exp.labels), \
        f"{where}: {alert.links}"
    assert alert.links["Dashboard"].startswith(f"{GRAFANA}/d/") and "{{" not in alert.links["Dashboard"]
    silence = alert.links.get("Silence", "")
    assert silence.startswith(f"{am.url}/#/silences/new?filter="), f"{where}: {alert.links}"
    matchers = unquote(silence.split("filter=", 1)[1])
    for key, value in {"alertname": exp.alert, "severity": exp.severity, **exp.labels}.items():
        assert f'{key}="{value}"' in matchers, f"{where}: silence filter {matchers}"
    assert "/graph?g0.expr=" in alert.links.get("Source", ""), f"{where}: {alert.links}"


# --- the tests ------------------------------------------------------------------------------


def test_problems_reach_their_chat_targets_inhibited_twin_stays_quiet_then_resolve(pipeline):
    prom, am, relay, fakes, exporter = pipeline.prometheus, pipeline.alertmanager, pipeline.relay, pipeline.fakes, \
        pipeline.exporter
    everything = lambda: (f"Prometheus ALERTS firing: {sorted(firing_in_prometheus(prom))}; "  # noqa: E731
                          f"relay received: {relay_received(relay)}; chat: {everything_received(fakes)}")

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

    # 4. each alert arrives once, firing, at its chat target, with its summary and links
    for exp in EXPECTED:
        wait_until(f"{exp.alert} has not arrived firing at chat target {exp.target!r}",
                   lambda: any(a.name == exp.alert and a.status == "FIRING" for a in received(fakes, exp.target)),
                   everything)
    for exp in EXPECTED:
        arrived = [a for a in received(fakes, exp.target) if a.name == exp.alert]
        assert len(arrived) == 1, f"{exp.alert} arrived {len(arrived)} times at {exp.target!r}: {everything()}"
        check_message(arrived[0], exp, "FIRING", pipeline.rules[exp.alert], am)

    # 5. switch the problems off: Prometheus resolves, each target gets the resolved message
    exporter.set_problems(**{p: False for p in {e.problem for e in EXPECTED}})
    for exp in EXPECTED:
        wait_until(f"no RESOLVED {exp.alert} at chat target {exp.target!r}",
                   lambda: any(a.name == exp.alert and a.status == "RESOLVED" for a in received(fakes, exp.target)),
                   everything)
    wait_until("Prometheus still fires more than Watchdog", lambda: set(firing_in_prometheus(prom)) == {"Watchdog"},
               everything)
    for exp in EXPECTED:
        resolved = [a for a in received(fakes, exp.target) if a.name == exp.alert and a.status == "RESOLVED"]
        assert len(resolved) == 1, f"{exp.alert}: {everything()}"
        check_message(resolved[0], exp, "RESOLVED", pipeline.rules[exp.alert], am)

    # 6. nothing else reached anyone: one firing and one resolved message per alert, at its
    # target only; the inhibited twin's target (host) got nothing; no Watchdog anywhere
    for name, _ in PERSON_TARGETS.values():
        want = sorted(f"{s} {e.alert}" for e in EXPECTED if e.target == name for s in ("FIRING", "RESOLVED"))
        assert sorted(f"{a.status} {a.name}" for a in received(fakes, name)) == want, \
            f"chat target {name!r} got other messages than expected: {everything()}"
    assert not received(fakes, INHIBITED.target)
    assert {a.name for a in received(fakes, HEARTBEAT_TARGET[0])} <= {"AlertingPipelineBroken"}, everything()
    # every request was accepted: DingTalk's signatures (checked by the fake), keys, sizes, rates
    for name, fake in fakes.items():
        assert all(json.loads(body)["errcode"] == 0 for _, body in fake.answers), f"{name}: {fake.answers}"


def test_watchdog_feeds_the_heartbeat_never_a_person(pipeline):
    """Watchdog reaches the relay on the heartbeat receiver (plain /alerts) and is recorded, not
    delivered; when Alertmanager stops, the heartbeat target, and only it, hears that the
    pipeline is broken. Stops the pipeline's Alertmanager: keep this test last."""
    relay, fakes, am = pipeline.relay, pipeline.fakes, pipeline.alertmanager

    def heartbeats() -> list[dict]:
        return [e for e in relay.logs() if e.get("msg") == "received" and e.get("result") == "heartbeat"]

    wait_until("the relay has not received Watchdog twice from Alertmanager's heartbeat receiver",
               lambda: len(heartbeats()) >= 2, lambda: relay_received(relay))
    for entry in heartbeats():
        assert entry["route"] is None and "Watchdog" in entry["group_key"] and entry["targets"] == [], entry
    assert relay.metrics()["relay_heartbeat_missing"] == 0
    persons = [name for name, _ in PERSON_TARGETS.values()]
    assert not [a for name in persons for a in received(fakes, name) if a.name == "Watchdog"], \
        everything_received(fakes)

    # the dead man's switch: no Watchdog any more -> "the alerting pipeline is broken"
    before = len(fakes[HEARTBEAT_TARGET[0]].accepted)
    stop_group(am.process)
    wait_until(f"the heartbeat target got no AlertingPipelineBroken {MISSING_AFTER_S} s after Alertmanager stopped",
               lambda: any(a.name == "AlertingPipelineBroken" and a.status == "FIRING"
                           for m in fakes[HEARTBEAT_TARGET[0]].accepted[before:] for a in chat_alerts(m)),
               lambda: f"relay log: {relay.logs()[-5:]}; chat: {everything_received(fakes)}",
               timeout=STEP_TIMEOUT + MISSING_AFTER_S)
    for name in persons:
        assert not [a for a in received(fakes, name) if a.name in ("Watchdog", "AlertingPipelineBroken")], \
            f"{name}: {everything_received(fakes)}"
