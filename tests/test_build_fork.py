"""The dashboards' half of a build in a forked process (gen.dash.background): the same bytes
as a build in one process, the child's errors raised in the parent as the same error at the
same point, crashes and deaths reported, and no child left behind whatever fails."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from gen import build as build_mod
from gen.build import DEFAULT_RULES_SRC, ROOT, build, dashboards_beside
from gen.dash import background, schema
from gen.errors import DashboardError, DefinitionError, LintError, PromQLError

pytestmark = pytest.mark.skipif(not background.available(), reason="no fork on this platform")


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(schema, "CACHE_DIR", tmp_path / "cache")


@pytest.fixture
def project(tmp_path):
    shutil.copytree(DEFAULT_RULES_SRC, tmp_path / "rules_src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(dashboards_beside(DEFAULT_RULES_SRC), tmp_path / "dashboards_src",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def children() -> set[int]:
    """Pids of this process' children (zombies included)."""
    me = os.getpid()
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == me:
                found.add(int(entry))
    return found


def test_forked_build_gives_the_same_bytes_as_one_process():
    _, alone = build(None)
    compiled, forked = build(None, fork=True)
    assert forked == alone
    assert compiled.dashboard_job is not None and compiled.dashboard_job.pid is None  # reaped


def test_forked_build_with_the_cache_gives_the_same_bytes_both_times():
    _, alone = build(None)
    _, first = build(None, cache=True, fork=True)  # renders, the parent stores the cache
    assert list(schema.CACHE_DIR.glob("dashboards-v1-*.json"))
    _, second = build(None, cache=True, fork=True)  # the child answers from the cache
    assert first == alone and second == alone


def test_cli_build_and_check_fork_by_default_and_no_fork_gives_the_same_out(tmp_path):
    env = {**os.environ, "GEN_CACHE_DIR": str(tmp_path / "cache"), "PYTHONDONTWRITEBYTECODE": "1"}
    trees = []
    for flag in ([], ["--no-fork"]):
        out = tmp_path / f"out{len(trees)}"
        subprocess.run([sys.executable, "-m", "gen", "build", "--out", str(out), "--no-cache", *flag],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        trees.append({p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
        check = subprocess.run([sys.executable, "-m", "gen", "check", "--out", str(out), *flag],
                               cwd=ROOT, env=env, capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
    assert trees[0] == trees[1] and len(trees[0]) > 11


def test_a_render_error_in_the_child_is_the_same_dashboard_error(project):
    bad = project / "dashboards_src" / "pod.py"
    bad.write_text(bad.read_text().replace('ts("CPU usage, % of limit", "percent"', 'ts("CPU usage, % of limit", ""', 1))
    errors = []
    for fork in (False, True):
        with pytest.raises(DashboardError) as err:
            build(None, str(project / "rules_src"), fork=fork)
        errors.append(str(err.value))
    assert errors[0] == errors[1] and "no unit" in errors[0] and "pod.py" in errors[0]
    assert not children()


def test_a_dashboard_module_error_in_the_child_is_raised_where_links_are_needed(project):
    (project / "dashboards_src" / "broken.py").write_text("dashboard = 42\n")
    with pytest.raises(DefinitionError, match="broken.py: a dashboard module must define"):
        build(None, str(project / "rules_src"), fork=True)
    assert not children()


def test_a_rules_error_first_stops_and_reaps_the_child(project, monkeypatch):
    started = []
    real = background.DashboardsJob.__init__

    def spy(self, work):
        real(self, work)
        started.append(self.pid)

    monkeypatch.setattr(background.DashboardsJob, "__init__", spy)
    module = project / "rules_src" / "etcd.py"
    module.write_text(module.read_text().replace('expr="etcd_server_has_leader', 'expr="sum(etcd_server_has_leader', 1))
    with pytest.raises(PromQLError):
        build(None, str(project / "rules_src"), fork=True)
    assert started and not children()  # it was forked, and it is gone


def test_a_crash_in_the_child_comes_back_with_its_traceback(monkeypatch):
    def boom(*args):
        raise ZeroDivisionError("the child's bug")

    monkeypatch.setattr(build_mod, "_dashboards_half", boom)
    with pytest.raises(RuntimeError, match=r"(?s)dashboards' build process failed:.*ZeroDivisionError: the child's bug"):
        build(None, fork=True)
    assert not children()


def test_a_child_that_dies_is_reported_with_its_signal():
    job = background.DashboardsJob(lambda send: os.kill(os.getpid(), signal.SIGKILL))
    with pytest.raises(RuntimeError, match="ended without an answer \\(killed by signal 9\\)"):
        job.receive("links")
    job.close()
    assert not children()


def test_close_stops_a_child_that_is_still_working():
    job = background.DashboardsJob(lambda send: time.sleep(60))
    started = time.monotonic()
    job.close()
    assert time.monotonic() - started < 10 and not children()


def test_an_unexpected_message_is_refused():
    job = background.DashboardsJob(lambda send: send("files", {}))
    with pytest.raises(RuntimeError, match="sent 'files', expected links"):
        job.receive("links")
    assert not children()


def test_a_lint_error_after_the_links_still_reaps_the_child(project):
    module = project / "rules_src" / "etcd.py"
    assert 'severity="critical"' in module.read_text()
    module.write_text(module.read_text().replace('severity="critical"', 'severity="urgent"', 1))
    with pytest.raises(LintError, match="urgent"):
        build(None, str(project / "rules_src"), fork=True)
    assert not children()


def test_a_catalog_without_dashboards_builds_forked(tmp_path):
    rules = tmp_path / "rules_src"
    rules.mkdir()
    (rules / "demo.py").write_text(
        "from gen.model import Alert, Group\n"
        'groups = [Group("demo", [Alert("Busy", expr="sum by (namespace) (rate(cpu_seconds_total[5m])) > 4",\n'
        '    severity="info", summary="busy", description="{{ $labels.namespace }} busy")])]\n')
    (tmp_path / "dashboards_src").mkdir()
    _, alone = build(None, str(rules))
    _, forked = build(None, str(rules), fork=True)
    assert forked == alone and not any(p.startswith("grafana/") for p in forked)
    assert not children()
