"""Secrets of relay.yaml: read from a file (`*_file`) or an environment variable (`*_env`),
never shown, and all of them checked at once.

A SecretReader is handed to everything that parses relay.yaml. Reading for real, it collects
every secret it cannot read instead of stopping at the first, so `--check-config` and a
failed start list them all; reading without secrets (`--check-config --without-secrets`, for
CI where the values do not exist) it only records which secrets the file needs and hands out
unread placeholders, which every check that needs a value skips.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from common.errors import ConfigError


class Secret:
    """A string that never shows itself in repr/str (URLs with tokens, signing secrets).
    `value` is None for a secret the reader did not read (no secrets, or unreadable)."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str | None, source: str) -> None:
        self._value = value
        self.source = source  # "file /etc/relay/x", "env RELAY_X" or "inline": safe to show

    @property
    def read(self) -> bool:
        return self._value is not None

    def reveal(self) -> str:
        if self._value is None:
            raise RuntimeError(f"secret from {self.source} was not read")
        return self._value

    def __repr__(self) -> str:
        return f"Secret(<hidden>, from {self.source})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value and other.source == self.source

    def __hash__(self) -> int:
        return hash((self._value, self.source))


@dataclass
class SecretReader:
    """`read=False`: record what is needed, read nothing. `only`: read just the secrets under
    that key (e.g. "store.": the dead-letter listing needs a PostgreSQL store's DSN, nothing else)."""

    read: bool = True
    only: str | None = None
    wanted: list[tuple[str, str]] = field(default_factory=list)  # (key, source) in file order
    problems: list[str] = field(default_factory=list)  # "<key>: <why>", one per unreadable secret

    def get(self, key: str, ref: str, base_dir: str | None) -> Secret:
        """The secret named by `key` (ending in _file or _env) with value `ref`; relative
        file paths are relative to `base_dir` (relay.yaml's folder)."""
        if key.endswith("_file"):
            path = Path(ref)
            if not path.is_absolute() and base_dir:
                path = Path(base_dir) / path
            source = f"file {path}"
        else:
            path = None
            source = f"env {ref}"
        self.wanted.append((key, source))
        if not self.read or (self.only is not None and not key.partition(": ")[2].startswith(self.only)):
            return Secret(None, source)
        if path is not None:
            try:
                value = path.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                self.problems.append(f"{key}: cannot read {path}: {getattr(exc, 'strerror', None) or exc}")
                return Secret(None, source)
        else:
            if ref not in os.environ:
                self.problems.append(f"{key}: environment variable {ref} is not set")
                return Secret(None, source)
            value = os.environ[ref].strip()
        if not value:
            self.problems.append(f"{key}: the secret from {source} is empty")
            return Secret(None, source)
        return Secret(value, source)

    def check(self, path: str) -> None:
        """ConfigError listing every secret that could not be read, if any."""
        if len(self.problems) == 1:
            raise ConfigError(self.problems[0])
        if self.problems:
            count = len(self.problems)
            lines = [p.removeprefix(f"{path}: ") for p in self.problems]
            raise ConfigError(f"{path}: {count} secrets cannot be read:\n  " + "\n  ".join(lines))
