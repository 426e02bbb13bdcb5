"""Per-target send budget over several windows at once (Feishu: 100 per minute and 5 per second).

A sliding log of send times rather than a refilling token bucket: a bucket of 20 tokens
refilled at 20 per minute lets 40 messages through in some 60-second windows, and DingTalk
blocks a robot for ten minutes after the 21st. The log never exceeds `count` in any window
of `seconds`, which is exactly what the services enforce.
"""

from __future__ import annotations

from collections import deque

from relay.targets.base import RateLimit


class SlidingWindowLimiter:
    def __init__(self, limits: tuple[RateLimit, ...]):
        self.limits = tuple(limits)
        self._sent: deque[float] = deque()

    def _trim(self, now: float) -> None:
        horizon = max((lim.seconds for lim in self.limits), default=0.0)
        while self._sent and self._sent[0] <= now - horizon:
            self._sent.popleft()

    def _in_window(self, now: float, seconds: float) -> list[float]:
        return [t for t in self._sent if t > now - seconds]

    def budget(self, now: float) -> int:
        """Messages that may go out now without breaking any window."""
        self._trim(now)
        if not self.limits:
            return 1 << 30
        return max(0, min(lim.count - len(self._in_window(now, lim.seconds)) for lim in self.limits))

    def next_free(self, now: float) -> float:
        """The earliest time (same clock as `now`) at which one more message may go out."""
        self._trim(now)
        at = now
        for lim in self.limits:
            recent = self._in_window(now, lim.seconds)
            if len(recent) >= lim.count:
                at = max(at, recent[len(recent) - lim.count] + lim.seconds)
        return at

    def record(self, now: float) -> None:
        self._sent.append(now)
