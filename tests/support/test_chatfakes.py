"""The contract servers themselves: reference signing vectors, error codes, limits.

Requests here are written by hand (not by relay) so that the fakes are proven on their
own before the targets are tested against them.
"""

from __future__ import annotations

import json
from urllib.parse import quote_plus

import pytest
import requests

from support.chatfakes import (
    DingTalkFake, FeishuFake, SlackFake, WebhookFake, WeComFake, dingtalk_signature,
    feishu_signature,
)

# shared/reference/chat-targets.md
DINGTALK_VECTOR = (1700000000000, "secret", "OuzzJR5+xZ4/EYwqtNt6sMYZQMTa/HEGvc9miJe7XzY=")
FEISHU_VECTOR = (1700000000, "secret", "fiWS2+gh28DOydAv7hzONH/mDn9+b1Y4Y5ivXWXy8vA=")


class Clock:
    """A settable clock so limits and signature windows are tested without waiting."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def markdown(text: str = "hello") -> dict:
    return {"msgtype": "markdown", "markdown": {"title": "t", "text": text}}


def test_signature_functions_match_reference_vectors():
    ts, secret, expected = DINGTALK_VECTOR
    assert dingtalk_signature(ts, secret) == expected
    ts, secret, expected = FEISHU_VECTOR
    assert feishu_signature(ts, secret) == expected


def test_dingtalk_accepts_reference_vector_and_rejects_altered_signature():
    ts, secret, sign = DINGTALK_VECTOR
    with DingTalkFake(secret=secret, clock=Clock(ts / 1000 + 30)) as fake:
        good = requests.post(f"{fake.url}&timestamp={ts}&sign={quote_plus(sign)}", json=markdown())
        assert good.status_code == 200 and good.json()["errcode"] == 0
        bad_sign = quote_plus(sign.replace("O", "P", 1))
        bad = requests.post(f"{fake.url}&timestamp={ts}&sign={bad_sign}", json=markdown())
        assert bad.json()["errcode"] == 310000
        unencoded = requests.post(f"{fake.url}&timestamp={ts}&sign={sign}", json=markdown())
        assert unencoded.json()["errcode"] == 310000  # "+" unencoded arrives as a space
        assert len(fake.accepted) == 1


def test_dingtalk_rejects_timestamp_older_than_an_hour():
    ts, secret, sign = DINGTALK_VECTOR
    with DingTalkFake(secret=secret, clock=Clock(ts / 1000 + 3601)) as fake:
        answer = requests.post(f"{fake.url}&timestamp={ts}&sign={quote_plus(sign)}", json=markdown())
        assert answer.json()["errcode"] == 310000 and fake.accepted == []


def test_dingtalk_token_size_and_rate_limit():
    clock = Clock(1000.0)
    with DingTalkFake(token="tok", clock=clock) as fake:
        wrong = requests.post(fake.url.replace("tok", "other"), json=markdown())
        assert wrong.json()["errcode"] == 300001
        big = requests.post(fake.url, json=markdown("x" * 20_000))
        assert big.json()["errcode"] == 460101
        for _ in range(20):
            assert requests.post(fake.url, json=markdown()).json()["errcode"] == 0
        assert requests.post(fake.url, json=markdown()).json()["errcode"] == 130101
        clock.now += 60
        assert requests.post(fake.url, json=markdown()).json()["errcode"] == 0
        assert len(fake.accepted) == 21
        assert fake.accepted[0] == markdown()


def test_injected_failures_come_first_then_normal_service():
    with DingTalkFake() as fake:
        fake.fail_next(1, status=500)
        fake.fail_next(1, code=-1)
        assert requests.post(fake.url, json=markdown()).status_code == 500
        assert requests.post(fake.url, json=markdown()).json()["errcode"] == -1
        assert requests.post(fake.url, json=markdown()).json()["errcode"] == 0
        assert len(fake.accepted) == 1 and len(fake.received) == 3


def test_wecom_key_length_and_rate_limit():
    clock = Clock(0.0)
    with WeComFake(key="k", clock=clock) as fake:
        ok = {"msgtype": "markdown", "markdown": {"content": "中" * 1365}}  # 4,095 bytes
        too_long = {"msgtype": "markdown", "markdown": {"content": "中" * 1366}}  # 4,098 bytes
        assert requests.post(fake.url.replace("key=k", "key=x"), json=ok).json()["errcode"] == 93000
        assert requests.post(fake.url, json=too_long).json()["errcode"] == 40058
        for _ in range(20):
            assert requests.post(fake.url, json=ok).json()["errcode"] == 0
        assert requests.post(fake.url, json=ok).json()["errcode"] == 45009
        assert len(fake.accepted) == 20


def feishu_message(ts: int | None = None, sign: str | None = None) -> dict:
    body = {"msg_type": "text", "content": {"text": "hello"}}
    if ts is not None:
        body.update(timestamp=str(ts), sign=sign)
    return body


def test_feishu_accepts_reference_vector_and_rejects_bad_signature():
    ts, secret, sign = FEISHU_VECTOR
    with FeishuFake(secret=secret, clock=Clock(ts + 10)) as fake:
        assert requests.post(fake.url, json=feishu_message(ts, sign)).json()["code"] == 0
        assert requests.post(fake.url, json=feishu_message(ts, "x" + sign[1:])).json()["code"] == 19021
        assert requests.post(fake.url, json=feishu_message()).json()["code"] == 19021
    with FeishuFake(secret=secret, clock=Clock(ts + 3601)) as fake:
        assert requests.post(fake.url, json=feishu_message(ts, sign)).json()["code"] == 19021
        assert fake.accepted == []


def test_feishu_rate_limits_per_second_and_per_minute():
    clock = Clock(0.0)
    with FeishuFake(clock=clock) as fake:
        for _ in range(5):
            assert requests.post(fake.url, json=feishu_message()).json()["code"] == 0
        assert requests.post(fake.url, json=feishu_message()).json()["code"] == 9499
        for second in range(1, 20):  # 5 more each second: 100 accepted by t=19
            clock.now = float(second)
            for _ in range(5):
                assert requests.post(fake.url, json=feishu_message()).json()["code"] == 0
        clock.now = 20.0  # a new second, but the minute is used up
        assert requests.post(fake.url, json=feishu_message()).json()["code"] == 9499
        clock.now = 60.5  # the first second's five have left the minute window
        assert requests.post(fake.url, json=feishu_message()).json()["code"] == 0
        assert len(fake.accepted) == 101
        assert requests.post(fake.url.replace("fs-token", "nope"), json=feishu_message()).json()["code"] == 19001


def test_slack_burst_then_429_with_retry_after():
    clock = Clock(0.0)
    with SlackFake(burst=3, clock=clock) as fake:
        answers = [requests.post(fake.url, json={"text": "hi"}) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[0].text == "ok" and answers[3].headers["Retry-After"] == "1"
        clock.now = 1.0
        assert requests.post(fake.url, json={"text": "hi"}).status_code == 200
        assert requests.post(fake.url, data=b"{nope").text == "invalid_payload"
        assert requests.post(fake.url, json={}).text == "no_text"
        long_section = {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]}
        assert requests.post(fake.url, json=long_section).text == "invalid_blocks"
        assert requests.post(fake.base_url + "/services/other", json={"text": "x"}).status_code == 404
        assert len(fake.accepted) == 4


def test_webhook_records_and_requires_bearer():
    with WebhookFake(bearer="s3cret") as fake:
        assert requests.post(fake.url, json={"a": 1}).status_code == 401
        fake.fail_next(2)
        headers = {"Authorization": "Bearer s3cret"}
        assert [requests.post(fake.url, json={"a": 1}, headers=headers).status_code
                for _ in range(3)] == [500, 500, 200]
        assert fake.accepted == [{"a": 1}]
        assert json.loads(fake.received[-1].body) == {"a": 1}
