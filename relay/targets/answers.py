"""Reading a service's answer: HTTP status, Retry-After, and errcode-style JSON bodies.

Chat APIs answer most errors with HTTP 200 and a code in the body, so a kind first lets
`by_status` classify what HTTP alone decides (network-level trouble, 429, 5xx: retry; other
4xx: permanent), then reads its code with `by_code`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from typing import Any, Mapping

from relay.targets.base import Outcome


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive look-up (the engine may hand over a plain dict)."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def retry_after(headers: Mapping[str, str], now: dt.datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date), None when absent/bad."""
    value = header(headers, "Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    now = now or dt.datetime.now(dt.timezone.utc)
    return max(0.0, (when - now).total_seconds())


def snippet(body: bytes, limit: int = 200) -> str:
    text = body.decode("utf-8", errors="replace").strip()
    return text if len(text) <= limit else text[:limit] + "…"


def by_status(status: int, headers: Mapping[str, str], body: bytes) -> Outcome | None:
    """The outcome HTTP alone decides, or None for a 2xx whose body must be read."""
    if 200 <= status < 300:
        return None
    detail = f"HTTP {status}: {snippet(body)}".rstrip(": ")
    if status in (408, 425, 429) or status >= 500:
        return Outcome("retry", detail, retry_after(headers))
    return Outcome("permanent", detail)


def json_body(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def by_code(
    code: Any,
    message: str,
    label: str,
    retry_codes: Mapping[int, float | None],
) -> Outcome:
    """errcode 0 is ok; a code in `retry_codes` is retried after its wait (None: the engine's
    backoff); every other code is permanent (bad token, bad signature, content refused...)."""
    detail = f"{label} {code}: {message}"
    if code == 0:
        return Outcome("ok", detail)
    if isinstance(code, int) and code in retry_codes:
        return Outcome("retry", detail, retry_codes[code])
    return Outcome("permanent", detail)


def errcode_answer(status: int, headers: Mapping[str, str], body: bytes,
                   retry_codes: Mapping[int, float | None]) -> Outcome:
    """The whole reading for services that answer `{"errcode": N, "errmsg": ...}` (DingTalk,
    WeCom): HTTP first, then the code; an unreadable 2xx body is retried."""
    outcome = by_status(status, headers, body)
    if outcome is not None:
        return outcome
    answer = json_body(body)
    if answer is None or "errcode" not in answer:
        return Outcome("retry", f"unreadable answer: {snippet(body)}")
    return by_code(answer.get("errcode"), str(answer.get("errmsg", "")), "errcode", retry_codes)
