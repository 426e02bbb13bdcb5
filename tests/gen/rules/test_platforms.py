"""`platform:` in monitoring.yaml: a managed control plane's hidden components take their alerts
(and the recording rules only they use) out of the build, unless the file re-enables them."""

from __future__ import annotations

from support.paths import REPO
import re
import textwrap
from pathlib import Path

import pytest
import yaml

from gen.render import outdir
from gen.build import build, compile_rules, render, render_docs
from gen.cli import main
from gen.config import AlertOverride, Config, parse_config
from gen.core.errors import ConfigError, DefinitionError
from gen.rules.loader import load_catalog
from gen.model import Alert
from gen.core.resolved import AlertRule, RecordingRule
from gen.rules.resolve import platform_off

ROOT = REPO
MANAGED = {"etcd", "kube_scheduler", "kube_controller_manager"}

# Reviewed by hand against rules_src/control_plane.py and rules_src/etcd.py: on ACK managed
# clusters the two absent()-based Down alerts fire from the first evaluation and every etcd
# alert is dead. A catalog change that changes this list must change it here, deliberately.
ACK_MANAGED_OFF = {
    "KubeSchedulerDown", "KubeControllerManagerDown",
    "etcdNoLeader", "etcdInsufficientMembers", "etcdMembersDown", "etcdHighNumberOfLeaderChanges",
    "etcdHighNumberOfFailedGRPCRequests", "etcdGRPCRequestsSlow", "etcdMemberCommunicationSlow",
    "etcdHighNumberOfFailedProposals", "etcdHighFsyncDurations", "etcdHighFsyncDurationsCritical",
    "etcdHighCommitDurations", "etcdHighCommitDurationsCritical", "etcdDatabaseQuotaLowSpace",
    "etcdDatabaseSizePredictedToExceedQuota", "etcdDatabaseHighFragmentationRatio",
}
# They read kube-scheduler and kube-controller-manager `or` the API server, kubelet and kube-proxy:
# still meaningful where the first two are hidden.
ACK_MANAGED_STAY_ON = {"KubeClientErrors", "KubeVersionMismatch"}


def _built(settings: dict) -> dict[str, AlertRule | RecordingRule]:
    compiled = compile_rules(parse_config(settings, "monitoring.yaml"))
    return {r.name: r for rf in compiled.rule_files for g in rf.groups for r in g.rules}


def _catalog_alerts() -> list[Alert]:
    catalog = load_catalog(str(ROOT / "rules_src"))
    return [r for m in catalog.modules for g in m.groups for r in g.rules if isinstance(r, Alert)]


def _selectors_read(alert: Alert, selectors: set[str]) -> set[str]:
    """Written apart from gen.rules.resolve: the `${name}` of the definition's expression that are selectors."""
    return {name for name in re.findall(r"\$\{(\w+)\}", alert.expr) if name in selectors and name not in alert.params}


def test_ack_managed_turns_off_exactly_the_alerts_reading_only_hidden_components():
    selectors = set(load_catalog(str(ROOT / "rules_src")).selectors)
    reading = {a.name: _selectors_read(a, selectors) for a in _catalog_alerts()}
    expected = {name for name, used in reading.items() if used and used <= MANAGED}
    mixed = {name for name, used in reading.items() if used & MANAGED and not used <= MANAGED}

    default, ack = _built({}), _built({"platform": "ack-managed"})
    off = set(default) - set(ack)
    assert off == expected
    assert off == ACK_MANAGED_OFF
    assert mixed == ACK_MANAGED_STAY_ON and mixed <= set(ack)
    assert set(ack) <= set(default)
    assert all(ack[name].expr == default[name].expr for name in ack)  # the rest as they were


@pytest.mark.parametrize("name", ["ack-managed", "tke", "cce"])
def test_managed_platforms_hide_etcd_scheduler_and_controller_manager(name):
    catalog = load_catalog(str(ROOT / "rules_src"))
    assert set(catalog.platforms[name].hidden) == MANAGED
    assert catalog.platforms[name].sources, f"{name}: no source cited"
    assert set(platform_off(catalog, Config(), name)) == ACK_MANAGED_OFF


def test_disabled_false_re_enables_an_alert_the_platform_turns_off():
    default = _built({})
    ack = _built({"platform": "ack-managed", "alerts": {"KubeSchedulerDown": {"disabled": False}}})
    assert ack["KubeSchedulerDown"].expr == default["KubeSchedulerDown"].expr
    assert "KubeControllerManagerDown" not in ack
    assert "etcdNoLeader" not in ack


def test_disabled_distinguishes_unset_from_false():
    cfg = parse_config({"alerts": {"PodCpu75": {"threshold": 80}, "KubeSchedulerDown": {"disabled": False},
                                   "etcdNoLeader": {"disabled": True}}}, "monitoring.yaml")
    assert cfg.alerts["PodCpu75"].disabled is None
    assert cfg.alerts["KubeSchedulerDown"].disabled is False
    assert cfg.alerts["etcdNoLeader"].disabled is True
    assert AlertOverride().disabled is None


def test_disabled_true_still_wins_without_a_platform_and_false_changes_nothing():
    default = _built({})
    built = _built({"alerts": {"KubeSchedulerDown": {"disabled": False}, "KubePodCrashLooping": {"disabled": True}}})
    assert set(default) - set(built) == {"KubePodCrashLooping"}


def test_unknown_platform_names_the_key_and_the_known_ones():
    with pytest.raises(ConfigError) as exc:
        compile_rules(parse_config({"platform": "ack"}, "monitoring.yaml"))
    message = str(exc.value)
    assert message.startswith("monitoring.yaml: platform: unknown platform 'ack' (known: ")
    for known in ("self-managed", "kubeadm", "ack-managed", "tke", "cce"):
        assert known in message


def test_platform_must_be_a_string():
    with pytest.raises(ConfigError, match=r"monitoring.yaml: platform"):
        parse_config({"platform": ["ack-managed"]}, "monitoring.yaml")


@pytest.mark.parametrize("platform", ["self-managed", "kubeadm"])
def test_platforms_hiding_nothing_leave_out_byte_identical(platform):
    """The committed out/ is the build of monitoring.yaml; naming either platform changes no byte."""
    settings = yaml.safe_load((ROOT / "monitoring.yaml").read_text()) or {}
    assert "platform" not in settings
    _, files = build(parse_config({**settings, "platform": platform}, str(ROOT / "monitoring.yaml")))
    diff = outdir.compare(str(ROOT / "out"), files)
    assert diff.clean, diff.summary()


def test_default_build_equals_an_explicit_self_managed_build(tmp_path):
    trees = {}
    for label, settings in (("default", {}), ("explicit", {"platform": "self-managed"})):
        outdir.write_tree(str(tmp_path / label), render(compile_rules(parse_config(settings, "monitoring.yaml"))))
        trees[label] = outdir.read_tree(str(tmp_path / label))
    assert trees["default"] == trees["explicit"]
    ack = render(compile_rules(parse_config({"platform": "ack-managed"}, "monitoring.yaml")))
    assert ack != trees["default"]  # the comparison would see a difference


def test_params_mark_the_alerts_the_platform_turns_off(tmp_path, capsys):
    config = tmp_path / "monitoring.yaml"
    config.write_text("platform: ack-managed\nalerts:\n  KubeControllerManagerDown:\n    disabled: false\n"
                      "  KubePodCrashLooping:\n    disabled: true\n")
    capsys.readouterr()
    assert main(["params", "--config", str(config)]) == 0
    lines = {line.split("  ", 1)[0]: line for line in capsys.readouterr().out.splitlines()}
    assert lines["etcdNoLeader"].endswith("disabled* (platform ack-managed hides etcd)")
    assert lines["KubeSchedulerDown"].endswith("disabled* (platform ack-managed hides kube_scheduler)")
    assert "disabled" not in lines["KubeControllerManagerDown"]
    assert lines["KubePodCrashLooping"].endswith("disabled*")  # the file's own, not the platform's
    assert "platform" not in lines["KubeClientErrors"]


def _section(text: str, name: str) -> str:
    return text.split(f"## `{name}`", 1)[1].split("\n## ", 1)[0]


def test_platforms_md_lists_what_each_platform_turns_off():
    compiled = compile_rules(Config())
    text = render_docs(compiled)["docs/platforms.md"].decode()
    assert (ROOT / "docs" / "platforms.md").read_text() == text
    ack = _section(text, "ack-managed")
    assert set(re.findall(r"^- `(\w+)` \(reads ", ack, re.M)) == ACK_MANAGED_OFF
    for url in compiled.catalog.platforms["ack-managed"].sources:
        assert f"<{url}>" in ack
    assert all(f"`{name}`" in ack.split("Stay on", 1)[1] for name in ACK_MANAGED_STAY_ON)
    assert not re.findall(r"^- `\w+` \(reads ", _section(text, "kubeadm"), re.M)


# -- a team's catalog ----------------------------------------------------------------------

def _team(folder: Path, platforms: str, rules: str = "") -> str:
    folder.mkdir()
    (folder / "_platforms.py").write_text(textwrap.dedent(platforms))
    (folder / "team.py").write_text(textwrap.dedent(rules) or "groups = []\n")
    return str(folder)


def test_a_team_may_add_a_platform(tmp_path):
    team = _team(tmp_path / "team_rules", """\
        from gen.model import Platform
        PLATFORMS = {"edge": Platform("Edge clusters", hidden=("kube_scheduler",))}
    """)
    catalog = load_catalog([str(ROOT / "rules_src"), team])
    assert {"edge", "ack-managed"} <= set(catalog.platforms)
    assert set(platform_off(catalog, Config(), "edge")) == {"KubeSchedulerDown"}


def test_a_team_may_not_redefine_an_upstream_platform(tmp_path):
    team = _team(tmp_path / "team_rules", """\
        from gen.model import Platform
        PLATFORMS = {"ack-managed": Platform("Mine")}
    """)
    with pytest.raises(DefinitionError, match=r"_platforms.py:\d+: PLATFORMS redefines 'ack-managed' of .*rules_src/_platforms.py:\d+"):
        load_catalog([str(ROOT / "rules_src"), team])


def test_a_platform_hiding_an_unknown_selector_is_refused(tmp_path):
    team = _team(tmp_path / "team_rules", """\
        from gen.model import Platform
        PLATFORMS = {"odd": Platform("Odd", hidden=("kube_schedular",))}
    """)
    with pytest.raises(DefinitionError, match=r"_platforms.py:\d+: platform 'odd' hides 'kube_schedular'"):
        load_catalog([str(ROOT / "rules_src"), team])


RECORDS = """\
    from gen.model import Alert, Group, Record
    # readers before what they read: the propagation must not depend on the order
    groups = [Group("etcd-derived", [
        Alert("EtcdFsyncP99High", expr="job:etcd_fsync:p99_doubled > 1", severity="warning"),
        Record("job:etcd_fsync:p99_doubled", expr="2 * job:etcd_fsync:p99"),
        Record("job:etcd_fsync:p99", expr="histogram_quantile(0.99, rate(etcd_disk_wal_fsync_duration_seconds_bucket{${etcd}}[5m]))"),
        Alert("ApiserverUp", expr="up{${apiserver}} == 0", severity="warning"),
    ])]
"""


def test_recording_rules_only_hidden_components_feed_go_with_their_alerts(tmp_path):
    team = _team(tmp_path / "team_rules", "PLATFORMS = {}\n", RECORDS)
    catalog = load_catalog([str(ROOT / "rules_src"), team])
    off = platform_off(catalog, Config(), "ack-managed")
    assert {"job:etcd_fsync:p99", "job:etcd_fsync:p99_doubled", "EtcdFsyncP99High"} <= set(off)
    assert "ApiserverUp" not in off

    keep = Config(alerts={"EtcdFsyncP99High": AlertOverride(disabled=False)})
    off = platform_off(catalog, keep, "ack-managed")
    assert not {"job:etcd_fsync:p99", "job:etcd_fsync:p99_doubled", "EtcdFsyncP99High"} & set(off)


def test_readme_lists_what_ack_managed_turns_off():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Managed control planes (platform:)", 1)[1].split("\n## ", 1)[0]
    listed = section.split("these 17 alerts are left out:", 1)[1].split(".", 1)[0]
    assert {n.strip() for n in listed.replace("\n", " ").split(",")} == ACK_MANAGED_OFF
    assert f"these {len(ACK_MANAGED_OFF)} alerts" in section
    assert "docs/platforms.md" in section
