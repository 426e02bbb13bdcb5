"""Building the real catalog (rules_src/): deterministic output, out/ handling, `check`,
the shape of the generated files, and config overrides reaching them.

Every build writes under tmp_path only, with an explicit config file written there, so
neither the repository's out/ nor its monitoring.yaml is involved.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from gen.render import outdir
from gen.tools import promtool
from gen.upstream import RULES
from gen.cli import main


pytestmark = pytest.mark.usefixtures("no_bytecode")  # conftest.py


def run(capsys, command: str, config: Path, out: Path) -> tuple[int, str, str]:
    capsys.readouterr()  # drop anything printed before
    rc = main([command, "--rules-src", RULES, "--config", str(config), "--out", str(out)])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def build_ok(capsys, config: Path, out: Path) -> dict[str, bytes]:
    rc, _, err = run(capsys, "build", config, out)
    assert rc == 0, f"build failed:\n{err}"
    return outdir.read_tree(str(out))


@pytest.fixture
def empty_config(tmp_path) -> Path:
    path = tmp_path / "empty.yaml"
    path.write_text("")
    return path


def write_config(tmp_path: Path, data: dict, name: str = "monitoring.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def plain_files(tree: dict[str, bytes]) -> dict[str, dict]:
    return {p: yaml.safe_load(b) for p, b in tree.items() if p.startswith("rules/")}


def manifests(tree: dict[str, bytes]) -> dict[str, dict]:
    return {p: yaml.safe_load(b) for p, b in tree.items() if p.startswith("prometheusrules/")}


def alerts_in(doc: dict) -> list[tuple[str, dict]]:
    """(group name, rule) for every alerting rule in a rule file's `groups` document."""
    return [(g["name"], r) for g in doc["groups"] for r in g["rules"] if "alert" in r]


def all_alerts(tree: dict[str, bytes]) -> dict[str, list[tuple[str, dict]]]:
    """For the plain files and for the manifests: every (group, alert rule)."""
    return {
        "rules": [a for doc in plain_files(tree).values() for a in alerts_in(doc)],
        "prometheusrules": [a for doc in manifests(tree).values() for a in alerts_in(doc["spec"])],
    }


def find_alert(tree: dict[str, bytes], name: str) -> dict[str, dict]:
    """The alert's rule in the plain files and in the manifests (exactly one each)."""
    found = {}
    for kind, alerts in all_alerts(tree).items():
        rules = [r for _, r in alerts if r["alert"] == name]
        assert len(rules) == 1, f"{name} appears {len(rules)} times in {kind}/"
        found[kind] = rules[0]
    return found


# --- determinism and out/ handling --------------------------------------------------------


def test_two_builds_into_different_folders_are_byte_identical(tmp_path, capsys, empty_config):
    first = build_ok(capsys, empty_config, tmp_path / "a" / "out")
    second = build_ok(capsys, empty_config, tmp_path / "b" / "out")
    assert first, "the build wrote nothing"
    assert sorted(first) == sorted(second)
    for path in first:
        assert first[path] == second[path], f"{path} differs between two builds"


def test_building_twice_into_one_folder_gives_identical_bytes(tmp_path, capsys, empty_config):
    out = tmp_path / "out"
    first = build_ok(capsys, empty_config, out)
    second = build_ok(capsys, empty_config, out)
    assert first and first == second


def test_stale_files_disappear(tmp_path, capsys, empty_config):
    out = tmp_path / "out"
    fresh = build_ok(capsys, empty_config, out)
    (out / "rules" / "removed_module.yaml").write_text("groups: []\n")
    (out / "prometheusrules" / "k8s-alerts-removed-module.yaml").write_text("kind: PrometheusRule\n")
    (out / "notes.txt").write_text("hand-written\n")
    (out / "olddir").mkdir()
    (out / "olddir" / "x.yaml").write_text("x: 1\n")

    assert build_ok(capsys, empty_config, out) == fresh
    assert not (out / "olddir").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("out.")) == []


def test_failing_build_leaves_out_folder_as_it_was(tmp_path, capsys, empty_config):
    out = tmp_path / "out"
    build_ok(capsys, empty_config, out)
    (out / "rules" / "stale.yaml").write_text("groups: []\n")
    (out / "kustomization.yaml").write_bytes(b"# edited by hand\n")
    bad = write_config(tmp_path, {"alerts": {"PodCpu75": {"threshold": 80}}, "scrape_intervall": "30s"}, "bad.yaml")
    before = outdir.read_tree(str(out))
    entries_before = sorted(p.name for p in tmp_path.iterdir())

    rc, _, err = run(capsys, "build", bad, out)

    assert rc != 0, "a build with an unknown config key succeeded"
    assert str(bad) in err and "scrape_intervall" in err, err
    assert outdir.read_tree(str(out)) == before, "the failed build changed the out folder"
    assert "rules/stale.yaml" in before
    entries_after = sorted(p.name for p in tmp_path.iterdir())
    assert entries_after == entries_before, "the failed build left folders next to out/"
    assert not [p for p in tmp_path.iterdir() if re.match(r"out\.(tmp|old)-", p.name)]


def test_check_passes_right_after_build(tmp_path, capsys, empty_config):
    out = tmp_path / "out"
    build_ok(capsys, empty_config, out)
    rc, _, err = run(capsys, "check", empty_config, out)
    assert rc == 0, err


def _modify(out: Path, tree: dict[str, bytes]) -> tuple[str, str]:
    path = sorted(p for p in tree if p.startswith("rules/"))[0]
    (out / path).write_bytes(tree[path] + b"# edited by hand\n")
    return path, "differs"


def _delete(out: Path, tree: dict[str, bytes]) -> tuple[str, str]:
    path = sorted(p for p in tree if p.startswith("prometheusrules/"))[0]
    (out / path).unlink()
    return path, "missing"


def _add(out: Path, tree: dict[str, bytes]) -> tuple[str, str]:
    path = "rules/hand_written.yaml"
    assert path not in tree
    (out / path).write_text("groups: []\n")
    return path, "stale"


def _names(text: str, path: str) -> bool:
    """Whether a line of `text` ends with `path` as a whole path (not the tail of a longer one)."""
    return re.search(r"(?:^|\s)" + re.escape(path) + r"$", text, re.M) is not None


@pytest.mark.parametrize("change", [_modify, _delete, _add], ids=["modified", "deleted", "added"])
def test_check_fails_when_out_folder_differs(tmp_path, capsys, empty_config, change):
    out = tmp_path / "out"
    tree = build_ok(capsys, empty_config, out)
    path, word = change(out, tree)
    edited = outdir.read_tree(str(out))

    rc, _, err = run(capsys, "check", empty_config, out)

    assert rc == 1, err
    lines = [line for line in err.splitlines() if _names(line, path)]
    assert lines, f"{path} not reported:\n{err}"
    assert word in lines[0], f"{path} reported without saying it is {word}:\n{err}"
    # Only that one file is reported.
    others = sorted(p for p in set(tree) | set(edited) if p != path and _names(err, p))
    assert others == [], f"unchanged files reported:\n{err}"
    assert outdir.read_tree(str(out)) == edited, "check wrote to the out folder"


# --- the generated files ------------------------------------------------------------------


def test_prometheus_rule_manifests(tmp_path, capsys):
    labels = {"prometheus": "main", "team": "sre"}
    config = write_config(tmp_path, {"prometheus_rule": {"namespace": "observability", "labels": labels}})
    tree = build_ok(capsys, config, tmp_path / "out")

    docs = manifests(tree)
    assert docs, "no PrometheusRule manifests built"
    names = set()
    for path, doc in docs.items():
        assert doc["apiVersion"] == "monitoring.coreos.com/v1", path
        assert doc["kind"] == "PrometheusRule", path
        assert doc["metadata"]["namespace"] == "observability", path
        assert doc["metadata"]["labels"] == labels, path
        assert doc["metadata"]["name"] == Path(path).stem, path
        names.add(doc["metadata"]["name"])
        assert doc["spec"]["groups"], f"{path} has no rule groups"
    assert len(names) == len(docs), "two manifests share a name"

    # Each manifest carries exactly the groups of one plain rule file, and vice versa.
    plain = sorted(json.dumps(doc, sort_keys=True) for doc in plain_files(tree).values())
    specs = sorted(json.dumps(doc["spec"], sort_keys=True) for doc in docs.values())
    assert plain == specs


def test_kustomization_lists_exactly_the_manifests(tmp_path, capsys, empty_config):
    tree = build_ok(capsys, empty_config, tmp_path / "out")
    kustomization = yaml.safe_load(tree["kustomization.yaml"])
    assert kustomization["kind"] == "Kustomization"
    resources = kustomization["resources"]
    assert len(resources) == len(set(resources)), resources
    on_disk = sorted(p for p in tree if p.startswith(("prometheusrules/", "dashboards/"))
                     or p.startswith("relay/") and yaml.safe_load(tree[p]).get("kind")  # relay.yaml is a plain config
                     or p == "alertmanager/alertmanagerconfig.yaml")  # alertmanager.yaml is a plain config
    assert on_disk and sorted(resources) == on_disk
    kinds = {yaml.safe_load(tree[p])["kind"] for p in on_disk}
    assert {"PrometheusRule", "ConfigMap", "AlertmanagerConfig", "Deployment", "Service", "PersistentVolumeClaim"} <= kinds
    for resource in resources:
        assert (tmp_path / "out" / resource).is_file(), resource


def test_plain_rule_files_pass_promtool(tmp_path, capsys, empty_config):
    out = tmp_path / "out"
    tree = build_ok(capsys, empty_config, out)
    paths = sorted(str(out / p) for p in tree if p.startswith("rules/"))
    assert paths
    result = promtool.check_rules(paths)
    assert result.ok, result.output
    assert result.returncode == 0


# --- config overrides ---------------------------------------------------------------------


def test_threshold_override_reaches_the_expression(tmp_path, capsys, empty_config):
    default = find_alert(build_ok(capsys, empty_config, tmp_path / "default"), "PodCpu75")
    config = write_config(tmp_path, {"alerts": {"PodCpu75": {"threshold": 80}}})
    overridden = find_alert(build_ok(capsys, config, tmp_path / "out"), "PodCpu75")

    for kind in ("rules", "prometheusrules"):
        assert re.search(r">\s*80(?![\d.])", overridden[kind]["expr"]), overridden[kind]["expr"]
        assert not re.search(r">\s*80(?![\d.])", default[kind]["expr"]), default[kind]["expr"]
        # Nothing else about the alert changes but where the threshold is shown.
        assert overridden[kind]["labels"] == default[kind]["labels"]
        assert overridden[kind]["for"] == default[kind]["for"]
    assert overridden["rules"] == overridden["prometheusrules"]


def test_disabled_alert_is_removed_from_both_outputs(tmp_path, capsys, empty_config):
    default = all_alerts(build_ok(capsys, empty_config, tmp_path / "default"))
    config = write_config(tmp_path, {"alerts": {"PodCpu75": {"disabled": True}}})
    disabled = all_alerts(build_ok(capsys, config, tmp_path / "out"))

    for kind in ("rules", "prometheusrules"):
        before = [r["alert"] for _, r in default[kind]]
        after = [r["alert"] for _, r in disabled[kind]]
        assert "PodCpu75" in before, kind
        assert "PodCpu75" not in after, kind
        assert after == [name for name in before if name != "PodCpu75"], kind


def test_group_labels_reach_the_groups_alerts(tmp_path, capsys, empty_config):
    default = all_alerts(build_ok(capsys, empty_config, tmp_path / "default"))
    config = write_config(tmp_path, {"groups": {"pod-resources": {"labels": {"team": "platform"}}}})
    labelled = all_alerts(build_ok(capsys, config, tmp_path / "out"))

    for kind in ("rules", "prometheusrules"):
        in_group = [r for g, r in labelled[kind] if g == "pod-resources"]
        others = [r for g, r in labelled[kind] if g != "pod-resources"]
        assert any(r["alert"] == "PodCpu75" for r in in_group), kind
        for rule in in_group:
            assert rule["labels"].get("team") == "platform", rule
        assert others, "the catalog has no other group to compare with"
        assert others == [r for g, r in default[kind] if g != "pod-resources"], "labels leaked into other groups"
