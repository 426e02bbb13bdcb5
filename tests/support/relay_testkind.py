"""A test-only target kind, "testhook", that drives the delivery engine against a local HTTP
server (relay_support.Receiver). Its message says which notifications it carries, so tests
can check digests, order and duplicates; its answers follow a small contract:

  HTTP 200 {"ok": true}                          delivered
  HTTP 200 {"errcode": 1, "retry_after": S}      rate limited by the service: retry after S seconds
  HTTP 200 {"errcode": 2}                        permanent error (bad token)
  anything else                                  permanent error
"""

from __future__ import annotations

import json

from common.errors import ConfigError
from relay.targets.base import HttpRequest, Outcome, RateLimit, Target, register


@register
class TestHook(Target):
    kind = "testhook"
    default_rate_limits = (RateLimit(1000, 1.0),)
    default_max_bytes = None

    def __init__(self, name: str, url: str, timezone: str):
        self.name, self.url, self.timezone = name, url, timezone

    @classmethod
    def from_config(cls, name, settings, where):
        unknown = set(settings) - {"url", "timezone", "config_dir", "secrets"}
        if unknown:
            raise ConfigError(f"{where}.{sorted(unknown)[0]}: unknown key")
        if not isinstance(settings.get("url"), str):
            raise ConfigError(f"{where}.url: required")
        return cls(name, settings["url"], settings["timezone"])

    def build(self, notifications, now):
        body = {
            "target": self.name,
            "ids": [n.id for n in notifications],
            "group_keys": [n.group_key for n in notifications],
            "statuses": [n.status for n in notifications],
            "alertnames": [sorted({a.labels.get("alertname", "") for a in n.alerts}) for n in notifications],
            "summaries": [n.common_annotations.get("summary", "") for n in notifications],
        }
        return HttpRequest(self.url, json.dumps(body).encode(), {"Content-Type": "application/json"})

    def interpret(self, status, headers, body):
        if status != 200:
            return Outcome("permanent", f"HTTP {status}")
        answer = json.loads(body)
        if answer.get("ok"):
            return Outcome("ok")
        if answer.get("errcode") == 1:
            return Outcome("retry", "errcode 1: slow down", retry_after=answer.get("retry_after"))
        return Outcome("permanent", f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")
