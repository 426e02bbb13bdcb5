"""Finding and running promtool (`check rules`, `test rules`).

Lookup order: $PROMTOOL, a promtool on PATH, then the copy `make setup` unpacks from Debian's
prometheus package into tools/ (git-ignored).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

from gen.errors import ToolError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOCAL = os.path.join(ROOT, "tools", "bin", "promtool")


def find_promtool() -> str:
    env = os.environ.get("PROMTOOL")
    if env:
        if not os.access(env, os.X_OK):
            raise ToolError(f"PROMTOOL={env} is not an executable file")
        return env
    on_path = shutil.which("promtool")
    if on_path:
        return on_path
    if os.access(LOCAL, os.X_OK):
        return LOCAL
    raise ToolError("promtool not found: run `make setup` (unpacks it into tools/), or set PROMTOOL=/path/to/promtool")


@dataclass
class Run:
    args: list[str]
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def run(*args: str, cwd: str | None = None, timeout: float = 300) -> Run:
    cmd = [find_promtool(), *args]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return Run(cmd, proc.returncode, (proc.stdout + proc.stderr).strip())


def check_rules(paths: list[str]) -> Run:
    """promtool's own validation of plain rule files, every lint fatal."""
    return run("check", "rules", "--lint=all", "--lint-fatal", *paths)


def test_rules(paths: list[str], cwd: str | None = None) -> Run:
    return run("test", "rules", *paths, cwd=cwd)
