"""gen.dash.cache: a CLI build takes unchanged dashboards from .cache/ (byte-identical to a
full render) and renders again whenever anything they are made from changes."""

from __future__ import annotations

from support.paths import REPO
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gen import upstream
from gen.build import build
from gen.dash import schema

ROOT = REPO


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    path = tmp_path / "cache"
    monkeypatch.setattr(schema, "CACHE_DIR", path)
    return path


@pytest.fixture
def project(tmp_path):
    """A copy of the catalog and its dashboards, to edit."""
    shutil.copytree(upstream.RULES, tmp_path / "rules_src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(upstream.DASHBOARDS, tmp_path / "dashboards_src", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _config(tmp_path: Path, data: dict) -> str:
    path = tmp_path / "monitoring.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def _cached_files(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("dashboards-v1-*.json"))


def test_a_cache_hit_gives_the_bytes_of_a_full_render(cache_dir):
    _, full = build(None)
    _, first = build(None, cache=True)
    assert len(_cached_files(cache_dir)) == 1
    compiled, second = build(None, cache=True)
    assert compiled.dashboard_files is not None  # taken from the cache
    assert first == full and second == full


@pytest.mark.live  # fresh Python processes
def test_a_cache_hit_loads_neither_grafanalib_nor_the_dashboards(tmp_path):
    env = {**os.environ, "GEN_CACHE_DIR": str(tmp_path / "cache"), "PYTHONDONTWRITEBYTECODE": "1"}
    probe = ("import sys; from gen.build import build; c, f = build(None, cache=True); "
             "print(c.dashboard_files is not None, 'grafanalib.core' in sys.modules, len(f))")
    outs = [subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout.split()
            for _ in range(2)]
    assert outs[0][:2] == ["False", "True"]  # first build renders
    assert outs[1][:2] == ["True", "False"]  # second build: from the cache, grafanalib never imported
    assert outs[0][2] == outs[1][2]


def test_changing_a_dashboard_renders_again(cache_dir, project):
    rules = str(project / "rules_src")
    build(None, rules, cache=True)
    pod = project / "dashboards_src" / "pod.py"
    pod.write_text(pod.read_text().replace('title="Kubernetes / Pod"', 'title="Kubernetes / Pod (edited)"'))
    compiled, files = build(None, rules, cache=True)
    assert compiled.dashboard_files is None  # a miss
    assert json.loads(files["grafana/k8s-pod.json"])["title"] == "Kubernetes / Pod (edited)"
    assert len(_cached_files(cache_dir)) == 2


def test_changing_an_alert_parameter_moves_the_cached_threshold_line(cache_dir, project):
    rules = str(project / "rules_src")

    def cpu_line(files) -> float:
        data = json.loads(files["grafana/k8s-pod.json"])
        panels = [p for p in data["panels"] if p.get("title", "").startswith("CPU usage, % of limit")]
        return panels[0]["fieldConfig"]["defaults"]["thresholds"]["steps"][-1]["value"]

    _, files = build(_config(project, {}), rules, cache=True)
    assert cpu_line(files) == 75
    compiled, files = build(_config(project, {"alerts": {"PodCpu75": {"threshold": 90}}}), rules, cache=True)
    assert compiled.dashboard_files is None and cpu_line(files) == 90


def test_a_damaged_cache_file_is_not_trusted(cache_dir):
    _, full = build(None, cache=True)
    (cached,) = _cached_files(cache_dir)
    cached.write_text(cached.read_text()[:1000])
    compiled, files = build(None, cache=True)
    assert compiled.dashboard_files is None and files == full
    assert json.loads(cached.read_text())["files"]  # written anew


def test_cli_no_cache_renders(tmp_path, cache_dir, capsys):
    from gen.cli import main

    out = tmp_path / "out"
    assert main(["build", "--out", str(out), "--no-cache"]) == 0
    assert _cached_files(cache_dir) == []
    assert main(["build", "--out", str(out)]) == 0
    assert len(_cached_files(cache_dir)) == 1
