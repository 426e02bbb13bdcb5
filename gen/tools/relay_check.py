"""The relay's own configuration check, run by the build on the relay.yaml it writes.

The relay is a product of its own (relay/), and only it knows its target kinds' keys; like
promtool for the rules, the build asks it. The check runs in this process when the relay
package and its extra are installed, without reading any secret (they do not exist where the
build runs), on a temporary folder laid out as out/relay/ (relay.yaml beside the template
files it names). Its messages name relay.yaml's keys, which are monitoring.yaml's `relay.`
keys, so they are reported there.

Importing the relay's configuration code (its kinds, Jinja2 and the default templates) costs
about 90 ms, a fifth of a build; an accepted configuration is remembered in .cache/ under a
hash of its files and of the relay's and common's source, so an unchanged one is not checked
again (bench/README.md).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from pathlib import Path

from common.errors import ConfigError
from gen.core.cache import CACHE_DIR

_NAME = "relay.yaml"
FORMAT = "relay-check-v1"


def available(cheap: bool = False) -> bool:
    """Whether the relay and its extra (Jinja2, msgspec) can be imported here; `cheap`: only
    look for the packages, import nothing (a cached verdict may make the import unneeded)."""
    if cheap:
        return all(importlib.util.find_spec(m) is not None for m in ("relay", "jinja2", "msgspec"))
    try:
        import relay.config  # noqa: F401
        import relay.kinds  # noqa: F401
    except ImportError:
        return False
    return True


def _sources() -> list[Path]:
    """The relay's and common's files (without importing the relay), or [] when not installed."""
    out = []
    for package in ("relay", "common"):
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            return []
        for folder in spec.submodule_search_locations:
            out += sorted(p for p in Path(folder).rglob("*") if p.suffix in (".py", ".j2") and "__pycache__" not in p.parts)
    return out


def _key(files: dict[str, bytes], sources: list[Path]) -> str:
    h = hashlib.sha256(FORMAT.encode())
    for name, data in sorted(files.items()):
        h.update(f"\0{name}\0{len(data)}\0".encode() + data)
    for path in sources:
        data = path.read_bytes()
        h.update(f"\0{path.name}\0{len(data)}\0".encode() + data)
    return h.hexdigest()[:32]


def check(files: dict[str, bytes], config_path: str) -> None:
    """ConfigError naming the monitoring.yaml key when the relay refuses its configuration.
    `files`: out/relay/'s relay.yaml and template files, by name."""
    sources = _sources()
    marker = CACHE_DIR / f"{FORMAT}-{_key(files, sources)}" if sources else None
    if marker is not None and marker.exists():
        return
    _check(files, config_path)
    if marker is not None:
        try:
            CACHE_DIR.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass  # a read-only checkout checks every time


def _check(files: dict[str, bytes], config_path: str) -> None:
    import yaml

    from relay.config import parse_relay_config
    from relay.secrets import SecretReader
    import relay.kinds  # noqa: F401  (registers the kinds)

    with tempfile.TemporaryDirectory(prefix="gen-relay-check-") as folder:
        for name, data in files.items():
            with open(os.path.join(folder, name), "wb") as fh:
                fh.write(data)
        try:
            parse_relay_config(yaml.safe_load(files[_NAME]), _NAME, folder, SecretReader(read=False))
        except ConfigError as exc:
            message = str(exc).replace(f"{folder}{os.sep}", "")
            if message.startswith(f"{_NAME}: "):
                message = f"{config_path}: relay.{message[len(_NAME) + 2:]}"
            raise ConfigError(f"{message} (the relay's check of the relay.yaml this build writes)") from None


def check_file(path: str) -> tuple[bool, str]:
    """`python -m relay --config PATH --check-config --without-secrets`, as a team's CI runs it
    on out/relay/relay.yaml: (ok, what it printed)."""
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "relay", "--config", path, "--check-config", "--without-secrets"],
                         capture_output=True, text=True, timeout=120)
    return run.returncode == 0, (run.stdout + run.stderr).strip()
