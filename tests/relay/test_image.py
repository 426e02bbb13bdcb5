"""What the relay's image holds, proven without a container engine (none runs here): the
image's build context (`make relay-context`) installed the way relay/Dockerfile installs it,
into a fresh virtualenv, runs the relay against a chat contract server; the compiler and its
dependencies are not there. And in the development environment, where both products are
installed, starting the relay imports nothing of the compiler."""

from __future__ import annotations

from support.paths import REPO
import json
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

from support.chatfakes import WeComFake
from support.relay_support import RelayProcess, payload

# live: installs the relay's image context into a fresh virtualenv; `pytest -m "not live"` skips it
pytestmark = pytest.mark.live

ROOT = REPO
DOCKERFILE = ROOT / "relay" / "Dockerfile"
COMPILER = ("gen", "grafanalib", "promql_parser", "jsonschema", "fastjsonschema", "requests")


def dockerfile_install() -> str:
    """The extra the Dockerfile installs from its context: the one thing this test mirrors."""
    found = re.findall(r'pip install --no-cache-dir "/src\[(\w+)\]"', DOCKERFILE.read_text())
    assert found == ["relay"], f"relay/Dockerfile no longer installs /src[relay] once: {found}"
    return found[0]


@pytest.fixture(scope="module")
def image_env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("relay-image")
    context = tmp / "context"
    subprocess.run(["make", "-s", "relay-context", f"RELAY_CONTEXT={context}"], cwd=ROOT, check=True, timeout=60)
    assert sorted(p.name for p in context.iterdir()) == ["README.md", "common", "pyproject.toml", "relay"]
    venv.create(tmp / "venv", with_pip=True)
    python = tmp / "venv" / "bin" / "python"
    run = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                          f"{context}[{dockerfile_install()}]"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    return tmp, python


def test_the_image_holds_the_relay_and_not_the_compiler(image_env):
    _, python = image_env
    code = ("import importlib.util, json; "
            f"print(json.dumps({{m: importlib.util.find_spec(m) is not None for m in {list(COMPILER) + ['relay', 'common', 'aiohttp', 'jinja2']!r}}}))")
    found = json.loads(subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True,
                                      cwd="/", timeout=60).stdout)
    assert {m for m, there in found.items() if there} == {"relay", "common", "aiohttp", "jinja2"}, found


def test_the_relay_from_the_image_delivers_to_a_chat_target(image_env):
    tmp, python = image_env
    with WeComFake(key="image-key") as fake:
        config = {"listen": "127.0.0.1:0", "store": str(tmp / "relay.db"),
                  "auth": {"bearer_token_env": "RELAY_BEARER_TOKEN"},
                  "targets": {"team": {"kind": "wecom", "url_env": "WECOM_URL"}},
                  "routes": [{"name": "cluster", "targets": ["team"]}], "default_targets": ["team"]}
        relay = RelayProcess(tmp, config, extra_modules=(), env={"RELAY_BEARER_TOKEN": "image-token", "WECOM_URL": fake.url},
                             python=str(python))
        relay.start()
        try:
            status, body = relay.post(payload(1, alertname="KubeQuotaExceeded"), path="/alerts/cluster",
                                      headers={"Authorization": "Bearer image-token"})
            assert status == 200 and body["targets"] == ["team"], body
            relay.wait_delivered(body["id"], "team")
        finally:
            relay.stop()
        assert len(fake.accepted) == 1 and "KubeQuotaExceeded" in fake.accepted[0]["markdown"]["content"]


def test_starting_the_relay_imports_nothing_of_the_compiler(tmp_path):
    """Beside the compiler (this environment has both), the relay's start-up path loads its
    config, its kinds and its server, and none of the compiler's modules or dependencies."""
    (tmp_path / "relay.yaml").write_text(yaml.safe_dump({
        "listen": "127.0.0.1:0", "store": str(tmp_path / "relay.db"),
        "targets": {"team": {"kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}},
        "default_targets": ["team"]}))
    code = ("import sys, json; from relay import cli, server, worker, heartbeat; from relay.config import load_relay_config; "
            f"load_relay_config({str(tmp_path / 'relay.yaml')!r}); "
            "print(json.dumps(sorted(m for m in sys.modules)))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                       cwd=tmp_path, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout)
    assert not [m for m in loaded if m.split(".")[0] in COMPILER], [m for m in loaded if m.split(".")[0] in COMPILER]


def test_the_image_agrees_with_the_objects_that_run_it():
    """relay/Dockerfile and out/relay/ describe one container: the image name make builds is
    the Deployment's, the health check asks the port relay.yaml listens on, the user is the
    Deployment's, the store's volume is where relay.yaml keeps the store."""
    out = ROOT / "out" / "relay"
    deployment = yaml.safe_load((out / "deployment.yaml").read_text())
    pod = deployment["spec"]["template"]["spec"]
    config = yaml.safe_load((out / "relay.yaml").read_text())
    dockerfile = DOCKERFILE.read_text()
    name = subprocess.run(["make", "-s", "relay-image-name"], cwd=ROOT, capture_output=True, text=True, check=True,
                          timeout=30).stdout.strip()
    assert name == pod["containers"][0]["image"]
    port = config["listen"].rsplit(":", 1)[1]
    assert re.search(rf"HEALTHCHECK .*http://127\.0\.0\.1:{port}/healthz", dockerfile, re.S)
    uid = pod["securityContext"]["runAsUser"]
    assert re.search(rf"^USER {uid}:{pod['securityContext']['runAsGroup']}$", dockerfile, re.M)
    assert f"--uid {uid}" in dockerfile
    assert re.search(rf"^VOLUME {os.path.dirname(config['store'])}$", dockerfile, re.M)
