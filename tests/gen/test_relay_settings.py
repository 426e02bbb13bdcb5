"""monitoring.yaml's `relay` section through `python -m gen build`: the relay's routes come from
the routing's receivers and the team's targets (one owner of that contract), a receiver that
would reach nobody or a secret in plain text stops the build naming the key and leaves out/
as it was, and what the relay itself refuses is reported at the monitoring.yaml key."""

from __future__ import annotations

from support.paths import REPO
from pathlib import Path

import pytest
import yaml

from gen.render import outdir
from gen.cli import main

ROOT = REPO
DT_URL = "https://oapi.dingtalk.com/robot/send?access_token=5ecret-t0ken"
# routing_src/routing.py, heartbeat aside
RECEIVERS = ["critical", "info", "host", "core-components", "core-apps", "cluster", "middleware"]


pytestmark = pytest.mark.usefixtures("no_bytecode")  # conftest.py


def run_build(capsys, tmp: Path, settings: dict | str, out: Path | None = None) -> tuple[int, str, Path]:
    config = tmp / "monitoring.yaml"
    config.write_text(settings if isinstance(settings, str) else yaml.safe_dump(settings, sort_keys=False))
    out = out or tmp / "out"
    capsys.readouterr()
    rc = main(["build", "--config", str(config), "--out", str(out)])
    return rc, capsys.readouterr().err, out


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """A good build whose out/ every failing build below must leave as it was."""
    tmp = tmp_path_factory.mktemp("relay-settings")
    config = tmp / "monitoring.yaml"
    config.write_text((ROOT / "monitoring.yaml").read_text())
    out = tmp / "out"
    assert main(["build", "--config", str(config), "--out", str(out)]) == 0
    return out, outdir.read_tree(str(out))


def relay_yaml(out: Path) -> dict:
    return yaml.safe_load((out / "relay" / "relay.yaml").read_text())


def receiver_paths(out: Path) -> dict[str, str]:
    plain = yaml.safe_load((out / "alertmanager" / "alertmanager.yaml").read_text())
    return {r["name"]: r["webhook_configs"][0]["url"].split("/alerts", 1)[1] for r in plain["receivers"]}


def test_every_receiver_gets_a_relay_route_with_its_targets(tmp_path, capsys):
    rc, err, out = run_build(capsys, tmp_path, {"relay": {
        "targets": {"oncall": {"kind": "dingtalk", "url_env": "DT_URL"}, "infra": {"kind": "wecom", "url_env": "WC_URL"},
                    "all": {"kind": "slack", "url_file": "/etc/relay-secrets/SLACK_URL"}},
        "receivers": {"critical": ["oncall", "all"], "host": ["infra"]},
        "default_targets": ["all"],
        "heartbeat": {"targets": ["oncall"], "missing_after": "3m"}}})
    assert rc == 0, err
    relay = relay_yaml(out)
    routes = {r["name"]: r["targets"] for r in relay["routes"]}
    assert routes == {"critical": ["oncall", "all"], "host": ["infra"], "info": ["all"], "core-components": ["all"],
                      "core-apps": ["all"], "cluster": ["all"], "middleware": ["all"]}
    # the Alertmanager side: each receiver posts to its own route, the heartbeat to plain /alerts
    assert receiver_paths(out) == {"heartbeat": "", **{r: f"/{r}" for r in RECEIVERS}}
    assert relay["heartbeat"] == {"alertname": "Watchdog", "missing_after": "3m", "targets": ["oncall"]}
    assert relay["default_targets"] == ["all"] and all(not r.get("matchers") for r in relay["routes"])
    # the relay reads the token Alertmanager sends, from the Secret both use
    assert relay["auth"] == {"bearer_token_env": "RELAY_BEARER_TOKEN"}
    header = (out / "relay" / "deployment.yaml").read_text().splitlines()[1]
    assert header.endswith("with the keys: RELAY_BEARER_TOKEN, DT_URL, WC_URL, SLACK_URL"), header


def test_a_single_target_is_the_default(tmp_path, capsys):
    rc, err, out = run_build(capsys, tmp_path, {"relay": {"targets": {"team": {"kind": "wecom", "url_env": "WECOM_URL"}}}})
    assert rc == 0, err
    relay = relay_yaml(out)
    assert {r["name"]: r["targets"] for r in relay["routes"]} == {r: ["team"] for r in RECEIVERS}
    assert relay["default_targets"] == ["team"] and relay["heartbeat"]["targets"] == ["team"]


@pytest.mark.parametrize("relay, key, fragment", [
    pytest.param({"targets": {"a": {"kind": "wecom", "url_env": "A"}, "b": {"kind": "wecom", "url_env": "B"}},
                  "receivers": {"critical": ["a"]}},
                 "relay", "6 receivers would reach no chat target", id="receivers-without-targets"),
    pytest.param({"targets": {"a": {"kind": "wecom", "url_env": "A"}}, "receivers": {"critical": ["b"]}},
                 "relay.receivers.critical[0]", "unknown target 'b'", id="unknown-target"),
    pytest.param({"targets": {"a": {"kind": "wecom", "url_env": "A"}}, "receivers": {"pager": ["a"]}},
                 "relay.receivers.pager", "unknown receiver", id="unknown-receiver"),
    pytest.param({"targets": {"a": {"kind": "wecom", "url_env": "A"}}, "receivers": {"heartbeat": ["a"]}},
                 "relay.receivers.heartbeat", "never delivered to a person", id="heartbeat-receiver"),
    pytest.param({"targets": {"a": {"kind": "wecom", "url_env": "A"}}, "receivers": {"host": []}},
                 "relay.receivers.host", "would drop this receiver's alerts", id="empty-target-list"),
    pytest.param({"targets": {"a": {"kind": "wecom", "url_env": "A"}}, "default_targets": ["z"]},
                 "relay.default_targets[0]", "unknown target 'z'", id="unknown-default-target"),
    pytest.param({"targets": {"a": {"url_env": "A"}}}, "relay.targets.a.kind", "required (known: ", id="no-kind"),
    pytest.param({"targets": {"a": {"kind": "pager", "url_env": "A"}}}, "relay.targets.a.kind", "unknown kind 'pager'",
                 id="relay-refuses-kind"),
    pytest.param({"targets": {"a": {"kind": "dingtalk", "url_env": "A", "mobiles": "13800000000"}}},
                 "relay.targets.a.mobiles", "must be a list", id="relay-refuses-target-key"),
    pytest.param({"targets": {"a": {"kind": "wecom", "url_env": "A", "colour": "red"}}},
                 "relay.targets.a.colour", "unknown key", id="relay-refuses-unknown-key"),
    pytest.param({"timezone": "Mars/Olympus"}, "relay.timezone", "unknown time zone", id="relay-refuses-timezone"),
    pytest.param({"dedup_windw": "5m"}, "relay.dedup_windw", "unknown key", id="unknown-relay-key"),
    pytest.param({"image": {"repository": "registry.example.com/relay:1.0"}}, "relay.image.repository",
                 "without tag", id="image-with-tag"),
    pytest.param({"replicas": 2}, "relay.replicas", "need relay.store.kind: postgresql", id="replicas-on-sqlite"),
    pytest.param({"replicas": 0, "store": {"kind": "postgresql"}}, "relay.replicas", "integer >= 1", id="no-replicas"),
    pytest.param({"store": {"kind": "etcd"}}, "relay.store.kind", "unknown store 'etcd'", id="unknown-store"),
    pytest.param({"store": {"dsn_secret_key": "PG"}}, "relay.store.dsn_secret_key", "postgresql store",
                 id="postgresql-key-on-sqlite"),
    pytest.param({"store": {"kind": "postgresql", "dsn_secret_key": "pg-dsn"}}, "relay.store.dsn_secret_key",
                 "environment variable", id="dsn-key-not-a-variable"),
    pytest.param({"store": {"kind": "postgresql", "lease": "5s"}}, "relay.store.lease",
                 "at least twice delivery_timeout", id="relay-refuses-short-lease"),
])
def test_bad_relay_settings_stop_the_build_naming_the_key(tmp_path, capsys, shipped, relay, key, fragment):
    out, before = shipped
    rc, err, _ = run_build(capsys, tmp_path, {"relay": relay}, out)
    assert rc == 1
    assert f"monitoring.yaml: {key}" in err and fragment in err, err
    assert outdir.read_tree(str(out)) == before


def test_receivers_without_targets_are_named_with_their_routing_line(tmp_path, capsys):
    rc, err, _ = run_build(capsys, tmp_path, {"relay": {
        "targets": {"a": {"kind": "wecom", "url_env": "A"}, "b": {"kind": "wecom", "url_env": "B"}}}})
    assert rc == 1
    for receiver in RECEIVERS:
        assert f"receiver {receiver} (routing_src/routing.py:" in err and f"relay.receivers.{receiver} or relay.default_targets" in err
    assert "heartbeat (" not in err, err


@pytest.mark.parametrize("target, key", [
    pytest.param({"kind": "dingtalk", "url": DT_URL}, "relay.targets.ops.url", id="url"),
    pytest.param({"kind": "dingtalk", "url_env": "DT", "secret": "SEC5ecret-t0ken"}, "relay.targets.ops.secret", id="secret"),
    pytest.param({"kind": "webhook", "url_env": "HOOK", "bearer_token": "5ecret-t0ken"}, "relay.targets.ops.bearer_token",
                 id="bearer-token"),
    pytest.param({"kind": "webhook", "url_env": "HOOK", "headers": {"Authorization": "Bearer 5ecret-t0ken"}},
                 "relay.targets.ops.headers.Authorization", id="authorization-header"),
    pytest.param({"kind": "webhook", "url_env": "HOOK", "headers": {"X-Api-Key": "5ecret-t0ken"}},
                 "relay.targets.ops.headers.X-Api-Key", id="api-key-header"),
])
def test_a_plain_secret_stops_the_build_and_is_never_shown(tmp_path, capsys, shipped, target, key):
    out, before = shipped
    rc, err, _ = run_build(capsys, tmp_path, {"relay": {"targets": {"ops": target}}}, out)
    assert rc == 1
    assert f"monitoring.yaml: {key}: " in err and "committed" in err, err
    assert "5ecret-t0ken" not in err
    assert outdir.read_tree(str(out)) == before


def test_a_secret_variable_must_be_a_variable_name(tmp_path, capsys):
    rc, err, _ = run_build(capsys, tmp_path, {"relay": {"targets": {"ops": {"kind": "wecom", "url_env": "wecom-url"}}}})
    assert rc == 1 and "relay.targets.ops.url_env: 'wecom-url' is not an environment variable name" in err, err


def test_the_old_receiver_route_setting_says_where_it_went(tmp_path, capsys):
    rc, err, _ = run_build(capsys, tmp_path, {"alertmanager": {"receivers": {"host": "team-infra"}}})
    assert rc == 1 and "alertmanager.receivers: no longer a setting" in err and "relay.receivers" in err, err


def test_a_target_template_ships_beside_relay_yaml(tmp_path, capsys):
    (tmp_path / "ops.md.j2").write_text('{% extends "wecom.md.j2" %}{% set title = "OPS" %}\n')
    rc, err, out = run_build(capsys, tmp_path, {"relay": {"targets": {
        "team": {"kind": "wecom", "url_env": "WECOM_URL", "template": "ops.md.j2"}}}})
    assert rc == 0, err
    assert relay_yaml(out)["targets"]["team"]["template"] == "team.j2"
    assert (out / "relay" / "team.j2").read_bytes() == (tmp_path / "ops.md.j2").read_bytes()
    configmap = yaml.safe_load((out / "relay" / "configmap.yaml").read_text())
    assert configmap["data"] == {"relay.yaml": (out / "relay" / "relay.yaml").read_text(),
                                 "team.j2": (tmp_path / "ops.md.j2").read_text()}
    # a template the relay cannot render stops the build at its key
    (tmp_path / "ops.md.j2").write_text("{% for %}\n")
    rc, err, _ = run_build(capsys, tmp_path, {"relay": {"targets": {
        "team": {"kind": "wecom", "url_env": "WECOM_URL", "template": "ops.md.j2"}}}}, tmp_path / "out2")
    assert rc == 1 and "monitoring.yaml: relay.targets.team.template: " in err, err
    assert not (tmp_path / "out2").exists()


def test_image_namespace_and_relay_url_follow_the_settings(tmp_path, capsys):
    rc, err, out = run_build(capsys, tmp_path, {
        "prometheus_rule": {"namespace": "observability"},
        "relay": {"image": {"repository": "registry.example.com/ops/relay", "tag": "2.3.1"}, "storage": "5Gi"}})
    assert rc == 0, err
    deployment = yaml.safe_load((out / "relay" / "deployment.yaml").read_text())
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.example.com/ops/relay:2.3.1"
    assert deployment["metadata"]["namespace"] == "observability"
    # Alertmanager reaches the relay's Service where it is deployed
    plain = yaml.safe_load((out / "alertmanager" / "alertmanager.yaml").read_text())
    assert {r["webhook_configs"][0]["url"].split("/alerts")[0] for r in plain["receivers"]} == \
        {"http://alert-relay.observability.svc:9095"}
    pvc = yaml.safe_load((out / "relay" / "pvc.yaml").read_text())
    assert pvc["spec"]["resources"]["requests"]["storage"] == "5Gi"


def test_placeholders_are_warned_about_once_until_set(tmp_path, capsys):
    rc, err, _ = run_build(capsys, tmp_path, {})
    assert rc == 0 and err.count("[placeholders]") == 1, err
    for key in ("runbook_url_base", "grafana_url", "relay.image.repository"):
        assert key in err
    rc, err, _ = run_build(capsys, tmp_path, {"runbook_url_base": "https://git.example.org/ops/monitoring/docs/runbooks",
                                              "grafana_url": "https://grafana.example.org",
                                              "relay": {"image": {"repository": "registry.example.org/relay"}}})
    assert rc == 0 and "[placeholders]" not in err, err
