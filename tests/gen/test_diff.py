"""gen diff: each kind of change between two out/ trees is reported once, in its terms, from
copies of the real out/ changed the way a toolkit upgrade changes them; and the command
against a git ref and a folder, with its exit status."""

from __future__ import annotations

from support.paths import REPO
import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from gen import diff
from gen.cli import main
from gen.render import outdir

OUT = REPO / "out"


@pytest.fixture(scope="module")
def shipped() -> dict[str, bytes]:
    return outdir.read_tree(str(OUT))


def _edit_rule(tree: dict[str, bytes], name: str, edit, kind: str = "alert") -> dict[str, bytes]:
    """A copy of `tree` with the first rule called `name` passed through `edit(rule, rules)`."""
    tree = dict(tree)
    for path in sorted(p for p in tree if p.startswith("rules/")):
        doc = yaml.safe_load(tree[path])
        for group in doc["groups"]:
            for rule in group["rules"]:
                if rule.get(kind) == name:
                    edit(rule, group["rules"])
                    tree[path] = yaml.safe_dump(doc, sort_keys=False).encode()
                    return tree
    raise AssertionError(f"{kind} {name} not in out/")


def _edit_dashboard(tree: dict[str, bytes], uid: str, edit) -> dict[str, bytes]:
    tree = dict(tree)
    data = json.loads(tree[f"grafana/{uid}.json"])
    edit(data)
    tree[f"grafana/{uid}.json"] = json.dumps(data).encode()
    return tree


def _only(changes: diff.TreeChanges):
    assert len(changes.rules) + len(changes.dashboards) == 1 and not changes.files, changes
    return (changes.rules or changes.dashboards)[0]


def test_identical_trees_have_no_changes(shipped):
    changes = diff.compare(shipped, dict(shipped))
    assert changes.empty
    assert diff.render_text(changes) == "no changes\n"


def test_an_added_alert(shipped):
    def add(rule, rules):
        twin = copy.deepcopy(rule)
        twin["alert"] = "PodCpu95"
        rules.append(twin)
    change = _only(diff.compare(shipped, _edit_rule(shipped, "PodCpu75", add)))
    assert (change.kind, change.name, change.change, change.where) == ("alert", "PodCpu95", "added", "pods.yaml / pod-resources")


def test_a_removed_alert(shipped):
    change = _only(diff.compare(shipped, _edit_rule(shipped, "PodCpu75", lambda rule, rules: rules.remove(rule))))
    assert (change.name, change.change) == ("PodCpu75", "removed")


def test_a_changed_expression_shows_the_lines(shipped):
    def edit(rule, rules):
        rule["expr"] = rule["expr"].replace("> 75", "> 80")
    changes = diff.compare(shipped, _edit_rule(shipped, "PodCpu75", edit))
    [field] = _only(changes).fields
    assert field.field == "expr" and "> 75" in field.old and "> 80" in field.new
    text = diff.render_text(changes)
    assert any(line.strip().startswith("-") and "> 75" in line for line in text.splitlines())
    assert any(line.strip().startswith("+") and "> 80" in line for line in text.splitlines())


@pytest.mark.parametrize("edit, field, old, new", [
    (lambda r, _: r.update({"for": "20m"}), "for", "7m", "20m"),
    (lambda r, _: r["labels"].update({"severity": "critical"}), "labels.severity", "warning", "critical"),
    (lambda r, _: r["labels"].update({"team": "shop"}), "labels.team", None, "shop"),
    (lambda r, _: r["annotations"].update({"summary": "Busy."}), "annotations.summary",
     "Pod CPU usage above 75% of its limit.", "Busy."),
    (lambda r, _: r.update({"keep_firing_for": "5m"}), "keep_firing_for", None, "5m"),
])
def test_each_changed_field_is_named_with_its_values(shipped, edit, field, old, new):
    changes = diff.compare(shipped, _edit_rule(shipped, "PodCpu75", edit))
    change = _only(changes)
    assert [(f.field, f.old, f.new) for f in change.fields] == [(field, old, new)]
    assert f"{field}: {old or '(none)'} -> {new}" in diff.render_text(changes)


def test_a_changed_recording_rule(shipped):
    records = [r["record"] for p, d in shipped.items() if p.startswith("rules/")
               for g in yaml.safe_load(d)["groups"] for r in g["rules"] if "record" in r]
    name = records[0]
    change = _only(diff.compare(shipped, _edit_rule(shipped, name, lambda r, _: r.update({"expr": "vector(1)"}), "record")))
    assert (change.kind, change.name, change.change) == ("record", name, "changed")
    assert change.fields[0].new == "vector(1)"


def test_alerts_sharing_a_name_are_told_apart(shipped):
    """An alert defined at two severities (as kubernetes-mixin does): changing the second
    reports one change, not a removal and an addition."""
    def twin(rule, rules):
        critical = copy.deepcopy(rule)
        critical["labels"]["severity"] = "critical"
        rules.insert(rules.index(rule) + 1, critical)
    both = _edit_rule(shipped, "PodCpu75", twin)

    def edit_second(rule, rules):
        second = [r for r in rules if r.get("alert") == "PodCpu75"][1]
        second["for"] = "99m"
    change = _only(diff.compare(both, _edit_rule(both, "PodCpu75", edit_second)))
    assert change.name == "PodCpu75" and [(f.field, f.new) for f in change.fields] == [("for", "99m")]


def test_dashboard_panels_added_removed_and_changed(shipped):
    def edit(data):
        panels = data["panels"]
        panels[0]["title"] = panels[0]["title"] + " (renamed)"  # a removal and an addition
        panels[1]["description"] = "changed"
    data = json.loads(shipped["grafana/k8s-pod.json"])
    first, second = data["panels"][0]["title"], data["panels"][1]["title"]
    change = _only(diff.compare(shipped, _edit_dashboard(shipped, "k8s-pod", edit)))
    assert (change.uid, change.change) == ("k8s-pod", "changed")
    assert not change.other
    assert change.panels_added == [first + " (renamed)"] and change.panels_removed == [first]
    assert change.panels_changed == [second]


def test_a_panel_inserted_above_others_changes_only_itself(shipped):
    def insert(data):
        data["panels"].insert(0, {"type": "text", "title": "Read me first", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 2}})
        for panel in data["panels"][1:]:
            panel["gridPos"] = {**panel.get("gridPos", {}), "y": panel.get("gridPos", {}).get("y", 0) + 2}
    change = _only(diff.compare(shipped, _edit_dashboard(shipped, "k8s-pod", insert)))
    assert change.panels_added == ["Read me first"] and not change.panels_changed and not change.panels_removed


def test_a_removed_dashboard(shipped):
    tree = {p: d for p, d in shipped.items() if p != "grafana/k8s-pod.json"}
    changes = diff.compare(shipped, tree)
    [change] = changes.dashboards
    assert (change.uid, change.change) == ("k8s-pod", "removed")


def test_other_files_by_path_and_wrappers_of_changed_rules_left_out(shipped):
    tree = _edit_rule(shipped, "PodCpu75", lambda r, _: r.update({"for": "20m"}))
    manifest = next(p for p in tree if p.startswith("prometheusrules/") and p.endswith("-pods.yaml"))
    tree[manifest] = tree[manifest] + b"# changed too\n"
    tree["alertmanager/alertmanager.yaml"] = tree["alertmanager/alertmanager.yaml"] + b"\n"
    changes = diff.compare(shipped, tree)
    assert changes.files == [("alertmanager/alertmanager.yaml", "changed")]
    lone = dict(shipped)
    lone[manifest] = lone[manifest] + b"# metadata only\n"
    assert diff.compare(shipped, lone).files == [(manifest, "changed")]


def test_markdown_for_a_pull_request(shipped):
    tree = _edit_rule(shipped, "PodCpu75", lambda r, _: r.update({"expr": r["expr"].replace("> 75", "> 80")}))
    text = diff.render_markdown(diff.compare(shipped, tree))
    assert "**Alerts**: 0 added, 0 removed, 1 changed" in text
    assert "- **PodCpu75** changed" in text and "```diff" in text


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_the_command_against_a_git_ref_and_a_folder(tmp_path, capsys):
    repo = tmp_path / "team"
    shutil.copytree(OUT, repo / "out")
    (repo / "monitoring.yaml").write_text("{}\n")
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".")
    _git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "out/")
    out = repo / "out"
    args = ["diff", "--config", str(repo / "monitoring.yaml"), "--out", str(out)]
    assert main(args + ["--against", "HEAD", "--exit-code"]) == 0
    assert capsys.readouterr().out == "no changes\n"

    path = out / "rules" / "pods.yaml"
    path.write_text(path.read_text().replace("for: 7m", "for: 9m", 1))
    assert main(args + ["--against", "HEAD", "--exit-code"]) == 1
    text = capsys.readouterr().out
    assert "alert PodCpu75 changed" in text and "for: 7m -> 9m" in text
    assert main(args + ["--against", "HEAD"]) == 0  # differences without --exit-code
    capsys.readouterr()

    assert main(args + ["--against", str(OUT), "--exit-code"]) == 1  # another out/ folder
    assert "for: 7m -> 9m" in capsys.readouterr().out


@pytest.mark.parametrize("against, message", [
    ("no-such-ref", "neither a folder nor a commit"),
    ("<empty-folder>", "holds no rules/"),
])
def test_the_command_names_what_it_cannot_compare(tmp_path, capsys, against, message):
    repo = tmp_path / "team"
    shutil.copytree(OUT, repo / "out")
    _git(repo, "init", "-q")
    if against == "<empty-folder>":
        (tmp_path / "empty").mkdir()
        against = str(tmp_path / "empty")
    code = main(["diff", "--out", str(repo / "out"), "--against", against])
    assert code == 2 and message in capsys.readouterr().err
