"""Slack incoming webhook: mrkdwn text in section blocks under a header block.

Slack's per-block limits (header 150 characters of plain text, section 3,000 characters,
50 blocks) are met by construction: the rendered text is split into sections at line
breaks. Over about one message a second Slack answers 429 with Retry-After; errors are
HTTP 4xx with a short reason in the body (invalid_payload, no_service, channel_not_found).
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any, Mapping

from relay.message import MessageView
from relay.render import slack_escape
from relay.targets.answers import by_status, snippet
from relay.targets.base import Outcome, RateLimit, register
from relay.targets.chat import ChatTarget, encode_json

SECTION_CHARS = 3000
HEADER_CHARS = 150
MAX_BLOCKS = 50


def sections(text: str, limit: int = SECTION_CHARS) -> list[str]:
    """`text` in chunks of at most `limit` characters, broken at line ends where possible."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single over-long line: hard split
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            candidate = line
        current = candidate
    if current:
        chunks.append(current)
    return [chunk for chunk in chunks if chunk.strip()]


@register
class SlackTarget(ChatTarget):
    kind = "slack"
    default_rate_limits = (RateLimit(1, 1.0),)
    # Slack documents no byte limit for a webhook body, only per-block ones (and truncates
    # `text` past 40,000 characters). 16,000 bytes keeps a message to a few screens and
    # within 6 full sections.
    default_max_bytes = 16_000
    template_name = "slack.mrkdwn.j2"

    def envelope(self, title: str, text: str, view: MessageView, now: dt.datetime) -> Any:
        header = title if len(title) <= HEADER_CHARS else title[: HEADER_CHARS - 1] + "…"
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}}
        ]
        blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
                   for chunk in sections(text)]
        return {"text": slack_escape(title), "blocks": blocks}

    def measure(self, payload: Any) -> int:
        if len(payload["blocks"]) > MAX_BLOCKS:
            return sys.maxsize  # too many blocks: cut more alerts
        return len(encode_json(payload))

    def interpret(self, status: int, headers: Mapping[str, str], body: bytes) -> Outcome:
        outcome = by_status(status, headers, body)
        if outcome is not None:
            return outcome
        return Outcome("ok", snippet(body))
