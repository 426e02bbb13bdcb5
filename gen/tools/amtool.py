"""Finding and running amtool (`check-config`, `config routes test`).

Lookup order, as for promtool: $AMTOOL, an amtool on PATH, then the copy `make setup` unpacks
from Debian's prometheus-alertmanager package into tools/ (git-ignored).
"""

from __future__ import annotations

import subprocess

from gen.core.errors import ToolError
from gen.tools.promtool import Run, find_tool


def find_amtool() -> str:
    return find_tool("amtool", "AMTOOL")


def run(*args: str, timeout: float = 60) -> Run:
    cmd = [find_amtool(), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return Run(cmd, proc.returncode, (proc.stdout + proc.stderr).strip())


def check_config(path: str) -> Run:
    return run("check-config", path)


def _label_arg(name: str, value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{name}="{escaped}"'


def routes_test(config_path: str, labels: dict[str, str], verify: list[str] | None = None) -> tuple[list[str], bool]:
    """The receivers Alertmanager's routing tree sends an alert with these labels to, in order;
    with `verify`, also whether amtool's own --verify.receivers check agreed (exit code 0)."""
    args = ["config", "routes", "test", f"--config.file={config_path}"]
    if verify is not None:
        args.append(f"--verify.receivers={','.join(verify)}")
    result = run(*args, *(_label_arg(k, v) for k, v in sorted(labels.items())))
    lines = [ln for ln in result.output.splitlines()
             if ln.strip() and not ln.startswith(("Warning:", "WARNING: Expected receivers"))]
    if len(lines) != 1 or (not result.ok and verify is None):
        raise ToolError(f"amtool config routes test failed ({result.returncode}): {result.output}")
    return [r.strip() for r in lines[0].split(",")], result.ok
