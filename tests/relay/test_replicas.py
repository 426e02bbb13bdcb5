"""Several relay replicas on one PostgreSQL store (a real server): under load from two
senders posting every notification to both replicas, as an Alertmanager HA pair does, with one
replica killed (kill -9) and restarted again and again, every acknowledged alert reaches both a
DingTalk and a WeCom robot that enforce their 20 messages a minute, no message is refused for
its rate, and the only alerts shown twice are those of a message in flight when a replica died.
Also: a replica that stops cleanly hands its targets over at once, and the heartbeat page of
two replicas is sent once."""

from __future__ import annotations

import json
import re
import signal
import threading
import time
import urllib.error

import psycopg
import pytest

from support.chatfakes import DingTalkFake, WeComFake
from support.relay_support import Receiver, RelayProcess, payload, relay_config

# live: runs several relay processes on a PostgreSQL server; `pytest -m "not live"` skips it
pytestmark = pytest.mark.live

NOTIFICATIONS = 150
KILLS = 4
DELIVERY_TIMEOUT = 1.0  # seconds (relay.yaml), so the lease may be short
LEASE = "3s"
DEADLINE = 120.0  # seconds for every alert to appear; not a measurement
RATE_CODES = {130101, 45009}


def replica_config(dsn_file: str, **targets) -> dict:
    return {"listen": "127.0.0.1:0", "store": {"kind": "postgresql", "dsn_file": dsn_file, "lease": LEASE},
            "delivery_timeout": f"{DELIVERY_TIMEOUT:g}s", "retry": {"initial": "200ms", "max": "1s"},
            "targets": targets, "default_targets": sorted(targets)}


def make_replicas(tmp_path, dsn: str, config: dict, count: int = 2, **kwargs) -> list[RelayProcess]:
    out = []
    for i in range(count):
        folder = tmp_path / f"replica{i}"
        folder.mkdir()
        (folder / "store.dsn").write_text(dsn + "\n")
        (folder / "dt.secret").write_text("SEC-ha\n")
        out.append(RelayProcess(folder, config, **kwargs))
    return out


def holder_of(dsn: str, target: str, replicas: list[RelayProcess]) -> RelayProcess | None:
    """The replica whose process holds `target`'s lease now (the leases table names its pid)."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT holder FROM leases WHERE target = %s AND expires_at > clock_timestamp()",
                           (target,)).fetchone()
    pids = {str(r.proc.pid): r for r in replicas if r.proc and r.proc.poll() is None}
    return pids.get(row[0].split("/")[1]) if row else None


def log_entries(relay: RelayProcess) -> list[dict]:
    """Every JSON line of its log, over all its starts."""
    return [json.loads(line) for line in relay.all_logs().splitlines() if line.startswith("{")]


def pods_by_message(fake) -> list[list[str]]:
    out = []
    for message in list(fake.accepted):
        markdown = message["markdown"]
        out.append(sorted(set(re.findall(r"rep-\d{3}", markdown.get("text") or markdown.get("content")))))
    return out


def rate_refusals(fake) -> list:
    return [b for _, b in fake.answers if b.startswith(b"{") and json.loads(b).get("errcode") in RATE_CODES]


@pytest.fixture
def chats():
    dingtalk, wecom = DingTalkFake(secret="SEC-ha"), WeComFake()
    dingtalk.start()
    wecom.start()
    try:
        yield dingtalk, wecom
    finally:
        dingtalk.stop()
        wecom.stop()


def test_two_replicas_one_killed_again_and_again_lose_nothing_and_double_only_what_was_in_flight(
        tmp_path, postgres_dsn, chats):
    dingtalk, wecom = chats
    config = replica_config("store.dsn", dt={"kind": "dingtalk", "url": dingtalk.url, "secret_file": "dt.secret"},
                            wc={"kind": "wecom", "url": wecom.url})
    replicas = make_replicas(tmp_path, postgres_dsn, config, extra_modules=())
    acked: set[str] = set()
    answers: list[str] = []
    lock = threading.Lock()
    kills: list[float] = []
    done = threading.Event()

    def alertmanager(first: int) -> None:
        """One of an HA pair: every notification to its replica, to the other one if that fails,
        retried until one acknowledges it (Alertmanager retries a failed webhook)."""
        for seq in range(NOTIFICATIONS):
            body = payload(seq, pod=f"rep-{seq:03d}")
            for attempt in range(200):
                relay = replicas[(first + attempt) % 2]
                try:
                    status, answer = relay.post(body)
                except (urllib.error.URLError, ConnectionError, OSError):
                    time.sleep(0.05)
                    continue
                if status == 200:
                    with lock:
                        acked.add(f"rep-{seq:03d}")
                        answers.append(answer["status"])
                    break
                time.sleep(0.05)
            time.sleep(0.1)

    try:
        for relay in replicas:
            relay.start()
        senders = [threading.Thread(target=alertmanager, args=(i,)) for i in range(2)]
        for t in senders:
            t.start()
        for n in range(KILLS):
            time.sleep(1.0)
            end = time.monotonic() + 30
            while (victim := holder_of(postgres_dsn, "dt", replicas)) is None and time.monotonic() < end:
                time.sleep(0.1)  # the last kill's targets not yet taken over
            assert victim is not None, "nobody took the dead replica's lease"
            time.sleep(0.5)  # delivering
            victim.kill9()
            kills.append(time.time())
            victim.start()  # at once: its leases are still the dead process's until they run out
        for t in senders:
            t.join(120)
        done.set()
        assert len(acked) == NOTIFICATIONS

        want = acked
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            if all({p for m in pods_by_message(f) for p in m} >= want for f in (dingtalk, wecom)):
                break
            time.sleep(0.5)
        for fake in (dingtalk, wecom):
            messages = pods_by_message(fake)
            shown = {p for m in messages for p in m}
            assert shown >= want, f"{type(fake).__name__} never showed {sorted(want - shown)[:20]}"
            assert not rate_refusals(fake), fake.answers
            # an alert shown twice was in a message accepted while a replica died (its record of
            # the delivery lost with it): at most delivery_timeout and a second before a kill
            first_seen: dict[str, float] = {}
            for pods, at in zip(messages, fake.accepted_at):
                for pod in pods:
                    if pod in first_seen:
                        before_kill = [k for k in kills if first_seen[pod] - 0.1 <= k
                                       and first_seen[pod] >= k - DELIVERY_TIMEOUT - 1.0]
                        assert before_kill, (f"{type(fake).__name__}: {pod} shown again at {at:.2f} though its "
                                             f"first message ({first_seen[pod]:.2f}) was not in flight at a kill "
                                             f"({[round(k, 2) for k in kills]})")
                    else:
                        first_seen[pod] = at
        # the duplicates of the pair were recognised across replicas: one stored per notification
        assert answers.count("stored") <= NOTIFICATIONS + KILLS  # a kill may lose a dedupe answer, not a row
        assert answers.count("duplicate") >= NOTIFICATIONS - 2 * KILLS
        takeovers = [e for r in replicas for e in log_entries(r) if e.get("msg", "").startswith("took the target's lease")
                     and e["target"] == "dt"]
        assert len(takeovers) == KILLS + 1  # the first holder, then one takeover per kill of the holder
    finally:
        done.set()
        for relay in replicas:
            relay.stop()


def test_a_replica_that_stops_cleanly_hands_its_targets_over_at_once(tmp_path, postgres_dsn):
    receiver = Receiver()
    replicas: tuple[RelayProcess, ...] = ()
    try:
        config = replica_config("store.dsn", a={"kind": "testhook", "url": f"{receiver.url}/a"})
        config["store"]["lease"] = "10m"  # were the lease not given back, the other replica would wait that long
        replicas = first, second = make_replicas(tmp_path, postgres_dsn, config)
        first.start()
        first.wait_log(lambda e: e.get("msg", "").startswith("took the target's lease"), "the first replica's lease")
        second.start()
        status, body = second.post(payload(1))
        first.wait_delivered(body["id"], "a")  # stored by the second, delivered by the holder
        first.signal(signal.SIGTERM)
        first.proc.wait(20)
        status, body = second.post(payload(2))
        second.wait_log(lambda e: e.get("msg", "").startswith("took the target's lease"), "the takeover")
        second.wait_delivered(body["id"], "a")
        assert receiver.delivered_ids("/a") == [1, 2]
        assert second.metrics()['relay_target_lease_held{target="a"}'] == 1
    finally:
        for relay in replicas:
            relay.stop()
        receiver.close()


def test_two_replicas_send_the_heartbeat_page_once(tmp_path, postgres_dsn):
    receiver = Receiver()
    replicas: list[RelayProcess] = []
    try:
        config = replica_config("store.dsn", a={"kind": "testhook", "url": f"{receiver.url}/a"},
                                c={"kind": "testhook", "url": f"{receiver.url}/c"})
        # 5 s: longer than a slow start of the second replica (1 s was sometimes counted as an outage)
        config["heartbeat"] = {"alertname": "Watchdog", "missing_after": "5s", "targets": ["c"]}
        config["default_targets"] = ["a"]
        replicas.extend(make_replicas(tmp_path, postgres_dsn, config))
        for relay in replicas:
            relay.start()
        for relay in replicas:  # both Alertmanagers' Watchdog, to both replicas
            assert relay.post(payload(1, alertname="Watchdog"))[1]["status"] == "heartbeat"
        receiver.wait(lambda: len(receiver.delivered("/c")) >= 1, "the pipeline-broken page")
        time.sleep(2.0)  # both replicas' watchers have looked several times since
        [page] = receiver.delivered("/c")
        assert page["statuses"] == ["firing"]
        replicas[1].post(payload(2, alertname="Watchdog"))
        replicas[0].post(payload(3, alertname="Watchdog"))
        receiver.wait(lambda: len(receiver.delivered("/c")) >= 2, "the recovery")
        time.sleep(1.0)
        assert [m["statuses"] for m in receiver.delivered("/c")] == [["firing"], ["resolved"]]
    finally:
        for relay in replicas:
            relay.stop()
        receiver.close()


def test_the_built_relay_for_several_replicas_runs_as_shipped(tmp_path, postgres_dsn, chats, capsys):
    """monitoring.yaml as shipped plus `replicas: 2` and a PostgreSQL store: the Deployment has
    two pods and no volume, a disruption budget is listed, the connection string is a key of
    the Secret, and two relays started from that relay.yaml (listen address and secrets
    changed only) deliver a critical alert once."""
    import yaml as _yaml

    from gen.cli import main as gen_main
    from support.relay_support import ROOT

    dingtalk, wecom = chats
    settings = _yaml.safe_load((ROOT / "monitoring.yaml").read_text())
    settings["relay"].update(replicas=2, store={"kind": "postgresql", "dsn_secret_key": "RELAY_STORE_DSN"})
    (tmp_path / "monitoring.yaml").write_text(_yaml.safe_dump(settings))
    out = tmp_path / "out"
    assert gen_main(["build", "--config", str(tmp_path / "monitoring.yaml"), "--out", str(out)]) == 0, \
        capsys.readouterr().err
    deployment = _yaml.safe_load((out / "relay" / "deployment.yaml").read_text())
    pod = deployment["spec"]["template"]["spec"]
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert "store" not in {v["name"] for v in pod["volumes"]} and not (out / "relay" / "pvc.yaml").exists()
    resources = _yaml.safe_load((out / "kustomization.yaml").read_text())["resources"]
    assert "relay/pdb.yaml" in resources and "relay/pvc.yaml" not in resources
    assert "RELAY_STORE_DSN" in (out / "relay" / "deployment.yaml").read_text().splitlines()[1]
    config = _yaml.safe_load(_yaml.safe_load((out / "relay" / "configmap.yaml").read_text())["data"]["relay.yaml"])
    assert config["store"] == {"kind": "postgresql", "dsn_env": "RELAY_STORE_DSN"}

    config["listen"] = "127.0.0.1:0"
    targets = config["targets"]
    env = {config["store"]["dsn_env"]: postgres_dsn, config["auth"]["bearer_token_env"]: "am-token",
           targets["oncall-dingtalk"]["url_env"]: dingtalk.url, targets["oncall-dingtalk"]["secret_env"]: "SEC-ha",
           targets["team-wecom"]["url_env"]: wecom.url}
    replicas = []
    try:
        for i in range(2):
            folder = tmp_path / f"pod{i}"
            folder.mkdir()
            replicas.append(RelayProcess(folder, config, extra_modules=(), env=env).start())
        critical = payload(7, severity="critical", pod="rep-007")
        for relay in replicas:  # both Alertmanagers of the pair
            status, _ = relay.post(critical, path="/alerts/critical", headers={"Authorization": "Bearer am-token"})
            assert status == 200
        end = time.monotonic() + 20
        while not dingtalk.accepted and time.monotonic() < end:
            time.sleep(0.1)
        time.sleep(1.0)  # a second delivery, were there one, would have come by now
        assert [pods for pods in pods_by_message(dingtalk)] == [["rep-007"]]
        assert not wecom.accepted
    finally:
        for relay in replicas:
            relay.stop()
