"""Every alert's runbook: docs/runbooks/<Alert>.md beside the output folder, with the sections
an on-call engineer reads in order. The build reports a missing or incomplete one (with the
page's skeleton), so a new alert's author learns it at `make build`, not at `make test`."""

from __future__ import annotations

import os

SECTIONS = ("## Meaning", "## Impact", "## Diagnosis", "## Mitigation")
FOLDER = os.path.join("docs", "runbooks")


def problems(folder: str, alerts: list[str]) -> list[tuple[str, str]]:
    """(alert, what is wrong) for every alert whose runbook in `folder` (docs/runbooks/ beside
    the output folder; the toolkit's alerts: gen.upstream.RUNBOOKS) is missing or lacks a
    section; nothing when there is no such folder (the runbooks live elsewhere)."""
    if not os.path.isdir(folder):
        return []
    found = []
    for alert in alerts:
        path = os.path.join(folder, f"{alert}.md")
        rel = os.path.relpath(path)
        if not os.path.exists(path):
            found.append((alert, f"no runbook: write {rel} starting with '# {alert}' and the sections "
                                 f"{', '.join(repr(s) for s in SECTIONS)}"))
            continue
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        if not text.startswith(f"# {alert}"):
            found.append((alert, f"{rel} must start with '# {alert}'"))
        missing = [s for s in SECTIONS if s not in text]
        if missing:
            found.append((alert, f"{rel} lacks {', '.join(repr(s) for s in missing)}"))
    return found
