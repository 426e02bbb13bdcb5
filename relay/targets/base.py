"""The contract between the relay's delivery engine and one kind of chat target.

The engine owns queues, storage, rate limits, retries and HTTP; a target only knows its
service: how to turn waiting notifications into one request (message, signature, size
limit) and how to read the service's answer. One module per kind, registered by `kind`
(like Alertmanager's notify package: one notifier per integration behind one interface).
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Mapping

import msgspec


# AlertItem and Notification are frozen msgspec Structs rather than frozen dataclasses: the
# relay builds one per alert of every request it takes, and a Struct is built in C about eight
# times faster (bench/README.md, relay section). Change one with msgspec.structs.replace.
class AlertItem(msgspec.Struct, frozen=True):
    """One alert of an Alertmanager webhook payload (version 4)."""

    status: str  # "firing" | "resolved"
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: dt.datetime  # aware, UTC
    ends_at: dt.datetime | None  # None while firing (Alertmanager sends 0001-01-01T00:00:00Z)
    generator_url: str
    fingerprint: str


class Notification(msgspec.Struct, frozen=True):
    """One stored Alertmanager notification (one alert group), as the engine hands it over."""

    id: int  # the store's row id
    received_at: dt.datetime  # aware, UTC
    receiver: str
    status: str  # "firing" | "resolved"
    group_key: str
    group_labels: Mapping[str, str]
    common_labels: Mapping[str, str]
    common_annotations: Mapping[str, str]
    external_url: str
    alerts: tuple[AlertItem, ...]
    truncated_alerts: int = 0
    body: bytes = b""  # the payload's JSON as received (the generic webhook forwards it); b"" if unknown


@dataclass(frozen=True)
class HttpRequest:
    """What the engine POSTs. Built anew for each attempt (signatures carry a timestamp)."""

    url: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


@dataclass(frozen=True)
class Built:
    """A message and how many alerts of each notification it shows (a prefix of each, in the
    order given): the engine sends the rest in the next message."""

    request: HttpRequest
    shown: tuple[int, ...]


@dataclass(frozen=True)
class Outcome:
    """How the service answered: delivered, try again later, or never going to work."""

    kind: Literal["ok", "retry", "permanent"]
    detail: str = ""  # the service's error code and message, for logs and the dead-letter table
    retry_after: float | None = None  # seconds the service asked us to wait (Retry-After, 130101)


@dataclass(frozen=True)
class RateLimit:
    """At most `count` messages per `seconds`; a kind may have several (Feishu: 100/60s and 5/1s)."""

    count: int
    seconds: float


class Target(ABC):
    """One configured chat target (a robot / webhook URL) of one kind."""

    kind: ClassVar[str]  # "dingtalk", "wecom", "feishu", "slack", "webhook"
    default_rate_limits: ClassVar[tuple[RateLimit, ...]]
    default_max_bytes: ClassVar[int | None]  # None: no documented limit

    name: str  # the target's name in relay.yaml

    @classmethod
    @abstractmethod
    def from_config(cls, name: str, settings: Mapping[str, Any], where: str) -> "Target":
        """Validate this target's settings (`where` is e.g. "relay.yaml: targets.ops-dingtalk");
        raise gen.core.errors.ConfigError naming the key at fault. Secrets come from `*_file` or
        `*_env` keys and are never logged or put in error messages."""

    @abstractmethod
    def build(self, notifications: list[Notification], now: dt.datetime) -> HttpRequest:
        """One message for one notification, or a digest of several when the engine merges
        what waits beyond the rate budget. Never over the size limit: cut at alert boundaries
        with "... and N more". `now` (aware) is for signatures."""

    def build_batch(self, notifications: list[Notification], now: dt.datetime, summary: Any = None) -> Built:
        """What the engine calls: the message and what it shows. This default shows every
        alert (kinds without a size limit); `summary` (relay.message.Summary) is for kinds
        that must cut."""
        return Built(self.build(notifications, now), tuple(len(n.alerts) for n in notifications))

    @abstractmethod
    def interpret(self, status: int, headers: Mapping[str, str], body: bytes) -> Outcome:
        """Read the service's answer, body included (errors come as HTTP 200 with errcode)."""

    @property
    def rate_limits(self) -> tuple[RateLimit, ...]:
        return self.default_rate_limits


KINDS: dict[str, type[Target]] = {}


def register(cls: type[Target]) -> type[Target]:
    """Class decorator: make a target kind available to relay.yaml's `kind:`."""
    KINDS[cls.kind] = cls
    return cls
