"""monitoring.yaml's `relay` section: the team's chat targets and which receiver reaches which.

It is one half of a contract whose other half is the routing (routing_src/routing.py): every
Alertmanager receiver posts to the relay at /alerts/<receiver>, and the build writes the
relay's routes from this section, so the two cannot disagree (gen.routing.resolve pairs them
and fails on a receiver without targets). What is checked here is what the compiler owns:
the section's keys, target names, the receivers' and heartbeat's target lists, the manifests'
settings, and that no secret is written in plain text (out/ is committed). Each target's own
keys (kind, URL, mentions, rate limits) are the relay's to check: gen.tools.relay_check runs the
relay's own configuration check on the relay.yaml the build writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from common import __version__
from common.settings import Reader, kind_of

RELAY_KEYS = ("namespace", "image", "storage", "replicas", "store", "targets", "receivers", "default_targets", "heartbeat",
              "timezone", "max_body_bytes", "dedup_window", "max_age", "show_within", "retry", "delivery_timeout")
# Service settings copied into relay.yaml as they are (the relay checks them).
PASSTHROUGH = ("timezone", "max_body_bytes", "dedup_window", "max_age", "show_within", "retry", "delivery_timeout")
HEARTBEAT_KEYS = ("missing_after", "targets")
IMAGE_KEYS = ("repository", "tag", "pull_policy")
STORE_KEYS = ("kind", "dsn_secret_key", "lease")

# Keys that hold a credential in the relay's configuration: each has *_file and *_env forms.
SECRET_KEYS = ("url", "secret", "token", "bearer_token", "password")
# Header names that carry credentials (a webhook target's `headers`).
_SECRET_HEADER = re.compile(r"authorization|proxy-authorization|.*(token|secret|api-?key|password).*", re.I)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
K8S_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")  # an object or namespace name
_QUANTITY = re.compile(r"[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?")
SECRET_DIR = "/etc/relay-secrets"  # where the relay's Deployment mounts its Secret (beside, not inside, the ConfigMap's read-only /etc/relay)

PLACEHOLDER_IMAGE = "ghcr.io/your-org/k8s-monitoring-relay"
# Used when monitoring.yaml names no targets at all: one DingTalk robot for everything.
DEFAULT_TARGETS = {"chat": {"kind": "dingtalk", "url_env": "DINGTALK_URL"}}


@dataclass
class RelayImage:
    repository: str = PLACEHOLDER_IMAGE
    tag: str = __version__
    pull_policy: str = "IfNotPresent"

    def __str__(self) -> str:
        return f"{self.repository}:{self.tag}"


@dataclass
class RelaySettings:
    namespace: str | None = None  # of the relay's objects; default prometheus_rule.namespace
    image: RelayImage = field(default_factory=RelayImage)
    storage: str = "1Gi"  # the SQLite store's PersistentVolumeClaim
    replicas: int = 1
    store_kind: str = "sqlite"  # or postgresql: shared by the replicas
    store_dsn_key: str = "RELAY_STORE_DSN"  # postgresql: the Secret's key holding the connection string
    store_lease: str | None = None  # postgresql: the relay's default unless set
    targets: dict[str, dict[str, Any]] = field(default_factory=lambda: {k: dict(v) for k, v in DEFAULT_TARGETS.items()})
    receivers: dict[str, list[str]] = field(default_factory=dict)  # Alertmanager receiver -> targets
    default_targets: list[str] = field(default_factory=lambda: list(DEFAULT_TARGETS))
    heartbeat_missing_after: str = "5m"
    heartbeat_targets: list[str] | None = None  # None: the default targets
    service: dict[str, Any] = field(default_factory=dict)  # PASSTHROUGH keys as given

    def secret_refs(self) -> list[tuple[str, str]]:
        """(settings key, environment variable or file) of every secret the targets read."""
        out = []
        for name, target in self.targets.items():
            for key, value in target.items():
                if key.endswith(("_env", "_file")) and key.rsplit("_", 1)[0] in SECRET_KEYS:
                    out.append((f"relay.targets.{name}.{key}", value))
        return out


def _target_names(r: Reader, value: Any, key: str, targets: dict) -> list[str]:
    names = r.string_list(value, key)
    for i, name in enumerate(names):
        if name not in targets:
            raise r.fail(f"{key}[{i}]", f"unknown target {name!r} (defined under relay.targets: {', '.join(targets)})")
    return list(dict.fromkeys(names))


def _plain_secrets(r: Reader, value: Any, key: str) -> None:
    """No credential in plain text anywhere in a target: it would be committed with out/."""
    if isinstance(value, dict):
        for k, v in value.items():
            sub = f"{key}.{k}"
            if k in SECRET_KEYS:
                raise r.fail(sub, f"a secret in plain text would be written into out/relay/ and committed: use {k}_env "
                                  f"(an environment variable from the relay's Secret) or {k}_file (e.g. {SECRET_DIR}/<KEY>)")
            if k.endswith("_env") and k.rsplit("_", 1)[0] in SECRET_KEYS:
                if not isinstance(v, str) or not _ENV_NAME.fullmatch(v):
                    raise r.fail(sub, f"{v!r} is not an environment variable name (a key of the relay's Secret)")
            if k == "headers" and isinstance(v, dict):
                for header in v:
                    if isinstance(header, str) and _SECRET_HEADER.fullmatch(header):
                        raise r.fail(f"{sub}.{header}", "a credential in a header would be committed with out/relay/: "
                                                        "use bearer_token_env or bearer_token_file")
            _plain_secrets(r, v, sub)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _plain_secrets(r, item, f"{key}[{i}]")


def parse_relay(r: Reader, value: Any) -> RelaySettings:
    data = r.mapping(value, "relay", RELAY_KEYS)
    out = RelaySettings()
    if data.get("namespace") is not None:
        out.namespace = r.string(data["namespace"], "relay.namespace")
        if not K8S_NAME.fullmatch(out.namespace):
            raise r.fail("relay.namespace", f"{out.namespace!r} is not a Kubernetes namespace name")
    image = r.mapping(data.get("image"), "relay.image", IMAGE_KEYS)
    for key in IMAGE_KEYS:
        if key in image:
            setattr(out.image, key, r.string(image[key], f"relay.image.{key}"))
    if not out.image.repository or ":" in out.image.repository.rsplit("/", 1)[-1] or "@" in out.image.repository:
        raise r.fail("relay.image.repository", f"{out.image.repository!r}: give the repository without tag or digest "
                                               "(the tag is relay.image.tag)")
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", out.image.tag):
        raise r.fail("relay.image.tag", f"{out.image.tag!r} is not an image tag")
    if out.image.pull_policy not in ("Always", "IfNotPresent", "Never"):
        raise r.fail("relay.image.pull_policy", f"{out.image.pull_policy!r}: one of Always, IfNotPresent, Never")
    if "storage" in data:
        out.storage = str(data["storage"])
        if not _QUANTITY.fullmatch(out.storage):
            raise r.fail("relay.storage", f"{out.storage!r} is not a storage size (e.g. 1Gi)")

    if "replicas" in data:
        out.replicas = r.integer(data["replicas"], "relay.replicas", 1)
    store = r.mapping(data.get("store"), "relay.store", STORE_KEYS)
    if "kind" in store:
        out.store_kind = r.string(store["kind"], "relay.store.kind")
        if out.store_kind not in ("sqlite", "postgresql"):
            raise r.fail("relay.store.kind", f"unknown store {out.store_kind!r} (known: sqlite, postgresql)")
    if out.store_kind == "sqlite" and set(store) - {"kind"}:
        raise r.fail(f"relay.store.{sorted(set(store) - {'kind'})[0]}", "a setting of the postgresql store (kind: postgresql)")
    if "dsn_secret_key" in store:
        out.store_dsn_key = r.string(store["dsn_secret_key"], "relay.store.dsn_secret_key")
        if not _ENV_NAME.fullmatch(out.store_dsn_key):
            raise r.fail("relay.store.dsn_secret_key", f"{out.store_dsn_key!r} is not a Secret key the relay can read "
                                                       "as an environment variable (letters, digits, '_')")
    if "lease" in store:
        out.store_lease = r.duration(store["lease"], "relay.store.lease")
    if out.replicas > 1 and out.store_kind == "sqlite":
        raise r.fail("relay.replicas", f"{out.replicas} replicas need relay.store.kind: postgresql (a SQLite file on "
                                       "a ReadWriteOnce volume has one writer); or keep replicas: 1")

    if "targets" in data:
        targets = r.mapping(data["targets"], "relay.targets")
        if not targets:
            raise r.fail("relay.targets", "define at least one chat target (name: {kind: ..., url_env: ...})")
        out.targets = {}
        for name, target in targets.items():  # names, kinds and keys: the relay's check (gen.tools.relay_check)
            key = f"relay.targets.{name}"
            target = r.mapping(target, key)
            _plain_secrets(r, target, key)
            out.targets[name] = dict(target)
        # one target is the default unless the file says otherwise; several need default_targets
        out.default_targets = list(out.targets) if len(out.targets) == 1 else []
    if "default_targets" in data:
        out.default_targets = _target_names(r, data["default_targets"], "relay.default_targets", out.targets)
    for receiver, names in r.mapping(data.get("receivers"), "relay.receivers").items():
        key = f"relay.receivers.{receiver}"
        out.receivers[receiver] = _target_names(r, names, key, out.targets)
        if not out.receivers[receiver]:
            raise r.fail(key, "an empty list would drop this receiver's alerts: name a target, or remove the key "
                              "to use relay.default_targets")
    heartbeat = r.mapping(data.get("heartbeat"), "relay.heartbeat", HEARTBEAT_KEYS)
    if "missing_after" in heartbeat:
        out.heartbeat_missing_after = r.duration(heartbeat["missing_after"], "relay.heartbeat.missing_after")
    if "targets" in heartbeat:
        out.heartbeat_targets = _target_names(r, heartbeat["targets"], "relay.heartbeat.targets", out.targets)
        if not out.heartbeat_targets:
            raise r.fail("relay.heartbeat.targets", "a broken pipeline must page someone: name a target")
    for key in PASSTHROUGH:
        if key in data:
            out.service[key] = data[key]
    if isinstance(out.service.get("retry"), dict):
        r.mapping(out.service["retry"], "relay.retry", ("initial", "max"))
    elif "retry" in out.service:
        raise r.fail("relay.retry", f"must be a mapping like {{initial: 1s, max: 5m}}, not {kind_of(out.service['retry'])}")
    return out
