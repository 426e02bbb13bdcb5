"""The catalog as a whole: the seed table is covered, every alert documented and runbooked."""

from __future__ import annotations

import os
import re

import pytest

from gen import upstream
from gen.build import compile_rules, render_docs
from gen.config import Config
from gen.rules.loader import load_catalog
from gen.model import Alert

# The 60 alerts of the table the project started from (seed 001, 常用告警规则列表), by name.
SEED_TABLE = """
PodCpu75 PodMemory75 pod_status_no_running PodMem4GbRestart PodRestart KubeStateMetricsListErrors
KubeStateMetricsWatchErrors NodeFilesystemAlmostOutOfSpace NodeFilesystemSpaceFillingUp
NodeFilesystemFilesFillingUp NodeFilesystemAlmostOutOfFiles NodeNetworkReceiveErrs NodeNetworkTransmitErrs
NodeHighNumberConntrackEntriesUsed NodeClockSkewDetected NodeClockNotSynchronising KubePodCrashLooping
KubePodNotReady KubeDeploymentGenerationMismatch KubeDeploymentReplicasMismatch KubeStatefulSetReplicasMismatch
KubeStatefulSetGenerationMismatch KubeStatefulSetUpdateNotRolledOut KubeDaemonSetRolloutStuck KubeContainerWaiting
KubeDaemonSetNotScheduled KubeDaemonSetMisScheduled KubeCronJobRunning KubeJobCompletion KubeJobFailed
KubeHpaReplicasMismatch KubeHpaMaxedOut KubeCPUOvercommit KubeMemoryOvercommit KubeCPUQuotaOvercommit
KubeMemoryQuotaOvercommit KubeQuotaExceeded CPUThrottlingHigh KubePersistentVolumeFillingUp
KubePersistentVolumeErrors KubeVersionMismatch KubeClientErrors KubeAPIErrorBudgetBurn KubeAPILatencyHigh
KubeAPIErrorsHigh KubeClientCertificateExpiration AggregatedAPIErrors AggregatedAPIDown KubeAPIDown
KubeNodeNotReady KubeNodeUnreachable KubeletTooManyPods KubeNodeReadinessFlapping KubeletPlegDurationHigh
KubeletPodStartUpLatencyHigh KubeletDown KubeSchedulerDown KubeControllerManagerDown TargetDown
NodeNetworkInterfaceFlapping
""".split()

# etcd coverage and the failures the seeds describe (beyond the table), by the names chosen here.
ETCD = """
etcdMembersDown etcdInsufficientMembers etcdNoLeader etcdHighNumberOfLeaderChanges
etcdHighNumberOfFailedGRPCRequests etcdGRPCRequestsSlow etcdMemberCommunicationSlow
etcdHighNumberOfFailedProposals etcdHighFsyncDurations etcdHighFsyncDurationsCritical
etcdHighCommitDurations etcdHighCommitDurationsCritical etcdDatabaseQuotaLowSpace
etcdDatabaseSizePredictedToExceedQuota etcdDatabaseHighFragmentationRatio
""".split()
SEED_FAILURES = """
NodeCPUUsageImbalance KubeReplicasOnSameNode KubeWorkloadSingleReplica NodePidsExhaustion
KubeContainerOOMKilled KubePodEvicted KubeContainerWithoutResourceRequests KubeContainerWithoutMemoryLimit
IngressHigh5xxRatio IngressHighLatency CoreDNSErrorsHigh CoreDNSLatencyHigh
Watchdog PrometheusRuleFailures PrometheusNotificationQueueRunningFull AlertmanagerFailedToSendAlerts
PrometheusConfigReloadFailed AlertmanagerFailedReload
""".split()

from gen.rules.runbooks import SECTIONS as RUNBOOK_SECTIONS  # noqa: E402


def _alerts() -> list[Alert]:
    catalog = load_catalog(upstream.RULES)
    return [r for m in catalog.modules for g in m.groups for r in g.rules if isinstance(r, Alert)]


def test_seed_table_has_sixty_alerts():
    assert len(SEED_TABLE) == len(set(SEED_TABLE)) == 60


@pytest.mark.parametrize("required", [SEED_TABLE, ETCD, SEED_FAILURES], ids=["seed-table", "etcd", "seed-failures"])
def test_every_required_alert_is_in_the_catalog(required):
    names = {a.name for a in _alerts()}
    missing = [n for n in required if n not in names]
    assert not missing, f"{len(missing)} required alerts missing: {', '.join(missing)}"


@pytest.mark.parametrize("alert", _alerts(), ids=lambda a: a.name)
def test_alert_has_a_runbook(alert):
    path = os.path.join(upstream.RUNBOOKS, f"{alert.name}.md")
    assert os.path.exists(path), f"{alert.name} has no runbook: write docs/runbooks/{alert.name}.md"
    text = open(path, encoding="utf-8").read()
    assert text.startswith(f"# {alert.name}"), f"{path} must start with '# {alert.name}'"
    for section in RUNBOOK_SECTIONS:
        assert section in text, f"{path} lacks a '{section}' section"
    # an alert that cannot fire under the exporter's defaults says so where the on-call reads
    for needed in re.findall(r"`([^`]+)`", alert.requires or ""):
        assert needed in text, f"{path} does not say that {alert.name} needs {needed} (Alert.requires)"


def test_runbook_urls_point_at_the_runbook_pages():
    compiled = compile_rules(Config())
    for rf in compiled.rule_files:
        for group in rf.groups:
            for rule in group.rules:
                if rule.what.startswith("alert"):
                    assert rule.annotations["runbook_url"].endswith(f"/runbooks/{rule.name}.md")


def test_alerts_md_lists_every_alert_with_its_knobs():
    compiled = compile_rules(Config())
    text = render_docs(compiled)["docs/alerts.md"].decode()
    for alert in _alerts():
        row = next((line for line in text.splitlines() if line.startswith(f"| `{alert.name}` |")), None)
        assert row, f"{alert.name} missing from docs/alerts.md"
        assert f"| {alert.severity} | {alert.for_} |" in row
        for knob in alert.params:
            assert f"`{knob}`=" in row


def test_descriptions_name_the_object_and_humanize_the_value():
    bare_value = re.compile(r"\{\{\s*\$value\s*\}\}")
    compiled = compile_rules(Config())
    for rf in compiled.rule_files:
        for group in rf.groups:
            for rule in group.rules:
                if not rule.what.startswith("alert"):
                    continue
                description = rule.annotations.get("description", "")
                labels = rule.analysis.labels
                if labels is not None and labels.exact != frozenset():  # vector(1), absent(): no object to name
                    assert "$labels." in description, f"{rule.name}: description names no object"
                assert not bare_value.search(description), f"{rule.name}: use a humanize function on $value"
