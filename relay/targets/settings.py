"""Reading one target's mapping from relay.yaml: keys, secrets, zone, template, size limit.

Every error is a ConfigError naming `<where>.<key>`; a secret's value never appears in an
error, a log line or a repr (`Secret` hides it), only the file or variable it came from.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qs, urlsplit

from common.errors import ConfigError
from relay.secrets import Secret, SecretReader
from relay.message import DEFAULT_TIMEZONE, zone
from relay.render import MessageTemplate, TemplateProblem

# Keys relay-core owns or adds before handing the mapping over; kinds accept and ignore them.
ENGINE_KEYS = frozenset({"kind", "rate_limits", "config_dir", "secrets"})


def redact_url(url: str) -> str:
    """scheme://host/… : what may be logged about a URL whose path or query holds a token."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{':' + str(parts.port) if parts.port else ''}/…"


class Settings:
    """One target's mapping with its position in relay.yaml, for errors that name the key."""

    def __init__(self, settings: Mapping[str, Any], where: str, known: Iterable[str]) -> None:
        if not isinstance(settings, Mapping):
            raise ConfigError(f"{where}: must be a mapping, got {type(settings).__name__}")
        self.values = dict(settings)
        self.where = where
        allowed = set(known) | ENGINE_KEYS
        for key in self.values:
            if key not in allowed:
                raise ConfigError(
                    f"{self.key(key)}: unknown key (known: {', '.join(sorted(set(known)))})"
                )

    def key(self, name: str) -> str:
        return f"{self.where}.{name}"

    def error(self, name: str, message: str) -> ConfigError:
        return ConfigError(f"{self.key(name)}: {message}")

    def string(self, name: str, default: str | None = None, required: bool = False) -> str | None:
        value = self.values.get(name, default)
        if value is None:
            if required:
                raise self.error(name, "required")
            return None
        if not isinstance(value, str) or not value:
            raise self.error(name, f"must be a non-empty string, got {value!r}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.values.get(name, default)
        if not isinstance(value, bool):
            raise self.error(name, f"must be true or false, got {value!r}")
        return value

    def string_list(self, name: str) -> list[str]:
        value = self.values.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(name, "must be a list of non-empty strings")
        return list(value)

    def string_map(self, name: str) -> dict[str, str]:
        value = self.values.get(name, {})
        if not isinstance(value, Mapping):
            raise self.error(name, "must be a mapping of strings to strings")
        for k, v in value.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise ConfigError(f"{self.key(name)}.{k}: must be a string")
        return dict(value)

    def positive_int(self, name: str, default: int | None) -> int | None:
        value = self.values.get(name, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise self.error(name, f"must be a positive integer, got {value!r}")
        return value

    def secret(self, base: str, required: bool, inline: bool) -> Secret | None:
        """`base_file` (file contents, stripped) or `base_env` (environment variable), or,
        when `inline`, `base` itself; exactly one of them. Read through the SecretReader
        relay.config passes in (`secrets`), which collects what cannot be read."""
        names = [f"{base}_file", f"{base}_env"] + ([base] if inline else [])
        given = [n for n in names if n in self.values]
        if not inline and base in self.values:
            raise self.error(base, f"put the secret in a file or variable: use {base}_file or {base}_env")
        if len(given) > 1:
            raise self.error(given[1], f"give only one of {', '.join(names)}")
        if not given:
            if required:
                raise ConfigError(f"{self.where}: one of {', '.join(names)} is required")
            return None
        name = given[0]
        source = self.string(name)
        assert source is not None
        if name == base:
            return Secret(source, "inline")
        reader = self.values.get("secrets") or SecretReader()
        secret = reader.get(self.key(name), source, self.values.get("config_dir"))
        if reader is not self.values.get("secrets") and reader.problems:
            raise ConfigError(reader.problems[0])  # no reader given (a kind built alone): fail at once
        return secret

    def url(self, query_key: str | None = None) -> Secret:
        """The target's URL (url / url_file / url_env), checked to be http(s) and, for robots
        whose token is a query parameter, to carry it; errors never show the URL."""
        secret = self.secret("url", required=True, inline=True)
        assert secret is not None
        name = next(n for n in ("url_file", "url_env", "url") if n in self.values)
        if not secret.read:
            return secret  # checked when it is read
        parts = urlsplit(secret.reveal())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise self.error(name, f"not an http(s) URL (from {secret.source})")
        if query_key and not parse_qs(parts.query).get(query_key):
            raise self.error(name, f"the URL has no {query_key}= query parameter (from {secret.source})")
        return secret

    def timezone(self):
        name = self.string("timezone", DEFAULT_TIMEZONE)
        try:
            return zone(name)
        except ValueError as exc:
            raise self.error("timezone", str(exc)) from None

    def max_bytes(self, default: int | None) -> int | None:
        value = self.positive_int("max_bytes", default)
        if default is not None and value is not None and value > default:
            raise self.error("max_bytes", f"{value} is over the service's limit of {default} bytes")
        if value is not None and value < 512:
            raise self.error("max_bytes", f"{value} is too small for a message (at least 512)")
        return value

    def template(self, default_name: str) -> tuple[MessageTemplate, MessageTemplate]:
        """(the template to use, the kind's default) after loading `template:` if given;
        relative paths are relative to relay.yaml's folder (`config_dir`)."""
        default = MessageTemplate.default(default_name)
        name = self.string("template")
        if name is None:
            return default, default
        path = Path(name)
        if not path.is_absolute() and self.values.get("config_dir"):
            path = Path(self.values["config_dir"]) / path
        if not path.is_file():
            raise self.error("template", f"no such file: {path}")
        try:
            return MessageTemplate.load(path), default
        except TemplateProblem as exc:
            raise self.error("template", str(exc)) from None
