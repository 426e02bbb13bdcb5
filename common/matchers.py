"""Alertmanager's label matchers (`severity="critical"`, `team=~"db|infra"`, `env!=dev`), as
Alertmanager 0.25 parses them (pkg/labels ParseMatcher), for the routing the compiler writes
and the relay's own routes.

The value may be double-quoted or bare; inside it `\\"`, `\\\\` and `\\n` are escapes and any
other backslash is literal; an unescaped `"` anywhere but at both ends is an error. Regular
expressions are anchored at both ends and `.` does not match a line feed (Go's RE2 defaults).
A missing label reads as the empty string, so `team=""` matches alerts without a team.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

OPS = ("=", "!=", "=~", "!~")
# Go's \s is [\t\n\f\r ]; label names may hold ':' in Alertmanager's matchers
_MATCHER = re.compile(r"^[\t\n\f\r ]*([a-zA-Z_:][a-zA-Z0-9_:]*)[\t\n\f\r ]*(=~|=|!=|!~)[\t\n\f\r ]*(.*?)[\t\n\f\r ]*$", re.S)


class MatcherError(ValueError):
    """Not a matcher; the message quotes the text and says why."""


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str
    regex: re.Pattern | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise MatcherError(f"unknown operator {self.op!r} (known: {', '.join(OPS)})")
        if self.op in ("=~", "!~") and self.regex is None:
            try:
                object.__setattr__(self, "regex", re.compile(self.value))  # fullmatch anchors it
            except re.error as exc:
                raise MatcherError(f"{self}: not a valid regular expression: {exc}") from None

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        hit = self.regex.fullmatch(actual) is not None
        return hit if self.op == "=~" else not hit

    def __str__(self) -> str:
        """The matcher as Alertmanager's configuration writes it, value quoted."""
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{self.op}"{escaped}"'


def parse_matcher(text: str) -> Matcher:
    """MatcherError with the reason when `text` is not one matcher."""
    if not isinstance(text, str):
        raise MatcherError(f"must be a string like 'severity=\"critical\"', not {type(text).__name__}")
    m = _MATCHER.match(text)
    if not m:
        raise MatcherError(f"{text!r} is not a matcher (expected name=value, name!=value, name=~regex or name!~regex)")
    name, op, raw = m.groups()
    quoted = raw.startswith('"')
    if quoted:
        raw = raw[1:]
    out: list[str] = []
    escaped = False
    last = len(raw) - 1
    for i, ch in enumerate(raw):
        if escaped:
            escaped = False
            out.append("\n" if ch == "n" else ch if ch in '"\\' else "\\" + ch)
        elif ch == "\\":
            if i < last:
                escaped = True
            else:
                out.append("\\")
        elif ch == '"':
            if not quoted or i < last:
                raise MatcherError(f"{text!r}: the value holds an unescaped double quote")
            quoted = False
        else:
            out.append(ch)
    if quoted:
        raise MatcherError(f"{text!r}: the quoted value has no closing double quote")
    return Matcher(name, op, "".join(out))
