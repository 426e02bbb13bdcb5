"""out/relay/ as committed: the Kubernetes objects fit together and with the Alertmanager
configuration, the ConfigMap holds relay.yaml byte for byte, and the relay's own CLI accepts
it: without secrets (as CI can), and with them, listing every missing one at once."""

from __future__ import annotations

from support.paths import REPO
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from relay import store
from relay.cli import main

ROOT = REPO
OUT = ROOT / "out"
SHIPPED = OUT / "relay" / "relay.yaml"


def manifests() -> dict[str, dict]:
    kustomization = yaml.safe_load((OUT / "kustomization.yaml").read_text())
    listed = sorted(p for p in kustomization["resources"] if p.startswith("relay/"))
    assert listed == ["relay/configmap.yaml", "relay/deployment.yaml", "relay/pvc.yaml", "relay/service.yaml"]
    return {d["kind"]: d for d in (yaml.safe_load((OUT / p).read_text()) for p in listed)}


def env_names(config: dict) -> list[str]:
    """Every *_env value of relay.yaml: the variables the relay reads."""
    found = []

    def walk(value):
        if isinstance(value, dict):
            for k, v in value.items():
                if k.endswith("_env"):
                    found.append(v)
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
    walk(config)
    return found


def test_the_relay_objects_fit_together():
    kinds = manifests()
    deployment, service, configmap, pvc = kinds["Deployment"], kinds["Service"], kinds["ConfigMap"], kinds["PersistentVolumeClaim"]
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    # the ConfigMap is the configuration folder, holding exactly out/relay/relay.yaml
    assert volumes["config"]["configMap"]["name"] == configmap["metadata"]["name"]
    assert container["command"] == ["python", "-m", "relay"]
    assert container["args"] == ["--config", f"{mounts['config']}/relay.yaml"]
    assert configmap["data"]["relay.yaml"] == SHIPPED.read_text()
    config = yaml.safe_load(SHIPPED.read_text())
    # the store lives on the volume, the port is the one the Service and probes use
    assert volumes["store"]["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]
    assert os.path.dirname(config["store"]) == mounts["store"]
    port = int(config["listen"].rsplit(":", 1)[1])
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"]["type"] == "Recreate"
    # one Secret gives the environment variables and the files; Alertmanager mounts the same one
    secret = container["envFrom"][0]["secretRef"]["name"]
    assert volumes["secrets"]["secret"]["secretName"] == secret
    plain = yaml.safe_load((OUT / "alertmanager" / "alertmanager.yaml").read_text())
    token_file = {r["webhook_configs"][0]["http_config"]["authorization"]["credentials_file"] for r in plain["receivers"]}
    assert token_file == {f"/etc/alertmanager/secrets/{secret}/{config['auth']['bearer_token_env']}"}
    # and Alertmanager posts to this Service
    host = f"http://{service['metadata']['name']}.{service['metadata']['namespace']}.svc:{service['spec']['ports'][0]['port']}"
    assert {r["webhook_configs"][0]["url"].split("/alerts")[0] for r in plain["receivers"]} == {host}
    # the Deployment's header names every key of that Secret the relay reads
    header = (OUT / "relay" / "deployment.yaml").read_text().splitlines()[1]
    assert header.endswith("keys: " + ", ".join(env_names(config))), header


def relay_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in env_names(yaml.safe_load(SHIPPED.read_text()))}
    return subprocess.run([sys.executable, "-m", "relay", *args], capture_output=True, text=True, timeout=60,
                          env={**clean, **(env or {})}, cwd=ROOT)


def test_check_config_without_secrets_passes_and_lists_what_is_needed():
    run = relay_cli("--config", str(SHIPPED), "--check-config", "--without-secrets")
    assert run.returncode == 0, run.stderr
    config = yaml.safe_load(SHIPPED.read_text())
    assert "ok without secrets" in run.stdout
    for name in env_names(config):
        assert f"env {name}" in run.stdout, run.stdout


@pytest.mark.live  # runs the relay's check-config in a process
def test_check_config_with_secrets_lists_every_missing_one_at_once():
    run = relay_cli("--config", str(SHIPPED), "--check-config")
    assert run.returncode == 1
    names = env_names(yaml.safe_load(SHIPPED.read_text()))
    assert f"{len(names)} secrets cannot be read" in run.stderr, run.stderr
    for name in names:
        assert f"environment variable {name} is not set" in run.stderr, run.stderr
    values = {"RELAY_BEARER_TOKEN": "t", "DINGTALK_URL": "https://oapi.dingtalk.com/robot/send?access_token=x",
              "DINGTALK_SECRET": "SECx", "WECOM_URL": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}
    assert set(values) == set(names), "the committed example's secrets changed: update this test"
    run = relay_cli("--config", str(SHIPPED), "--check-config", env=values)
    assert run.returncode == 0 and f"{len(names)} secrets read" in run.stdout, run.stderr
    # a secret that is there but wrong is named too, never shown
    run = relay_cli("--config", str(SHIPPED), "--check-config", env={**values, "WECOM_URL": "https://qyapi.weixin.qq.com/x"})
    assert run.returncode == 1 and "targets.team-wecom.url_env: the URL has no key=" in run.stderr, run.stderr


def test_without_secrets_only_applies_to_check_config():
    run = relay_cli("--config", str(SHIPPED), "--without-secrets")
    assert run.returncode == 1 and "only applies with --check-config" in run.stderr


def test_dead_letters_reads_no_secret(tmp_path, capsys):
    config = yaml.safe_load(SHIPPED.read_text())
    config["store"] = str(tmp_path / "relay.db")
    (tmp_path / "relay.yaml").write_text(yaml.safe_dump(config))
    store.connect(config["store"]).close()  # what a running relay has made
    for name in env_names(config):
        assert name not in os.environ
    assert main(["dead-letters", "--config", str(tmp_path / "relay.yaml")]) == 0
    assert "0 dead letters" in capsys.readouterr().err


def test_the_relay_example_passes_check_config_without_secrets(capsys):
    """relay/relay.example.yaml documents every key for a relay run on its own."""
    assert main(["--config", str(ROOT / "relay" / "relay.example.yaml"), "--check-config", "--without-secrets"]) == 0
    assert "heartbeat Watchdog" in capsys.readouterr().out
