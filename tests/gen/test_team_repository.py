"""The toolkit as a team uses it without forking: a wheel built from this repository, installed
by `make` into the virtualenv of a repository `gen init` wrote outside this tree, with a team
alert and two changed upstream alerts (a per-namespace threshold, a disabled one); build,
test and check run there, and out/ holds both catalogs.

Slow (a wheel, a virtualenv, the toolkit's dependencies from the package index or pip's
cache): marked `live`.
"""

from __future__ import annotations

from support.paths import REPO
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from gen import upstream
from gen.rules.loader import load_catalog
from gen.model import Alert

pytestmark = pytest.mark.live

REPO = REPO

TEAM_ALERT = '''
from gen.model import Alert, Case, Fire, Group

groups = [
    Group("batch-jobs", [
        Alert(
            "BatchQueueStuck",
            expr="max by (queue) (batch_queue_depth{${my_app}}) > 100",
            for_="10m",
            severity="warning",
            summary="A batch queue holds more than 100 jobs.",
            description="Queue {{ $labels.queue }} holds {{ $value | humanize }} jobs.",
            cases=[
                Case("fires when the queue stays deep", series={'batch_queue_depth{${my_app}, queue="q1"}': "150x20"},
                     at="15m", fires=[Fire({"queue": "q1"}, value=150)]),
                Case("silent when it drains", series={'batch_queue_depth{${my_app}, queue="q1"}': "50x20"}, at="15m"),
            ],
        ),
    ]),
]
'''


def _run(args, cwd, env=None, timeout=900):
    run = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert run.returncode == 0, f"{' '.join(map(str, args))}:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return run


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dest), str(REPO)], REPO)
    [built] = dest.glob("*.whl")
    return built


def test_the_wheel_holds_the_catalog_the_scaffold_and_no_tests(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, prefix in ((upstream.RULES, "gen/upstream/rules_src"), (upstream.DASHBOARDS, "gen/upstream/dashboards_src"),
                           (upstream.RUNBOOKS, "gen/upstream/runbooks"), (os.path.dirname(upstream.ROUTING), "gen/upstream/routing_src")):
        for root, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for name in (n for n in files if n.endswith((".py", ".md", ".yaml")) and n != "README.md"):
                rel = os.path.relpath(os.path.join(root, name), folder)
                assert f"{prefix}/{rel}" in names, rel
    assert "gen/scaffold/files/rules_src/my_app.py" in names and "gen/scaffold/files/Makefile" in names
    assert not any(n.startswith(("tests/", "rules_src/", "out/")) for n in names)


def test_a_team_repository_builds_tests_and_checks_both_catalogs(wheel, tmp_path):
    team = tmp_path / "team-monitoring"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    env["GEN_CACHE_DIR"] = str(tmp_path / "cache")
    # `gen init` from the installed toolkit, not from this tree: a first virtualenv holds the wheel.
    boot = tmp_path / "boot"
    _run([sys.executable, "-m", "venv", str(boot)], tmp_path, env)
    _run([str(boot / "bin" / "pip"), "install", "--quiet", f"{wheel}[compiler,relay]"], tmp_path, env)
    _run([str(boot / "bin" / "python"), "-m", "gen", "init", str(team), "--requirement",
          f"k8s-monitoring-as-code[compiler,relay] @ {wheel.as_uri()}"], tmp_path, env)

    (team / "rules_src" / "batch.py").write_text(TEAM_ALERT)
    (team / "docs" / "runbooks" / "BatchQueueStuck.md").write_text(
        "# BatchQueueStuck\n\n## Meaning\n\nm\n\n## Impact\n\ni\n\n## Diagnosis\n\nd\n\n## Mitigation\n\nm\n")
    settings = yaml.safe_load((team / "monitoring.yaml").read_text())
    settings["alerts"] = {
        "PodCpu75": {"thresholds": [{"match": {"namespace": "batch-.*"}, "threshold": 90}]},
        "KubeCPUOvercommit": {"disabled": True},
    }
    (team / "monitoring.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))

    make = ["make", f"PYTHON={shutil.which('python3.11') or sys.executable}"]
    _run(make + ["build"], team, env)  # creates .venv from requirements.txt: the wheel
    installed = _run([str(team / ".venv" / "bin" / "python"), "-c", "import gen; print(gen.__file__)"], team, env)
    assert str(team / ".venv") in installed.stdout and str(REPO) not in installed.stdout

    rules = {p.name: yaml.safe_load(p.read_text()) for p in (team / "out" / "rules").glob("*.yaml")}
    alerts = {r["alert"]: r for doc in rules.values() for g in doc["groups"] for r in g["rules"] if "alert" in r}
    assert {"my_app.yaml", "batch.yaml", "pods.yaml", "etcd.yaml"} <= set(rules)
    assert {"MyAppDown", "BatchQueueStuck", "PodCpu75", "KubePodCrashLooping"} <= set(alerts)
    assert "KubeCPUOvercommit" not in alerts
    assert alerts["PodCpu75"]["expr"].rstrip().endswith("namespace:alert_threshold:PodCpu75")
    records = {r["record"] for g in rules["pods.yaml"]["groups"] for r in g["rules"] if "record" in r}
    assert {"namespace:alert_threshold_keys:PodCpu75", "namespace:alert_threshold:PodCpu75"} <= records
    upstream_alerts = {r.name for m in load_catalog(upstream.RULES).modules for g in m.groups for r in g.rules
                       if isinstance(r, Alert)}
    assert upstream_alerts - {"KubeCPUOvercommit"} <= set(alerts)

    test = _run(make + ["test"], team, env)
    assert "my_app" in test.stdout and "batch" in test.stdout and "FAILED" not in test.stdout
    assert "not derived" not in test.stdout  # the per-namespace threshold's variants ran
    _run(make + ["check"], team, env)
    _run(make + ["lint"], team, env)
