"""Per-target send budget over several windows at once (Feishu: 100 per minute and 5 per second).

A sliding log of send times rather than a refilling token bucket: a bucket of 20 tokens
refilled at 20 per minute lets 40 messages through in some 60-second windows, and DingTalk
blocks a robot for ten minutes after the 21st. The log never exceeds `count` in any window
of `seconds`, which is exactly what the services enforce.

Times are wall-clock seconds, because the log outlives the process: the store keeps every
send (relay.store.record_send) and a restarted relay starts from it, not from an empty
window the robot has already used up.

Pacing: the first half of a window's budget may go at once (a few alerts arriving together
are sent at once); once half is used, sends are spaced `seconds / count` apart, so a storm
spends the window over the window instead of in its first second, and what keeps arriving is
packed into the following messages.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Iterable

from relay.targets.base import RateLimit

FREE_SHARE = 0.5  # of each window's budget, sent without spacing


class SlidingWindowLimiter:
    def __init__(self, limits: tuple[RateLimit, ...], history: Iterable[float] = ()):
        self.limits = tuple(limits)
        self._sent: deque[float] = deque(sorted(history))

    def _trim(self, now: float) -> None:
        horizon = max((lim.seconds for lim in self.limits), default=0.0)
        while self._sent and self._sent[0] <= now - horizon:
            self._sent.popleft()

    def _used(self, now: float, seconds: float) -> int:
        return sum(1 for t in self._sent if now - seconds < t <= now)

    def next_free(self, now: float) -> float:
        """The earliest time at which one more message may go out without breaking a window."""
        self._trim(now)
        at = now
        for lim in self.limits:
            recent = [t for t in self._sent if now - lim.seconds < t <= now]
            if len(recent) >= lim.count:
                at = max(at, recent[len(recent) - lim.count] + lim.seconds)
        return at

    def paced(self, now: float) -> float:
        """The earliest time at which the next message should go out: next_free, and spaced
        `seconds / count` after the last send once half a window's budget is used."""
        at = self.next_free(now)
        if not self._sent:
            return at
        last = self._sent[-1]
        for lim in self.limits:
            if self._used(now, lim.seconds) >= math.ceil(lim.count * FREE_SHARE):
                at = max(at, last + lim.seconds / lim.count)
        return at

    def capacity(self, now: float, until: float) -> int:
        """About how many messages the windows allow from now until `until` (exactly how many
        may go out at once when `until` is `now`)."""
        if not self.limits:
            return 1 << 30
        self._trim(now)
        span = max(0.0, until - now)
        return max(0, min(lim.count - self._used(now, lim.seconds) + lim.count * int(span // lim.seconds)
                          for lim in self.limits))

    def record(self, now: float) -> None:
        self._sent.append(now)
