"""`python -m gen params`: the values in effect with the team's monitoring.yaml, each one it
changed marked with its default; quiet when its output is cut short (`| head`)."""

from __future__ import annotations

from support.paths import REPO
import subprocess
import sys
from pathlib import Path

from gen.cli import main

ROOT = REPO


def params(capsys, *args: str) -> tuple[int, dict[str, str], str]:
    capsys.readouterr()
    rc = main(["params", *args])
    out, err = capsys.readouterr()
    lines = {line.split("  ", 1)[0]: line for line in out.splitlines() if not line.startswith("selectors:")}
    return rc, lines, err


def test_params_show_what_the_config_changed_and_the_defaults(tmp_path, capsys):
    config = tmp_path / "monitoring.yaml"
    config.write_text("alerts:\n  PodCpu75:\n    threshold: 80\n    for: 10m\n    severity: critical\n"
                      "  KubePodCrashLooping:\n    disabled: true\n")
    rc, lines, err = params(capsys, "--config", str(config))
    assert rc == 0
    assert lines["PodCpu75"] == ("PodCpu75  [pods/pod-resources]  severity=critical* (default warning)  "
                                 "for=10m* (default 7m)  threshold=80* (default 75)  rate_window=2m")
    assert lines["KubePodCrashLooping"].endswith("disabled*")
    assert "*" not in lines["PodMemory75"]
    assert f"4 values set by {config}" in err


def test_params_with_an_empty_config_are_the_defaults(tmp_path, capsys):
    (tmp_path / "monitoring.yaml").write_text("")
    rc, lines, err = params(capsys, "--config", str(tmp_path / "monitoring.yaml"))
    assert rc == 0 and "0 values set by" in err
    assert not [line for line in lines.values() if "* (default" in line or line.endswith("disabled*")]
    assert lines["PodCpu75"].startswith("PodCpu75  [pods/pod-resources]  severity=warning  for=7m  threshold=75")


def test_params_piped_to_head_end_without_a_traceback():
    proc = subprocess.run(f"{sys.executable} -m gen params | head -1", shell=True, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout.count("\n") == 1
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
