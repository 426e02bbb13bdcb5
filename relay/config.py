"""relay.yaml -> RelayConfig, every error a ConfigError naming the key (`relay.yaml: routes[1].targets`).

Structure, durations, matchers and cross references (routes and heartbeat naming existing
targets) are checked here; each target's own keys are checked by its kind's from_config().
Secrets (auth token, password) are read here from files or the environment and never appear
in messages.
"""

from __future__ import annotations

import os
import re
import zoneinfo
from dataclasses import dataclass, field
from typing import Any


from common.settings import Reader, kind_of, read_yaml
from common.durations import parse_duration
from common.matchers import MatcherError, parse_matcher
from relay.router import Route, Router
from relay.secrets import Secret, SecretReader
from relay.targets.base import KINDS, RateLimit, Target

TOP_KEYS = (
    "listen", "store", "timezone", "max_body_bytes", "dedup_window", "max_age", "show_within", "retry",
    "delivery_timeout", "auth", "targets", "routes", "default_targets", "heartbeat",
)
_TARGET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Auth:
    """Inbound credentials; either one admits a request when both are set."""

    bearer_token: bytes | None = None
    basic_username: bytes | None = None
    basic_password: bytes | None = None

    def __repr__(self) -> str:  # never show secrets, even in a debugger or a traceback
        return f"Auth(bearer={'set' if self.bearer_token else 'unset'}, basic={'set' if self.basic_username else 'unset'})"


@dataclass(frozen=True)
class StoreSettings:
    """Where the relay keeps its state: a SQLite file (the default; one replica) or a
    PostgreSQL database several replicas share (relay.postgres, relay.leases)."""

    kind: str = "sqlite"
    path: str = "relay.db"  # sqlite: the file, relative to relay.yaml's folder
    dsn: Secret | None = None  # postgresql: libpq connection string or URI, with its password
    lease: float = 20.0  # postgresql: seconds a replica holds a target; a dead one's are taken over after this

    def describe(self) -> str:
        if self.kind == "sqlite":
            return self.path
        if self.dsn is None or not self.dsn.read:
            return f"postgresql (connection string from {self.dsn.source if self.dsn else 'nowhere'})"
        return self.open().describe()

    def open(self):
        """The database object relay.store.Store writes through."""
        if self.kind == "sqlite":
            from relay.store import SQLite

            return SQLite(self.path)
        from relay.postgres import PostgreSQL  # psycopg is imported only for this store

        return PostgreSQL(self.dsn.reveal())


@dataclass(frozen=True)
class TargetConfig:
    name: str
    kind: str
    target: Target
    rate_limits: tuple[RateLimit, ...]


@dataclass(frozen=True)
class Heartbeat:
    alertname: str
    missing_after: float
    targets: tuple[str, ...]

    @property
    def check_interval(self) -> float:
        """How often the watcher looks: fine enough to notice within ~10% of missing_after."""
        return max(0.05, min(self.missing_after / 10, 15.0))


@dataclass
class RelayConfig:
    path: str
    config_dir: str
    listen_host: str = "127.0.0.1"
    listen_port: int = 9095
    store: StoreSettings = field(default_factory=StoreSettings)
    timezone: str = "Asia/Shanghai"
    max_body_bytes: int = 1048576
    dedup_window: float = 600.0
    max_age: float = 86400.0
    show_within: float = 600.0  # a backlog is shown alert by alert if the rate budget allows it within this
    show_within_text: str = "10m"
    retry_initial: float = 1.0
    retry_max: float = 300.0
    delivery_timeout: float = 10.0
    auth: Auth | None = None
    targets: dict[str, TargetConfig] = field(default_factory=dict)
    router: Router = field(default_factory=lambda: Router((), ()))
    heartbeat: Heartbeat | None = None


def _duration(r: Reader, value: Any, key: str, minimum: float = 0.0) -> float:
    seconds = parse_duration(r.duration(value, key))
    if seconds <= minimum:
        raise r.fail(key, f"must be longer than {minimum:g}s")
    return seconds


def _secret(r: Reader, data: dict, key: str, base: str, secrets: SecretReader, config_dir: str) -> bytes | None:
    """`<base>_file` or `<base>_env`: the secret's bytes (b"" when not read: without secrets,
    or unreadable, which `secrets` records); None when neither key is given."""
    file_key, env_key = f"{base}_file", f"{base}_env"
    given = [k for k in (file_key, env_key) if k in data]
    if len(given) > 1:
        raise r.fail(f"{key}.{file_key}", f"set only one of {file_key} and {env_key}")
    if not given:
        return None
    k = given[0]
    secret = secrets.get(f"{r.path}: {key}.{k}", r.string(data[k], f"{key}.{k}"), config_dir)
    return secret.reveal().encode() if secret.read else b""


STORE_KINDS = ("sqlite", "postgresql")


def _store(r: Reader, value: Any, cfg: RelayConfig, secrets: SecretReader) -> StoreSettings:
    """`store: relay.db` (a SQLite file) or a mapping with `kind`."""
    if isinstance(value, str):
        return StoreSettings("sqlite", os.path.join(cfg.config_dir, value))
    data = r.mapping(value, "store", ("kind", "path", "dsn_file", "dsn_env", "lease"))
    kind = r.string(data.get("kind", "sqlite"), "store.kind")
    if kind not in STORE_KINDS:
        raise r.fail("store.kind", f"unknown store {kind!r} (known: {', '.join(STORE_KINDS)})")
    wrong = [k for k in data if k not in (("kind", "path") if kind == "sqlite" else ("kind", "dsn_file", "dsn_env", "lease"))]
    if wrong:
        raise r.fail(f"store.{wrong[0]}", f"not a setting of a {kind} store")
    if kind == "sqlite":
        return StoreSettings("sqlite", os.path.join(cfg.config_dir, r.string(data.get("path", "relay.db"), "store.path")))
    given = [k for k in ("dsn_file", "dsn_env") if k in data]
    if len(given) != 1:
        raise r.fail("store", "set one of dsn_file and dsn_env: the libpq connection string "
                              "(e.g. postgresql://relay:PASSWORD@postgres:5432/relay), a secret")
    key = given[0]
    dsn = secrets.get(f"{r.path}: store.{key}", r.string(data[key], f"store.{key}"), cfg.config_dir)
    lease = _duration(r, data["lease"], "store.lease") if "lease" in data else StoreSettings.lease
    if lease < 2 * cfg.delivery_timeout:
        raise r.fail("store.lease", f"must be at least twice delivery_timeout ({cfg.delivery_timeout:g}s): a replica "
                                    "sends only while its lease outlasts a delivery")
    return StoreSettings("postgresql", dsn=dsn, lease=lease)


def _auth(r: Reader, value: Any, secrets: SecretReader, config_dir: str) -> Auth | None:
    data = r.mapping(value, "auth", ("bearer_token_file", "bearer_token_env", "basic"))
    if not data:
        return None
    token = _secret(r, data, "auth", "bearer_token", secrets, config_dir)
    user = password = None
    if "basic" in data:
        basic = r.mapping(data["basic"], "auth.basic", ("username", "password_file", "password_env"))
        if "username" not in basic:
            raise r.fail("auth.basic.username", "required")
        user = r.string(basic["username"], "auth.basic.username").encode()
        password = _secret(r, basic, "auth.basic", "password", secrets, config_dir)
        if password is None:
            raise r.fail("auth.basic", "set password_file or password_env")
    if token is None and user is None:
        raise r.fail("auth", "set bearer_token_file, bearer_token_env or basic")
    return Auth(token, user, password)


def _rate_limits(r: Reader, value: Any, key: str) -> tuple[RateLimit, ...]:
    if not isinstance(value, list) or not value:
        raise r.fail(key, "must be a non-empty list like [{count: 20, per: 1m}]")
    out = []
    for i, item in enumerate(value):
        k = f"{key}[{i}]"
        item = r.mapping(item, k, ("count", "per"))
        for needed in ("count", "per"):
            if needed not in item:
                raise r.fail(f"{k}.{needed}", "required")
        out.append(RateLimit(r.integer(item["count"], f"{k}.count", 1), _duration(r, item["per"], f"{k}.per")))
    return tuple(out)


def _targets(r: Reader, value: Any, cfg: RelayConfig, secrets: SecretReader) -> dict[str, TargetConfig]:
    data = r.mapping(value, "targets")
    if not data:
        raise r.fail("targets", "define at least one target")
    out = {}
    for name, settings in data.items():
        key = f"targets.{name}"
        if not _TARGET_NAME.match(name):
            raise r.fail(key, "a target name holds only letters, digits, '_', '.' and '-'")
        settings = r.mapping(settings, key)
        if "kind" not in settings:
            raise r.fail(f"{key}.kind", f"required (known: {', '.join(sorted(KINDS)) or 'none registered'})")
        kind = r.string(settings["kind"], f"{key}.kind")
        if kind not in KINDS:
            raise r.fail(f"{key}.kind", f"unknown kind {kind!r} (known: {', '.join(sorted(KINDS))})")
        own = {k: v for k, v in settings.items() if k not in ("kind", "rate_limits")}
        own.setdefault("timezone", cfg.timezone)
        own.setdefault("config_dir", cfg.config_dir)
        own["secrets"] = secrets
        target: Target = KINDS[kind].from_config(name, own, f"{cfg.path}: {key}")
        limits = _rate_limits(r, settings["rate_limits"], f"{key}.rate_limits") if "rate_limits" in settings else target.rate_limits
        out[name] = TargetConfig(name, kind, target, tuple(limits))
    return out


def _target_list(r: Reader, value: Any, key: str, targets: dict) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise r.fail(key, f"must be a list of target names, not {kind_of(value)}")
    for i, t in enumerate(value):
        if t not in targets:
            raise r.fail(f"{key}[{i}]", f"unknown target {t!r} (defined: {', '.join(targets)})")
    return tuple(dict.fromkeys(value))


def _routes(r: Reader, value: Any, targets: dict) -> tuple[Route, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise r.fail("routes", f"must be a list, not {kind_of(value)}")
    routes, names = [], set()
    for i, item in enumerate(value):
        key = f"routes[{i}]"
        item = r.mapping(item, key, ("name", "matchers", "targets", "continue"))
        name = None
        if "name" in item:
            name = r.string(item["name"], f"{key}.name")
            if not _TARGET_NAME.match(name):
                raise r.fail(f"{key}.name", "a route name holds only letters, digits, '_', '.' and '-' (it is a URL path)")
            if name in names:
                raise r.fail(f"{key}.name", f"route {name!r} is defined twice")
            names.add(name)
        matchers = item.get("matchers", [])
        if not isinstance(matchers, list):
            raise r.fail(f"{key}.matchers", f"must be a list of matchers, not {kind_of(matchers)}")
        parsed = []
        for j, text in enumerate(matchers):
            try:
                parsed.append(parse_matcher(text))
            except MatcherError as exc:
                raise r.fail(f"{key}.matchers[{j}]", str(exc)) from None
        if not parsed and name is None:
            raise r.fail(key, "give the route matchers (to route plain POST /alerts by labels) or a name "
                              "(for POST /alerts/<name>), or both")
        if "targets" not in item:
            raise r.fail(f"{key}.targets", "required")
        routes.append(Route(name, tuple(parsed), _target_list(r, item["targets"], f"{key}.targets", targets),
                            r.boolean(item["continue"], f"{key}.continue") if "continue" in item else False))
    return tuple(routes)


def _heartbeat(r: Reader, value: Any, targets: dict) -> Heartbeat | None:
    if value is None:
        return None
    data = r.mapping(value, "heartbeat", ("alertname", "missing_after", "targets"))
    if "targets" not in data:
        raise r.fail("heartbeat.targets", "required (where 'the alerting pipeline is broken' goes)")
    return Heartbeat(
        alertname=r.string(data.get("alertname", "Watchdog"), "heartbeat.alertname"),
        missing_after=_duration(r, data.get("missing_after", "5m"), "heartbeat.missing_after"),
        targets=_target_list(r, data["targets"], "heartbeat.targets", targets),
    )


def parse_relay_config(data: Any, path: str, config_dir: str, secrets: SecretReader | None = None) -> RelayConfig:
    """Check relay.yaml's data. Secrets go through `secrets` (default: read them all and
    fail listing every one that cannot be read)."""
    reader = secrets if secrets is not None else SecretReader()
    cfg = _parse(data, path, config_dir, reader)
    if secrets is None:
        reader.check(path)
    return cfg


def _parse(data: Any, path: str, config_dir: str, secrets: SecretReader) -> RelayConfig:
    r = Reader(path)
    data = r.mapping(data, "", TOP_KEYS)
    cfg = RelayConfig(path=path, config_dir=config_dir)
    if "listen" in data:
        listen = r.string(data["listen"], "listen")
        host, sep, port = listen.rpartition(":")
        if not sep or not host or not port.isdigit() or int(port) > 65535:
            raise r.fail("listen", f"{listen!r} is not host:port (e.g. 0.0.0.0:9095)")
        cfg.listen_host, cfg.listen_port = host.strip("[]"), int(port)
    if "timezone" in data:
        cfg.timezone = r.string(data["timezone"], "timezone")
    try:
        zoneinfo.ZoneInfo(cfg.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise r.fail("timezone", f"unknown time zone {cfg.timezone!r} (e.g. Asia/Shanghai, UTC)") from None
    if "max_body_bytes" in data:
        cfg.max_body_bytes = r.integer(data["max_body_bytes"], "max_body_bytes", 1024)
    if "dedup_window" in data:
        cfg.dedup_window = parse_duration(r.duration(data["dedup_window"], "dedup_window"))
    if "max_age" in data:
        cfg.max_age = _duration(r, data["max_age"], "max_age")
    if "show_within" in data:
        cfg.show_within = _duration(r, data["show_within"], "show_within")
        cfg.show_within_text = data["show_within"]
    if "delivery_timeout" in data:
        cfg.delivery_timeout = _duration(r, data["delivery_timeout"], "delivery_timeout")
    cfg.store = _store(r, data.get("store", "relay.db"), cfg, secrets)
    retry = r.mapping(data.get("retry"), "retry", ("initial", "max"))
    if "initial" in retry:
        cfg.retry_initial = _duration(r, retry["initial"], "retry.initial")
    if "max" in retry:
        cfg.retry_max = _duration(r, retry["max"], "retry.max")
    if cfg.retry_max < cfg.retry_initial:
        raise r.fail("retry.max", "must not be shorter than retry.initial")
    cfg.auth = _auth(r, data.get("auth"), secrets, config_dir)
    cfg.targets = _targets(r, data.get("targets"), cfg, secrets)
    if "default_targets" not in data:
        raise r.fail("default_targets", "required: where notifications that match no route go ([] to drop them)")
    cfg.router = Router(_routes(r, data.get("routes"), cfg.targets),
                        _target_list(r, data["default_targets"], "default_targets", cfg.targets))
    cfg.heartbeat = _heartbeat(r, data.get("heartbeat"), cfg.targets)
    return cfg


def load_relay_config(path: str, secrets: SecretReader | None = None) -> RelayConfig:
    """Read and validate relay.yaml; target kinds must be registered (relay.kinds).
    `secrets` as for parse_relay_config."""
    import relay.kinds  # noqa: F401  (registers the target kinds that exist)

    return parse_relay_config(read_yaml(path), path, os.path.dirname(os.path.abspath(path)), secrets)
