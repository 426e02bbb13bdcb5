"""WeCom group robot (企业微信群机器人): markdown message, the `key` in the URL is the secret.

The markdown content is limited to 4,096 UTF-8 bytes (errcode 40058 beyond), so that is
what the size cut measures. Errors come as HTTP 200 with an errcode; see ERRCODE_RETRY.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from relay.message import MessageView
from relay.render import utf8_len
from relay.targets.answers import errcode_answer
from relay.targets.base import Outcome, RateLimit, register
from relay.targets.chat import ChatTarget

# errcode -> wait before the next try (None: the engine's backoff). Everything else that is
# not 0 is permanent: 93000 invalid webhook key, 40058 content too long or bad field,
# 40008 bad message type, 93004/93017 robot disabled or removed, 40001/40014 bad credential.
ERRCODE_RETRY: dict[int, float | None] = {
    -1: None,  # system busy
    45009: 60.0,  # api freq out of limit: over 20 messages a minute
    45033: None,  # api concurrent out of limit
}


@register
class WeComTarget(ChatTarget):
    kind = "wecom"
    default_rate_limits = (RateLimit(20, 60.0),)
    default_max_bytes = 4_096  # markdown.content only
    template_name = "wecom.md.j2"
    url_query_key = "key"

    def envelope(self, title: str, text: str, view: MessageView, now: dt.datetime) -> Any:
        return {"msgtype": "markdown", "markdown": {"content": text}}

    def measure(self, payload: Any) -> int:
        return utf8_len(payload["markdown"]["content"])

    def interpret(self, status: int, headers: Mapping[str, str], body: bytes) -> Outcome:
        return errcode_answer(status, headers, body, ERRCODE_RETRY)
