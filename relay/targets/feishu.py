"""Feishu / Lark custom bot (飞书自定义机器人): interactive card, optional signing.

Lark is the same API under open.larksuite.com: the configured URL decides, so one kind
serves both. Signing puts `timestamp` (seconds) and
`sign = base64(HMAC-SHA256(key=f"{ts}\\n{secret}", msg=b""))` in the JSON body (key and
message are swapped compared with DingTalk). Errors come as `{"code": N, "msg": ...}`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from typing import Any, Mapping

from relay.message import MessageView
from relay.targets.answers import by_code, by_status, json_body, retry_after, snippet
from relay.targets.base import Outcome, RateLimit, register
from relay.targets.chat import ChatTarget
from relay.targets.settings import Settings

# code -> wait before the next try. Everything else that is not 0 is permanent: 19021 bad
# signature or timestamp, 19001 bad token / parameters, 19002 bad message, 19022 IP not
# allowed, 19024 keyword check failed, 19007 bot not in the chat.
CODE_RETRY: dict[int, float | None] = {
    9499: 1.0,  # "too many request": over 5/s or 100/min (the minute window: engine backoff)
    11232: 1.0,  # frequency limited
    11233: 1.0,  # frequency limited (chat)
    -1: None,  # internal error
}


def sign(timestamp_s: int, secret: str) -> str:
    """The signature Feishu expects in the body's `sign`."""
    key = f"{timestamp_s}\n{secret}".encode("utf-8")
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


@register
class FeishuTarget(ChatTarget):
    kind = "feishu"
    default_rate_limits = (RateLimit(100, 60.0), RateLimit(5, 1.0))
    default_max_bytes = 20_000  # the whole JSON body ("about 20 KB", unconfirmed)
    template_name = "feishu.md.j2"
    extra_keys = frozenset({"secret_file", "secret_env", "secret"})

    def configure(self, settings: Settings) -> None:
        self.secret = settings.secret("secret", required=False, inline=False)

    def envelope(self, title: str, text: str, view: MessageView, now: dt.datetime) -> Any:
        body: dict[str, Any] = {}
        if self.secret is not None:
            timestamp = int(now.timestamp())
            body.update(timestamp=str(timestamp), sign=sign(timestamp, self.secret.reveal()))
        body["msg_type"] = "interactive"
        body["card"] = {
            "config": {"wide_screen_mode": True},
            "header": {
                "title": {"tag": "plain_text", "content": title},
                "template": "red" if view.status == "firing" else "green",
            },
            "elements": [{"tag": "markdown", "content": text}],
        }
        return body

    def interpret(self, status: int, headers: Mapping[str, str], body: bytes) -> Outcome:
        answer = json_body(body)
        code = None if answer is None else answer.get("code", answer.get("StatusCode"))
        if status == 429 or status >= 500 or code is None:
            outcome = by_status(status, headers, body)
            if outcome is not None:
                return outcome
            return Outcome("retry", f"unreadable answer: {snippet(body)}")
        # Feishu answers some errors (rate limits among them) with HTTP 4xx and a code: the
        # code decides.
        message = str(answer.get("msg", answer.get("StatusMessage", "")))
        outcome = by_code(code, message, "code", CODE_RETRY)
        if outcome.kind == "retry" and retry_after(headers) is not None:
            return Outcome("retry", outcome.detail, retry_after(headers))
        return outcome
