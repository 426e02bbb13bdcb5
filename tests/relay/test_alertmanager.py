"""A real Alertmanager (tools/bin/alertmanager, Debian's 0.25, on loopback) sends to the relay
with a bearer token: the firing and then the resolved notification arrive at the target."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import time
import urllib.request

import pytest
import yaml

from support.relay_support import DEADLINE, ROOT, Receiver, RelayProcess, relay_config

# live: runs a real Alertmanager posting to the relay process; `pytest -m "not live"` skips it
pytestmark = pytest.mark.live

ALERTMANAGER = os.environ.get("ALERTMANAGER", str(ROOT / "tools" / "bin" / "alertmanager"))
TOKEN = "am-to-relay-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def am_post(port: int, alerts: list[dict]) -> None:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v2/alerts", data=json.dumps(alerts).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200


@pytest.fixture
def stack(tmp_path):
    assert os.path.exists(ALERTMANAGER), f"{ALERTMANAGER} missing: run `make setup` (or set ALERTMANAGER)"
    receiver = Receiver()
    (tmp_path / "token").write_text(TOKEN)
    relay = RelayProcess(tmp_path, relay_config(
        tmp_path, receiver, auth={"bearer_token_file": str(tmp_path / "token")},
        routes=[{"matchers": ['severity="critical"', 'team=~"db|infra"'], "targets": ["b"]}]))
    am = None
    am_log = open(tmp_path / "am.log", "wb")
    try:
        relay.start()
        port = free_port()
        (tmp_path / "am.yml").write_text(yaml.safe_dump({
            "route": {"receiver": "relay", "group_by": ["alertname"], "group_wait": "100ms",
                      "group_interval": "1s", "repeat_interval": "1h"},
            "receivers": [{"name": "relay", "webhook_configs": [{
                "url": f"{relay.url}/alerts", "send_resolved": True,
                "http_config": {"authorization": {"type": "Bearer", "credentials": TOKEN}}}]}],
        }))
        # the Makefile's alertmanager copy reads its default template from ./am-share
        (tmp_path / "am-share").symlink_to(ROOT / "tools" / "root" / "usr" / "share" / "prometheus" / "alertmanager")
        am = subprocess.Popen([ALERTMANAGER, f"--config.file={tmp_path / 'am.yml'}",
                               f"--storage.path={tmp_path / 'am-data'}", f"--web.listen-address=127.0.0.1:{port}",
                               "--cluster.listen-address=", "--log.level=warn"],
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=am_log)
        end = time.monotonic() + DEADLINE
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            assert am.poll() is None and time.monotonic() < end, (tmp_path / "am.log").read_text()
            time.sleep(0.05)
        yield port, relay, receiver
    finally:
        if am is not None:
            am.kill()
            am.wait(10)
        am_log.close()
        relay.stop()
        receiver.close()


def test_alertmanager_delivers_through_the_relay(stack):
    port, relay, receiver = stack
    now = dt.datetime.now(dt.timezone.utc)
    alert = {"labels": {"alertname": "EtcdNoLeader", "severity": "critical", "team": "db", "instance": "etcd-0"},
             "annotations": {"summary": "etcd member has no leader"},
             "startsAt": now.isoformat().replace("+00:00", "Z"), "generatorURL": "http://prometheus.example/graph"}
    am_post(port, [alert])
    receiver.wait(lambda: len(receiver.delivered("/b")) == 1, "the firing notification from Alertmanager")
    [firing] = receiver.delivered("/b")
    assert firing["statuses"] == ["firing"] and firing["alertnames"] == [["EtcdNoLeader"]]
    assert firing["group_keys"][0].endswith('{alertname="EtcdNoLeader"}')
    assert firing["summaries"] == ["etcd member has no leader"]
    # resolve it: Alertmanager sends the resolved notification at the next group_interval
    am_post(port, [{**alert, "endsAt": dt.datetime.now(dt.timezone.utc).isoformat().replace("+00:00", "Z")}])
    receiver.wait(lambda: len(receiver.delivered("/b")) == 2, "the resolved notification")
    assert receiver.delivered("/b")[1]["statuses"] == ["resolved"]
    assert receiver.delivered("/a") == []  # matched the route, not the default
    received = [e for e in relay.logs() if e.get("msg") == "received"]
    assert [e["result"] for e in received] == ["stored", "stored"]
