"""out/relay/: the Kubernetes manifests fit together, the ConfigMap's relay.yaml is the
commented example and passes --check-config, and amtool accepts the receiver snippet."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from gen.build import build
from gen.cli import main
from relay_support import ROOT

AMTOOL = ROOT / "tools" / "bin" / "amtool"


def built() -> dict[str, bytes]:
    _, files = build(str(ROOT / "monitoring.yaml"))
    return files


def test_manifests_are_listed_and_reference_each_other():
    files = built()
    kustomization = yaml.safe_load(files["kustomization.yaml"])
    relay = sorted(p for p in kustomization["resources"] if p.startswith("relay/"))
    assert relay == ["relay/configmap.yaml", "relay/deployment.yaml", "relay/pvc.yaml", "relay/service.yaml"]
    docs = {p: yaml.safe_load(files[p]) for p in relay}
    kinds = {d["kind"]: d for d in docs.values()}
    deployment, service = kinds["Deployment"], kinds["Service"]
    pod = deployment["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["config"]["configMap"]["name"] == kinds["ConfigMap"]["metadata"]["name"]
    assert volumes["store"]["persistentVolumeClaim"]["claimName"] == kinds["PersistentVolumeClaim"]["metadata"]["name"]
    container = pod["containers"][0]
    assert container["args"][-1] == "/etc/relay/relay.yaml"
    assert {m["mountPath"] for m in container["volumeMounts"]} >= {"/etc/relay/relay.yaml", "/var/lib/relay"}
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    config = yaml.safe_load(kinds["ConfigMap"]["data"]["relay.yaml"])
    assert config["listen"].endswith(f":{container['ports'][0]['containerPort']}")
    assert os.path.dirname(config["store"]) == "/var/lib/relay"
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"]["type"] == "Recreate"
    assert kinds["ConfigMap"]["data"]["relay.yaml"] == (ROOT / "relay.example.yaml").read_text()


def test_example_config_passes_check_config(monkeypatch, capsys):
    for var, value in {"RELAY_BEARER_TOKEN": "t", "DINGTALK_URL": "https://oapi.dingtalk.com/robot/send?access_token=x",
                       "DINGTALK_SECRET": "SECx", "WECOM_URL": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}.items():
        monkeypatch.setenv(var, value)
    assert main(["relay", "--config", str(ROOT / "relay.example.yaml"), "--check-config"]) == 0
    assert "2 targets, 2 routes, heartbeat Watchdog" in capsys.readouterr().out


def test_amtool_accepts_the_receiver_snippet(tmp_path: Path):
    snippet = yaml.safe_load(built()["relay/alertmanager-receiver.yaml"])
    (tmp_path / "alertmanager.yml").write_text(yaml.safe_dump({"route": {"receiver": "relay"}, **snippet}))
    run = subprocess.run([str(AMTOOL), "check-config", str(tmp_path / "alertmanager.yml")],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS" in run.stdout
