"""Finding and running promtool (`check rules`, `test rules`).

Lookup order: $PROMTOOL, a promtool on PATH, then tools/bin/ in the working directory (where
this repository's `make setup` unpacks Debian's prometheus package; git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

from gen.core.errors import ToolError

LOCAL_BIN = os.path.join("tools", "bin")


def find_tool(name: str, env_var: str) -> str:
    """$<env_var>, then `name` on PATH, then ./tools/bin/<name> (`make setup`'s copy)."""
    env = os.environ.get(env_var)
    if env:
        if not os.access(env, os.X_OK):
            raise ToolError(f"{env_var}={env} is not an executable file")
        return env
    on_path = shutil.which(name)
    if on_path:
        return on_path
    local = os.path.abspath(os.path.join(LOCAL_BIN, name))
    if os.access(local, os.X_OK):
        return local
    package = "prometheus-alertmanager" if name == "amtool" else "prometheus"
    raise ToolError(f"{name} not found: install it (Debian's {package} package), set {env_var}=/path/to/{name}, "
                    "or run `make setup` in the toolkit's repository (it unpacks one into tools/bin/)")


def find_promtool() -> str:
    return find_tool("promtool", "PROMTOOL")


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


_PARSE_ERROR = re.compile(r'"E(\d+)": could not parse expression: (.+)$')


def parse_errors(exprs: list[str]) -> dict[int, str]:
    """Prometheus' own parser messages for expressions another parser refused, with their
    position (`2:4: parse error: unexpected <op:>>`), by index; empty if promtool is missing.
    One `check rules` run over a scratch rule file holding every expression."""
    import yaml

    try:
        find_promtool()
    except ToolError:
        return {}
    doc = {"groups": [{"name": f"g{i}", "rules": [{"alert": f"E{i}", "expr": expr}]} for i, expr in enumerate(exprs)]}
    with tempfile.TemporaryDirectory(prefix="gen-promql-") as tmp:
        path = os.path.join(tmp, "exprs.yaml")
        with open(path, "w", encoding="utf-8") as fh:
            yaml.safe_dump(doc, fh)
        out = run("check", "rules", path, timeout=60).output
    found = {}
    for line in out.splitlines():
        m = _PARSE_ERROR.search(line)
        if m:
            found[int(m.group(1))] = m.group(2).strip()
    return found
