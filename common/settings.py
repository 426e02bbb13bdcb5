"""Reading a YAML settings file with every error naming its key (`monitoring.yaml: alerts.X.for: ...`).

Both settings files (the compiler's monitoring.yaml, the relay's relay.yaml) are read with
this: the file's data is checked key by key, and each check raises a ConfigError whose
message starts with the file and the dotted key path.
"""

from __future__ import annotations

import os
from typing import Any

import yaml

from common.durations import parse_duration
from common.errors import ConfigError


def kind_of(value: Any) -> str:
    """How a value is named in an error: 'a mapping', 'a list', 'empty', ..."""
    if value is None:
        return "empty"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(type(value), type(value).__name__)


class Reader:
    """Type checks with the dotted key path in every message."""

    def __init__(self, path: str):
        self.path = path

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key}: {message}")

    def mapping(self, value: Any, key: str, allowed: tuple[str, ...] | None = None) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a mapping, not {kind_of(value)}")
        for k in value:
            if not isinstance(k, str):
                raise self.fail(key, f"keys must be strings, got {k!r}")
            if allowed is not None and k not in allowed:
                raise self.fail(f"{key}.{k}" if key else k, f"unknown key (known: {', '.join(allowed)})")
        return value

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, not {kind_of(value)}")
        return value

    def string_map(self, value: Any, key: str) -> dict[str, str]:
        data = self.mapping(value, key)
        out = {}
        for k, v in data.items():
            if isinstance(v, bool) or not isinstance(v, (str, int, float)):
                raise self.fail(f"{key}.{k}", f"must be a string, not {kind_of(v)}")
            out[k] = str(v)
        return out

    def string_list(self, value: Any, key: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, f"must be a list of non-empty strings, not {kind_of(value)}")
        return list(value)

    def duration(self, value: Any, key: str) -> str:
        text = self.string(value, key)
        try:
            parse_duration(text)
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None
        return text

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, not {kind_of(value)}")
        return value

    def integer(self, value: Any, key: str, minimum: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"must be an integer >= {minimum}, not {value!r}")
        return value


def read_yaml(path: str) -> Any:
    """A settings file's data; ConfigError naming the file when it is missing or not YAML."""
    if not os.path.exists(path):
        raise ConfigError(f"{path}: configuration file not found")
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
