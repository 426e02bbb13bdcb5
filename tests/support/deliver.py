"""POST what a target builds over real HTTP and let the target read the answer, as the
relay's delivery worker does (one requests call per attempt)."""

from __future__ import annotations

import datetime as dt

import requests

from relay.targets.base import HttpRequest, Outcome, Target


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def send(request: HttpRequest) -> requests.Response:
    return requests.post(request.url, data=request.body, headers=dict(request.headers), timeout=10)


def deliver(target: Target, notifications, when: dt.datetime | None = None) -> Outcome:
    answer = send(target.build(list(notifications), when or now()))
    return target.interpret(answer.status_code, dict(answer.headers), answer.content)
