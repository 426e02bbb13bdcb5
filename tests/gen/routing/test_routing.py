"""Alertmanager routing (routing_src/routing.py -> out/alertmanager/): the generated config passes
amtool check-config, every route case passes `amtool config routes test`, the cases cover
every route, every catalog alert lands where its area says, and bad definitions or settings
are named (routing.py:line, monitoring.yaml key).
"""

from __future__ import annotations

from support.paths import REPO
import dataclasses
import shutil
from pathlib import Path

import pytest
import yaml

from gen.tools import amtool
from gen.render import outdir
from gen import upstream
from gen.build import build
from gen.core.errors import ConfigError, DefinitionError, RoutingError
from gen.rules.loader import load_catalog
from gen.routing.loader import load_routing
from gen.routing import check
from gen.routing.model import RouteCase
from gen.routing.render import PLAIN, RESOURCE

ROUTING = load_routing(upstream.ROUTING)
REPO = REPO


pytestmark = pytest.mark.usefixtures("no_bytecode")  # conftest.py


def _copy_catalog(rules: Path) -> Path:
    """The catalog, the dashboards its alerts link to and the routing, side by side as in the
    project; the routing module's path."""
    shutil.copytree(upstream.RULES, rules, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(upstream.DASHBOARDS, rules.parent / "dashboards_src", ignore=shutil.ignore_patterns("__pycache__"))
    (rules.parent / "routing_src").mkdir()
    shutil.copy(upstream.ROUTING, rules.parent / "routing_src" / "routing.py")
    return rules.parent / "routing_src" / "routing.py"


def _built(tmp: Path, settings: dict | None = None, rules_src: str = upstream.RULES):
    config = tmp / "monitoring.yaml"
    config.write_text(yaml.safe_dump(settings or {}))
    compiled, files = build(str(config), rules_src)
    outdir.write_tree(str(tmp / "out"), files)
    return compiled, files, str(tmp / "out" / PLAIN)


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    return _built(tmp_path_factory.mktemp("routing"))


def test_amtool_accepts_the_generated_config(default):
    compiled, _, path = default
    run = check.check_config(path)
    assert run.ok, run.output
    assert f"{len(compiled.routing.inhibits)} inhibit rules" in run.output
    assert f"{len(compiled.routing.receivers)} receivers" in run.output


def test_amtool_accepts_the_committed_config():
    run = check.check_config(str(REPO / "out" / PLAIN))
    assert run.ok, run.output


@pytest.mark.parametrize("case", ROUTING.cases, ids=[c.name for c in ROUTING.cases])
def test_route_case(default, case):
    _, _, path = default
    got, verified = amtool.routes_test(path, case.labels, case.receivers)
    assert verified and got == case.receivers, f"{case.source}: {case.labels} reached {got}"


def test_cases_cover_every_route_the_heartbeat_and_the_default(default):
    compiled, _, _ = default
    resolved = compiled.routing
    assert check.coverage_gaps(resolved) == []
    ends = {route.label for case in resolved.cases for route in resolved.match(case.labels)}
    assert {"heartbeat", "root"} <= ends


def test_a_route_without_a_case_is_named(default):
    compiled, _, _ = default
    resolved = compiled.routing
    cases = [c for c in resolved.cases if "host" not in resolved.receivers_for(c.labels)]
    gaps = check.coverage_gaps(dataclasses.replace(resolved, cases=cases))
    assert len(gaps) == 1 and "route host (receiver host)" in gaps[0] and "routing.py:" in gaps[0]


def test_a_wrong_case_fails_with_what_amtool_found(default):
    _, _, path = default
    wrong = RouteCase("Watchdog to people", {"alertname": "Watchdog", "severity": "info"}, ["host"])
    [result] = check.run_cases(path, [wrong])
    assert not result.ok and result.got == ["heartbeat"]
    assert "FAILED: got ['heartbeat']" in str(result)


# The area each catalog module's warnings belong to (the seed's split); critical alerts of
# every area page on-call, info alerts wait in the info receiver.
AREA = {"nodes": "host", "apiserver": "core-components", "control_plane": "core-components", "etcd": "core-components",
        "coredns": "core-components", "ingress": "core-components", "monitoring": "core-components",
        "pods": "core-apps", "workloads": "core-apps", "storage": "core-apps", "resources": "cluster"}
GROUP_AREA = {"kubernetes-nodes": "host", "kubelet": "core-components"}


@pytest.mark.live  # runs amtool for every catalog alert (seconds)
def test_every_catalog_alert_reaches_its_area_and_watchdog_only_the_heartbeat(default):
    compiled, _, path = default
    resolved = compiled.routing
    assert {a.module for a in resolved.alerts} == set(AREA) | {"kubelet"}
    for alert in resolved.alerts:
        labels = {**alert.labels, "alertname": alert.name}
        got, _ = amtool.routes_test(path, labels)
        assert resolved.receivers_for(labels) == got, alert.name  # the tree walk the coverage check uses
        if alert.name == "Watchdog":
            assert got == ["heartbeat"]
            continue
        severity = alert.labels["severity"]
        expected = {"critical": "critical", "info": "info"}.get(severity) or GROUP_AREA.get(alert.group) or AREA[alert.module]
        assert got == [expected], (alert.name, alert.module, alert.group, severity)


NEW_ALERT = '''

from gen.model import Alert as _Alert, Case as _Case, Fire as _Fire
groups[0].rules.append(_Alert(
    "NodeDiskMissing", expr='node_disk_present{${node_exporter}} == 0', severity="warning",
    summary="A disk is gone.", description="Disk {{ $labels.device }} of {{ $labels.instance }} is gone.",
    cases=[_Case("fires", series={'node_disk_present{${node_exporter}, instance="n1", device="sdb"}': "0x5"}, at="1m",
                 fires=[_Fire({"instance": "n1", "device": "sdb", "job": "node-exporter"}, value=0)]),
           _Case("silent", series={'node_disk_present{${node_exporter}, instance="n1", device="sdb"}': "1x5"}, at="1m")]))
'''


def test_an_alert_added_to_a_module_is_routed_with_it(tmp_path):
    rules = tmp_path / "rules_src"
    _copy_catalog(rules)
    with open(rules / "nodes.py", "a") as fh:
        fh.write(NEW_ALERT)
    _, _, path = _built(tmp_path, rules_src=str(rules))
    assert amtool.routes_test(path, {"alertname": "NodeDiskMissing", "severity": "warning"})[0] == ["host"]
    # before, the same alert was not the host's
    (tmp_path / "before").mkdir()
    _, _, before = _built(tmp_path / "before")
    assert amtool.routes_test(before, {"alertname": "NodeDiskMissing", "severity": "warning"})[0] == ["cluster"]


def test_settings_reach_receivers_timings_and_resources(tmp_path):
    compiled, files, path = _built(tmp_path, {"alertmanager": {
        "relay_url": "https://relay.example.org:8443/base/",
        "token_secret": {"name": "relay-token", "key": "token"},
        "timings": {"critical": {"repeat_interval": "30m"}, "heartbeat": {"group_interval": "30s"}},
        "resolve_timeout": "10m",
        "namespace": "alerting", "name": "routing", "labels": {"alertmanagerConfig": "main"},
    }})
    assert check.check_config(path).ok
    plain = yaml.safe_load(files[PLAIN])
    urls = {r["name"]: r["webhook_configs"][0]["url"] for r in plain["receivers"]}
    assert urls == {
        "heartbeat": "https://relay.example.org:8443/base/alerts",
        "critical": "https://relay.example.org:8443/base/alerts/critical",
        "info": "https://relay.example.org:8443/base/alerts/info",
        "host": "https://relay.example.org:8443/base/alerts/host",
        "core-components": "https://relay.example.org:8443/base/alerts/core-components",
        "core-apps": "https://relay.example.org:8443/base/alerts/core-apps",
        "cluster": "https://relay.example.org:8443/base/alerts/cluster",
        "middleware": "https://relay.example.org:8443/base/alerts/middleware",
    }
    for r in plain["receivers"]:
        assert r["webhook_configs"][0]["http_config"] == {
            "authorization": {"type": "Bearer", "credentials_file": "/etc/alertmanager/secrets/relay-token/token"}}
    assert plain["global"] == {"resolve_timeout": "10m"}
    heartbeat = plain["route"]["routes"][0]
    assert heartbeat["matchers"] == ['alertname="Watchdog"']
    assert (heartbeat["group_interval"], heartbeat["repeat_interval"]) == ("30s", "1m")
    criticals = [r for r in _walk(plain["route"]) if r["receiver"] == "critical"]
    assert criticals and all(r["repeat_interval"] == "30m" and r["group_wait"] == "10s" for r in criticals)
    resource = yaml.safe_load(files[RESOURCE])
    assert resource["metadata"] == {"name": "routing", "namespace": "alerting", "labels": {"alertmanagerConfig": "main"}}
    for r in resource["spec"]["receivers"]:
        assert r["webhookConfigs"][0]["httpConfig"]["authorization"] == {
            "type": "Bearer", "credentials": {"name": "relay-token", "key": "token"}}


def _walk(route: dict):
    yield route
    for child in route.get("routes", []):
        yield from _walk(child)


def test_multi_cluster_groups_and_inhibits_per_cluster(tmp_path):
    _, files, path = _built(tmp_path, {"multi_cluster": {"enabled": True, "label": "k8s_cluster"}})
    assert check.check_config(path).ok
    plain = yaml.safe_load(files[PLAIN])
    assert all("k8s_cluster" in r["group_by"] for r in _walk(plain["route"]) if "group_by" in r)
    assert all("k8s_cluster" in rule["equal"] for rule in plain["inhibit_rules"])


def _crd_matcher_text(m: dict) -> str:
    value = m["value"].replace("\\", "\\\\").replace('"', '\\"')
    return f'{m["name"]}{m["matchType"]}"{value}"'


def _crd_route_as_plain(route: dict) -> dict:
    keys = {"groupBy": "group_by", "groupWait": "group_wait", "groupInterval": "group_interval",
            "repeatInterval": "repeat_interval"}
    out = {}
    for k, v in route.items():
        if k == "matchers":
            out[k] = [_crd_matcher_text(m) for m in v]
        elif k == "routes":
            out[k] = [_crd_route_as_plain(r) for r in v]
        else:
            out[keys.get(k, k)] = v
    return out


def test_alertmanagerconfig_holds_the_same_routing_in_the_crd_form(default):
    _, files, _ = default
    plain = yaml.safe_load(files[PLAIN])
    resource = yaml.safe_load(files[RESOURCE])
    assert (resource["apiVersion"], resource["kind"]) == ("monitoring.coreos.com/v1alpha1", "AlertmanagerConfig")
    assert resource["metadata"] == {"name": "k8s-alert-routing", "namespace": "monitoring"}
    spec = resource["spec"]
    assert set(spec) == {"route", "inhibitRules", "receivers"}
    for route in _walk(spec["route"]):
        assert set(route) <= {"receiver", "matchers", "groupBy", "groupWait", "groupInterval", "repeatInterval",
                              "continue", "routes"}
        assert all(set(m) == {"name", "value", "matchType"} and m["matchType"] in ("=", "!=", "=~", "!~")
                   for m in route.get("matchers", []))
    assert _crd_route_as_plain(spec["route"]) == plain["route"]
    assert [{"source_matchers": [_crd_matcher_text(m) for m in r["sourceMatch"]],
             "target_matchers": [_crd_matcher_text(m) for m in r["targetMatch"]],
             "equal": r["equal"]} for r in spec["inhibitRules"]] == plain["inhibit_rules"]
    assert [(r["name"], r["webhookConfigs"][0]["url"], r["webhookConfigs"][0]["sendResolved"]) for r in spec["receivers"]] \
        == [(r["name"], r["webhook_configs"][0]["url"], r["webhook_configs"][0]["send_resolved"]) for r in plain["receivers"]]
    kustomization = yaml.safe_load(files["kustomization.yaml"])
    assert RESOURCE in kustomization["resources"] and PLAIN not in kustomization["resources"]


def test_build_is_deterministic(tmp_path, default):
    _, files, _ = default
    _, again, _ = _built(tmp_path)
    assert files[PLAIN] == again[PLAIN] and files[RESOURCE] == again[RESOURCE]


@pytest.mark.parametrize("settings, key, fragment", [
    ({"relay_url": "alert-relay:9095"}, "alertmanager.relay_url", "is not an http(s) URL"),
    ({"relay_url": "http://relay:9095/alerts"}, "alertmanager.relay_url", "give the relay's base URL"),
    ({"relay_url": "http://relay:9095/?x=1"}, "alertmanager.relay_url", "is not an http(s) URL"),
    ({"relay_url": 9095}, "alertmanager.relay_url", "must be a string"),
    ({"relay": "http://x"}, "alertmanager.relay", "unknown key"),
    ({"receivers": {"host": "team-infra"}}, "alertmanager.receivers", "name its chat targets under relay.receivers"),
    ({"timings": {"critical": {"repeat_interval": "soon"}}}, "alertmanager.timings.critical.repeat_interval", "not a duration"),
    ({"timings": {"critical": {"repeat_interval": "0s"}}}, "alertmanager.timings.critical.repeat_interval", "more than 0"),
    ({"timings": {"critical": {"repeat": "1h"}}}, "alertmanager.timings.critical.repeat", "unknown key"),
    ({"timings": {"urgent": {"repeat_interval": "1h"}}}, "alertmanager.timings.urgent", "unknown timing"),
    ({"token_secret": {"name": "Relay_Token"}}, "alertmanager.token_secret.name", "not a Kubernetes object name"),
    ({"credentials_file": "token"}, "alertmanager.credentials_file", "absolute path"),
    ({"namespace": "Monitoring"}, "alertmanager.namespace", "not a Kubernetes object name"),
    ({"labels": ["a"]}, "alertmanager.labels", "must be a mapping"),
])
def test_bad_settings_name_the_key(tmp_path, settings, key, fragment):
    with pytest.raises(ConfigError) as err:
        _built(tmp_path, {"alertmanager": settings})
    message = str(err.value)
    assert f"monitoring.yaml: {key}: " in message and fragment in message, message


def test_disabling_the_heartbeat_alert_is_refused(tmp_path):
    with pytest.raises(RoutingError, match=r"routing\.py:\d+: heartbeat: alert 'Watchdog' is disabled in .*monitoring\.yaml"):
        _built(tmp_path, {"alerts": {"Watchdog": {"disabled": True}}})


def _with_routing(tmp_path: Path, old: str, new: str) -> str:
    rules = tmp_path / "rules_src"
    routing = _copy_catalog(rules)
    text = routing.read_text()
    assert old in text, old
    routing.write_text(text.replace(old, new, 1))
    return str(rules)


def _line_of(rules: str, fragment: str) -> int:
    """The line a definition starts at (Python reports a call spanning lines at its first)."""
    lines = (Path(rules).parent / "routing_src" / "routing.py").read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if fragment in line)


@pytest.mark.live  # a whole build per case (seconds in all)
@pytest.mark.parametrize("old, new, at, fragment", [
    ('modules=["pods", "workloads", "storage"]', 'modules=["pods", "workload", "storage"]',
     'modules=["pods", "workload"', "unknown catalog module 'workload'"),
    ('groups=["kubelet"]', 'groups=["kubelets"]', 'Route(name="core-components"', "unknown rule group 'kubelets'"),
    ('receiver="core-apps",', 'receiver="apps",', 'receiver="apps"', "unknown receiver 'apps'"),
    ('Receiver("cluster"),', 'Receiver("cluster"), Receiver("spare"),',
     'Receiver("spare")', "receiver 'spare' is not used by any route"),
    ('target=[\'severity="info"\', \'pod=~".+"\'],', 'target=[\'severity="info"\'],',
     "Inhibit(source=", "inhibit target matches the heartbeat Watchdog"),
    ('receiver="cluster", group_by=["alertname", "namespace"]', 'receiver="heartbeat", group_by=["alertname", "namespace"]',
     "route=Route(", "receiver 'heartbeat' is the heartbeat's alone"),
    ('timing="warning",', 'timing="normal",', "route=Route(", "unknown timing 'normal'"),
    ('"etcdDatabaseQuotaLowSpace": ', '"etcdDatabaseQuotaLow": ', "critical_twins=CriticalTwins(",
     "no alert 'etcdDatabaseQuotaLow' in the catalog"),
    ('matchers=[\'severity="critical"\']', 'matchers=[\'severity="crit"ical"\']', "matchers=['severity=\"crit",
     "unescaped double quote"),
    ('group_by=["alertname", "instance"]', 'group_by=["alertname", "instance", "alertname"]', 'Route(name="host"',
     "repeats a label"),
])
def test_definition_errors_name_routing_py_and_line(tmp_path, old, new, at, fragment):
    rules = _with_routing(tmp_path, old, new)
    with pytest.raises((RoutingError, DefinitionError)) as err:
        _built(tmp_path, rules_src=rules)
    message = str(err.value)
    assert fragment in message, message
    line = _line_of(rules, at)
    assert f"routing.py:{line}" in message, (line, message)


def test_routing_lives_apart_from_the_catalog(tmp_path):
    """A routing module is found at routing_src/routing.py beside the catalog; a catalog module
    defining `routing` (the old place) is refused with the new one named, and a routing module
    without a Routing is refused naming its file."""
    rules = tmp_path / "rules_src"
    routing = _copy_catalog(rules)
    compiled, _ = build(None, str(rules))
    assert compiled.routing is not None and "routing" not in {m.name for m in compiled.catalog.modules}
    shutil.copy(routing, rules / "routing.py")
    with pytest.raises(DefinitionError, match=r"rules_src/routing\.py: a catalog module must define `groups`.*routing_src/routing\.py"):
        load_catalog(str(rules))
    (rules / "routing.py").unlink()
    routing.write_text("routing = {'receivers': []}\n")
    with pytest.raises(DefinitionError, match=r"routing_src/routing\.py: a routing module must define `routing`, a Routing"):
        build(None, str(rules))
    routing.unlink()
    assert build(None, str(rules))[0].routing is None


def test_the_example_in_monitoring_yaml_comments_builds(tmp_path):
    """monitoring.yaml documents the `alertmanager` keys as a commented example: it must stay valid."""
    lines = (REPO / "monitoring.yaml").read_text().splitlines()
    start = lines.index("# alertmanager:")
    block = []
    for line in lines[start:]:
        if not line.startswith("#"):
            break
        block.append(line[2:] if line.startswith("# ") else line[1:])
    settings = yaml.safe_load("\n".join(block))["alertmanager"]
    compiled, _, path = _built(tmp_path, {"alertmanager": settings})
    assert check.check_config(path).ok
    assert compiled.routing.settings.timings == settings["timings"]
