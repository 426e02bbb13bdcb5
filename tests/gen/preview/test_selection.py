"""Which dashboards `gen preview` draws: --changed-since against a git ref (a pull request's
changed dashboards), --dashboard, and the errors for a missing fixture, repository or ref."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from gen.core.errors import DefinitionError, OptionError
from gen.dash.model import Dashboard, Row
from gen.preview import command


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    grafana = tmp_path / "out" / "grafana"
    grafana.mkdir(parents=True)
    for uid in ("k8s-pod", "k8s-node"):
        (grafana / f"{uid}.json").write_text(f'{{"uid": "{uid}"}}\n')
    (tmp_path / "README.md").write_text("x\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "init")
    return tmp_path


def test_nothing_changed_since_head(repo):
    assert command.changed_since("HEAD", str(repo)) == set()


def test_a_changed_and_a_new_dashboard_file_are_picked_up_other_files_not(repo):
    (repo / "out" / "grafana" / "k8s-node.json").write_text('{"uid": "k8s-node", "title": "changed"}\n')
    (repo / "out" / "grafana" / "k8s-new.json").write_text('{"uid": "k8s-new"}\n')
    (repo / "README.md").write_text("changed\n")
    assert command.changed_since("HEAD", str(repo)) == {"k8s-node", "k8s-new"}


def test_a_project_in_a_subfolder_of_its_repository(repo):
    team = repo / "team"
    (team / "out" / "grafana").mkdir(parents=True)
    (team / "out" / "grafana" / "k8s-pod.json").write_text("{}\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "team")
    (team / "out" / "grafana" / "k8s-pod.json").write_text('{"changed": 1}\n')
    (repo / "out" / "grafana" / "k8s-node.json").write_text("{}\n")  # the top's out/, not the team's
    assert command.changed_since("HEAD", str(team)) == {"k8s-pod"}


def test_an_unknown_ref_and_no_repository_are_clear_errors(repo, tmp_path_factory):
    with pytest.raises(OptionError, match=r"--changed-since no-such-ref: git knows no commit 'no-such-ref'"):
        command.changed_since("no-such-ref", str(repo))
    elsewhere = tmp_path_factory.mktemp("not-a-repo")
    with pytest.raises(OptionError, match=r"is not in a git repository"):
        command.changed_since("HEAD", str(elsewhere))


def _args(**kw):
    base = dict(changed_since=None, dashboard=None, png=False, out="unused", var=None, prometheus=None)
    return SimpleNamespace(**{**base, **kw})


def test_no_change_previews_nothing_and_says_so(repo, monkeypatch, capsys):
    monkeypatch.chdir(repo)
    compiled = SimpleNamespace(dashboards=[Dashboard(uid="k8s-pod", title="Pod", rows=[])])
    assert command.run(_args(changed_since="HEAD", out=str(repo / "preview")), compiled, {}) == 0
    assert "nothing to preview: no dashboard's out/grafana/<uid>.json differs from HEAD" in capsys.readouterr().out
    assert not (repo / "preview").exists()


def test_select_by_uid_and_by_change():
    ds = [Dashboard(uid=u, title=u, rows=[]) for u in ("a", "b", "c")]
    assert [d.uid for d in command.select(ds, ["b", "c"], {"c", "x"})] == ["c"]
    assert [d.uid for d in command.select(ds, None, None)] == ["a", "b", "c"]
    with pytest.raises(OptionError, match=r"--dashboard zz: no such dashboard \(known: a, b, c\)"):
        command.select(ds, ["zz"], None)


def test_a_dashboard_without_a_fixture_is_named_with_its_file():
    d = Dashboard(uid="k8s-bare", title="Bare", rows=[Row("r", [])])
    with pytest.raises(DefinitionError, match=r"test_selection.py:\d+: dashboard k8s-bare: no fixture .* --prometheus URL"):
        command.fixture_data(d, {"templating": {"list": []}}, {})


def test_a_dashboard_without_a_fixture_fails_the_command_before_anything_starts(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(command, "FixturePrometheus", lambda *a: started.append(a))
    d = Dashboard(uid="k8s-bare", title="Bare", rows=[])
    compiled = SimpleNamespace(dashboards=[d], catalog=SimpleNamespace(selectors={}))
    files = {"grafana/k8s-bare.json": b'{"uid": "k8s-bare", "panels": [], "templating": {"list": []}}'}
    with pytest.raises(DefinitionError, match="dashboard k8s-bare: no fixture"):
        command.run(_args(out=str(tmp_path)), compiled, files)
    assert not started


def test_var_options():
    assert command.parse_vars(["a=b", "c=d=e"]) == {"a": "b", "c": "d=e"}
    with pytest.raises(OptionError, match="--var 'novalue': write it name=value"):
        command.parse_vars(["novalue"])
