"""DingTalk custom robot (钉钉自定义机器人): markdown message, optional signing, @mobiles.

Signing ("加签"): timestamp in milliseconds and
`base64(HMAC-SHA256(key=secret, msg=f"{ts}\\n{secret}"))` as `&timestamp=..&sign=..` query
parameters. A mention works only when `@mobile` is also in the text, so both are sent.
Errors come as HTTP 200 with an errcode; see ERRCODE_RETRY for what is retried.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from typing import Any, Mapping
from urllib.parse import quote_plus

from relay.message import MessageView
from relay.targets.answers import errcode_answer
from relay.targets.base import Outcome, RateLimit, register
from relay.targets.chat import ChatTarget
from relay.targets.settings import Settings

# errcode -> seconds to wait before the next try (None: the engine's backoff). Everything
# not listed and not 0 is permanent: 300001/400101 bad token, 310000 signature, timestamp,
# keyword or IP allow-list refused, 400102 robot stopped, 430101-430104 content refused,
# 460101 message too long, 40035 bad request.
ERRCODE_RETRY: dict[int, float | None] = {
    -1: None,  # system busy
    130101: 60.0,  # "send too fast": over 20/min; the robot is blocked for a while
    130102: 60.0,  # "send too fast" (burst variant)
    410100: 60.0,  # "发送速度太快而限流" (rate limited)
}


def sign(timestamp_ms: int, secret: str) -> str:
    """The signature DingTalk expects, before URL-encoding."""
    message = f"{timestamp_ms}\n{secret}".encode("utf-8")
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


@register
class DingTalkTarget(ChatTarget):
    kind = "dingtalk"
    default_rate_limits = (RateLimit(20, 60.0),)
    default_max_bytes = 20_000  # the whole JSON body
    template_name = "dingtalk.md.j2"
    url_query_key = "access_token"
    extra_keys = frozenset({"secret_file", "secret_env", "secret", "mobiles", "at_all",
                            "mention_resolved"})

    def configure(self, settings: Settings) -> None:
        self.secret = settings.secret("secret", required=False, inline=False)
        self.mobiles = settings.string_list("mobiles")
        self.at_all = settings.boolean("at_all", False)
        self.mention_resolved = settings.boolean("mention_resolved", False)

    def mentions(self, view: MessageView) -> list[str]:
        """Mention people for firing alerts; resolved-only messages are quiet unless asked."""
        return self.mobiles if view.status == "firing" or self.mention_resolved else []

    def extra(self, view: MessageView) -> Mapping[str, Any]:
        return {"mentions": self.mentions(view)}

    def finish(self, title: str, text: str, view: MessageView) -> str:
        missing = [m for m in self.mentions(view) if f"@{m}" not in text]
        if missing:
            text += "\n\n" + " ".join(f"@{m}" for m in missing)
        return text

    def envelope(self, title: str, text: str, view: MessageView, now: dt.datetime) -> Any:
        mentions = self.mentions(view)
        return {
            "msgtype": "markdown",
            "markdown": {"title": title, "text": text},
            "at": {"atMobiles": mentions, "isAtAll": self.at_all and view.status == "firing"},
        }

    def url_for(self, now: dt.datetime) -> str:
        url = self.url.reveal()
        if self.secret is None:
            return url
        timestamp = int(now.timestamp() * 1000)
        signature = quote_plus(sign(timestamp, self.secret.reveal()))
        return f"{url}&timestamp={timestamp}&sign={signature}"

    def interpret(self, status: int, headers: Mapping[str, str], body: bytes) -> Outcome:
        return errcode_answer(status, headers, body, ERRCODE_RETRY)
