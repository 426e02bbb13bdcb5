"""`python -m gen init DIR`: a team repository that depends on the toolkit instead of forking it.

The files are in files/ beside this module, as a team gets them; `{{requirement}}` and
`{{version}}` are filled in. An existing file is never overwritten: init refuses a folder
that already holds any of them.
"""

from __future__ import annotations

import os

from common import __version__
from gen.core.errors import OptionError

FILES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "files")
RENAMED = {"gitignore": ".gitignore"}  # a dot file would be left out of the wheel's data


def default_requirement() -> str:
    return f"k8s-monitoring-as-code[compiler,relay]=={__version__}"


def planned(dest: str) -> dict[str, str]:
    """Target path -> template path, for every file init writes."""
    out = {}
    for root, dirs, names in os.walk(FILES):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            source = os.path.join(root, name)
            rel = os.path.relpath(source, FILES)
            head, tail = os.path.split(rel)
            out[os.path.join(dest, head, RENAMED.get(tail, tail))] = source
    return out


def write(dest: str, requirement: str | None = None) -> list[str]:
    """Write the scaffold into `dest` (created if missing); the paths written."""
    plan = planned(dest)
    existing = sorted(os.path.relpath(p, dest) for p in plan if os.path.exists(p))
    if existing:
        raise OptionError(f"{dest}: already holds {', '.join(existing)}: init writes into a new or empty folder")
    values = {"{{requirement}}": requirement or default_requirement(), "{{version}}": __version__}
    for target, source in plan.items():
        with open(source, encoding="utf-8") as fh:
            text = fh.read()
        for key, value in values.items():
            text = text.replace(key, value)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as fh:
            fh.write(text)
        if os.access(source, os.X_OK):
            os.chmod(target, 0o755)
    return sorted(plan)
