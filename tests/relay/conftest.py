"""Fixtures the relay's tests share."""

from __future__ import annotations

import pytest

from support.relay_support import Receiver


@pytest.fixture
def receiver():
    """A local webhook receiver (support.relay_support.Receiver); requests it holds are let go
    before it closes, so no relay thread waits on it after the test."""
    r = Receiver()
    try:
        yield r
    finally:
        for hold in r.holds.values():
            hold.set()
        r.close()
