"""The shipped alerting pipeline on loopback, for tests that break something and watch the page
arrive: Prometheus (tools/bin, 2.42) with the committed out/rules, Alertmanager (0.25) with
the committed out/alertmanager/alertmanager.yaml, the relay (`python -m relay`) with the
relay.yaml inside out/relay/configmap.yaml, and a chat contract server (tests/support/chatfakes.py)
per relay target. What a team applies, changed only in addresses, secrets and timings
(tests/support/shipped.py).

    with shipped_pipeline(tmp, scrape_configs, Timings(for_={"etcdNoLeader": "2s"})) as p:
        p.prometheus.wait_for_scrapes()
        wait_until("etcdNoLeader fires", lambda: "etcdNoLeader" in firing_in_prometheus(p.prometheus), p.everything)

The end-to-end test (tests/shipped/test_e2e.py) scrapes the fixture exporter; the drills
(tests/drills/) scrape real etcd, node_exporter and middleware exporters. Every process is
stopped when the block ends, however it ends.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import time
from pathlib import Path
from typing import Callable

import yaml

import support.shipped as shipped
from support.chatfakes import DingTalkFake, WeComFake
from support.live import running_alertmanager, running_prometheus
from support.relay_support import RelayProcess

STEP_TIMEOUT = 45.0  # seconds any one stage may take before a test fails; not a measurement
POLL = 0.2
TOKEN = "pipeline-relay-token-5d1f"  # Alertmanager -> relay
DT_SECRET = "SEC-pipeline-dingtalk-signing"
# one firing and one resolved message per alert: nothing repeats within a test
FAST = {"group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"}
HEARTBEAT = {"group_wait": "0s", "group_interval": "1s", "repeat_interval": "2s"}


@dataclasses.dataclass(frozen=True)
class Timings:
    """The only things a test changes in the rules and routing besides addresses and secrets."""

    for_: dict[str, str] = dataclasses.field(default_factory=dict)  # alert -> its shortened `for`
    keep_firing_for: dict[str, str] = dataclasses.field(default_factory=dict)
    windows: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)  # alert -> (old, new) range
    routes: dict[str, str] = dataclasses.field(default_factory=lambda: dict(FAST))
    heartbeat: dict[str, str] = dataclasses.field(default_factory=lambda: dict(HEARTBEAT))
    # The relay's heartbeat: longer than Watchdog's repeat (~3 s) and than the time from the
    # relay's start to the first Watchdog (about 7 s here).
    missing_after_s: int = 15


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
    prometheus: object  # live.Prometheus, or VmalertEngine
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

    def everything(self) -> str:
        """Each stage's state, for a failed wait's message."""
        return (f"Prometheus ALERTS firing: {sorted(firing_in_prometheus(self.prometheus))}; "
                f"relay received: {relay_received(self.relay)}; chat: {everything_received(self.fakes)}")


class VmalertEngine:
    """VictoriaMetrics (storage, scraping, queries) and vmalert (the rules) standing where
    Prometheus stands: the same calls the tests make of support.live.Prometheus."""

    def __init__(self, vm, vmalert, notifier: str):
        self.vm, self.vmalert, self.notifier = vm, vmalert, notifier
        self.url = vm.url

    def api(self, path: str, **params):
        if path == "alerts":  # vmalert's own alerts API: name apart from labels, as Prometheus has it not
            return {"alerts": [{**a, "labels": {**a["labels"], "alertname": a["name"]}} for a in self.vmalert.alerts()]}
        if path == "alertmanagers":  # vmalert has no discovery: its notifier is given
            return {"activeAlertmanagers": [{"url": self.notifier}]}
        return self.vm.api(path, **params)

    def wait_for_scrapes(self) -> None:
        self.vm.wait_for_scrapes()

    def log(self) -> str:
        return self.vm.log() + "\n" + self.vmalert.log()


@contextlib.contextmanager
def _rule_engine(engine: str, tmp: Path, scrape_configs: list[dict], rule_files: list[str], am,
                 prometheus_args: tuple[str, ...]):
    if engine == "prometheus":
        alerting = {"alertmanagers": [{"static_configs": [{"targets": [am.url.removeprefix("http://")]}]}]}
        with running_prometheus(
                tmp / "prometheus", scrape_configs, rule_files, extra_config={"alerting": alerting},
                # firing alerts are re-sent every second: the first ones may come before
                # Prometheus has discovered the Alertmanager and would wait the default 1m
                extra_args=["--rules.alert.resend-delay=1s", *prometheus_args]) as prom:
            yield prom
    elif engine == "vmalert":
        from support.victoria import running_victoria_metrics, running_vmalert

        with running_victoria_metrics(tmp / "vm", scrape_configs) as vm, \
                running_vmalert(tmp / "vmalert", rule_files, vm.url, notifier=am.url,
                                extra_args=["-rule.resendDelay=1s"]) as vmalert:
            yield VmalertEngine(vm, vmalert, am.url)
    else:
        raise ValueError(f"rule engine {engine!r}: prometheus or vmalert")


@contextlib.contextmanager
def shipped_pipeline(tmp: Path, scrape_configs: list[dict], timings: Timings = Timings(),
                     prometheus_args: tuple[str, ...] = (), engine: str = "prometheus"):
    """The pipeline as out/ ships it, scraping `scrape_configs`, the rules evaluated by
    `engine` (Prometheus, or vmalert over VictoriaMetrics); every process stopped on exit."""
    relay_cfg = shipped.relay_config()
    problems = shipped.contract_problems(shipped.receiver_paths(), relay_cfg)
    assert not problems, "out/ as committed breaks the receivers' contract with the relay:\n" + "\n".join(problems)
    fakes = chat_fakes(relay_cfg)
    relay = None
    try:
        for fake in fakes.values():
            fake.start()
        relay_cfg.update(listen="127.0.0.1:0", store=str(tmp / "relay.db"), retry={"initial": "200ms", "max": "1s"})
        relay_cfg["heartbeat"]["missing_after"] = f"{timings.missing_after_s}s"
        relay = RelayProcess(tmp, relay_cfg, extra_modules=(), env=secrets(relay_cfg, fakes))
        relay.start()

        (tmp / "token").write_text(TOKEN + "\n")
        am_config = tmp / "alertmanager.yaml"
        am_config.write_text(yaml.safe_dump(shipped.alertmanager_config(relay.url, tmp / "token", timings.routes,
                                                                        timings.heartbeat)))
        rule_files = shipped.write_rules(tmp / "rules", timings.for_, timings.keep_firing_for, timings.windows)
        with running_alertmanager(tmp / "am", str(am_config)) as am:
            with _rule_engine(engine, tmp, scrape_configs, rule_files, am, prometheus_args) as prom:
                yield Pipeline(prom, am, relay, fakes, shipped.alert_rules(), shipped.relay_routes(relay_cfg),
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


def ever_firing(prom, since: float) -> dict[str, list[dict]]:
    """Every alert that fired at any evaluation since `since` (a Unix time), from ALERTS' history."""
    window = max(1, int(time.time() - since) + 1)
    out: dict[str, list[dict]] = {}
    for sample in prom.api("query", query=f'max_over_time(ALERTS{{alertstate="firing"}}[{window}s])')["result"]:
        out.setdefault(sample["metric"]["alertname"], []).append(sample["metric"])
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


def received_by_relay(relay: RelayProcess) -> list[dict]:
    return [e for e in relay.logs() if e.get("msg") == "received"]


def relay_received(relay: RelayProcess) -> list[str]:
    """What reached the relay: `route: group labels status (result)`, from its log."""
    return [f"{e.get('route')}: {str(e.get('group_key')).rpartition('}:')[2]} {e.get('status')} ({e.get('result')})"
            for e in received_by_relay(relay)]
