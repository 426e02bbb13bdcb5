"""Local stand-ins for the chat services, implementing their documented contracts.

Each fake is a real HTTP server on 127.0.0.1 (ephemeral port, one thread per request) that
checks what the real service checks (token or key, signature and its timestamp window, size
limit, rate limit) and answers the way it answers (HTTP 200 with errcode/code JSON for the
Chinese services, HTTP status + text for Slack). Facts come from
shared/reference/chat-targets.md; where the reference is silent (the exact code for an
over-size DingTalk body or Feishu card), the code is named as this fake's choice.

Use as a context manager (`with DingTalkFake(secret="s") as fake: post(fake.url, ...)`);
`accepted` lists the parsed messages the fake took, `answers` every (status, body) it gave,
`fail_next(n, ...)` makes the next n requests fail with HTTP 500 or an error code. Signature
checks are written here independently of relay so the two can prove each other, and
`clock` lets a test put the fake at the reference vectors' time.

The fakes do not import anything from gen/: a fake that shared the relay's signing code
would accept whatever the relay got wrong.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

Clock = Callable[[], float]


def dingtalk_signature(timestamp_ms: int | str, secret: str) -> str:
    """base64(HMAC-SHA256(key=secret, message=f"{ts}\\n{secret}")), before URL-encoding."""
    mac = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def feishu_signature(timestamp_s: int | str, secret: str) -> str:
    """base64(HMAC-SHA256(key=f"{ts}\\n{secret}", message=b"")): key and message swapped
    compared with DingTalk."""
    mac = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, value: Any, status: int = 200, **headers: str) -> "Reply":
        return cls(status, json.dumps(value).encode(), {"Content-Type": "application/json", **headers})

    @classmethod
    def text(cls, value: str, status: int = 200, **headers: str) -> "Reply":
        return cls(status, value.encode(), {"Content-Type": "text/plain", **headers})


@dataclass
class Received:
    """One request as the fake saw it."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class SlidingWindow:
    """At most `count` events in any `seconds` window (how the robots' limits are described)."""

    def __init__(self, count: int, seconds: float) -> None:
        self.count, self.seconds = count, seconds
        self.events: collections.deque[float] = collections.deque()

    def allows(self, now: float) -> bool:
        while self.events and self.events[0] <= now - self.seconds:
            self.events.popleft()
        return len(self.events) < self.count

    def admit(self, now: float) -> bool:
        if not self.allows(now):
            return False
        self.events.append(now)
        return True


class FakeService:
    """Threaded HTTP server with failure injection and a record of what it accepted."""

    def __init__(self, clock: Clock = time.time) -> None:
        self.clock = clock
        self.lock = threading.Lock()
        self.accepted: list[Any] = []  # parsed messages the service took
        self.accepted_at: list[float] = []  # when each of them was taken (the fake's clock)
        self.received: list[Received] = []  # every request, accepted or not
        self.answers: list[tuple[int, bytes]] = []
        self._failures: collections.deque[Reply] = collections.deque()
        self._down_until = 0.0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> "FakeService":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                parts = urlsplit(self.path)
                request = Received(
                    path=parts.path,
                    query={k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
                    headers={k: v for k, v in self.headers.items()},
                    body=body,
                )
                reply = fake._handle(request)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "fake not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- behaviour ------------------------------------------------------------------------
    def fail_next(self, count: int, status: int = 500, code: int | None = None,
                  headers: dict[str, str] | None = None) -> None:
        """The next `count` requests get HTTP `status`, or HTTP 200 with error `code`."""
        reply = (self.error(code, "injected failure") if code is not None
                 else Reply.text("injected failure", status, **(headers or {})))
        with self.lock:
            self._failures.extend([reply] * count)

    def down_for(self, seconds: float) -> None:
        """An outage: every request for `seconds` gets HTTP 502 (a proxy in front of a dead service)."""
        with self.lock:
            self._down_until = self.clock() + seconds

    def error(self, code: int, message: str) -> Reply:
        return Reply.json({"errcode": code, "errmsg": message})

    def _handle(self, request: Received) -> Reply:
        with self.lock:
            self.received.append(request)
            if self.clock() < self._down_until:
                reply = Reply.text("outage", 502)
            else:
                taken = len(self.accepted)
                reply = self._failures.popleft() if self._failures else self.handle(request)
                if len(self.accepted) > taken:
                    self.accepted_at.append(self.clock())
            self.answers.append((reply.status, reply.body))
            return reply

    def handle(self, request: Received) -> Reply:
        raise NotImplementedError


class DingTalkFake(FakeService):
    """DingTalk custom robot: /robot/send?access_token=..., optional 加签 signing.

    Checks: token (300001), signature and timestamp within one hour (310000), body at most
    20,000 bytes (460101: this fake's choice of code), JSON with msgtype markdown/text
    (40035), 20 messages per minute (130101).
    """

    LIMIT_BYTES = 20_000

    def __init__(self, token: str = "dt-token", secret: str | None = None,
                 per_minute: int = 20, clock: Clock = time.time) -> None:
        super().__init__(clock)
        self.token, self.secret = token, secret
        self.window = SlidingWindow(per_minute, 60.0)

    @property
    def url(self) -> str:
        return f"{self.base_url}/robot/send?access_token={self.token}"

    def handle(self, request: Received) -> Reply:
        if request.path != "/robot/send":
            return Reply.json({"errcode": 404, "errmsg": "请求的URI地址不存在"}, status=404)
        if request.query.get("access_token") != self.token:
            return self.error(300001, "token is not exist")
        if self.secret is not None:
            timestamp, sign = request.query.get("timestamp", ""), request.query.get("sign", "")
            if not timestamp.isdigit() or abs(self.clock() * 1000 - int(timestamp)) > 3_600_000:
                return self.error(310000, "invalid timestamp")
            # parse_qs has already URL-decoded the sign
            if not hmac.compare_digest(sign, dingtalk_signature(timestamp, self.secret)):
                return self.error(310000, "sign not match")
        if len(request.body) > self.LIMIT_BYTES:
            return self.error(460101, "message too long")
        try:
            message = request.json()
        except ValueError:
            return self.error(40035, "invalid json")
        kind = message.get("msgtype")
        if kind == "markdown":
            content = message.get("markdown") or {}
            if not content.get("title") or not content.get("text"):
                return self.error(40035, "markdown needs title and text")
        elif kind == "text":
            if not (message.get("text") or {}).get("content"):
                return self.error(40035, "text needs content")
        else:
            return self.error(40035, f"unsupported msgtype {kind!r}")
        if not self.window.admit(self.clock()):
            return self.error(130101, "send too fast, exceed 20 times per minute")
        self.accepted.append(message)
        return self.error(0, "ok")


class WeComFake(FakeService):
    """WeCom group robot: /cgi-bin/webhook/send?key=... (the key is the secret).

    Checks: key (93000), msgtype markdown with content at most 4,096 bytes (40058) or text
    at most 2,048 bytes (40058), 20 messages per minute (45009).
    """

    def __init__(self, key: str = "wc-key", per_minute: int = 20, clock: Clock = time.time) -> None:
        super().__init__(clock)
        self.key = key
        self.window = SlidingWindow(per_minute, 60.0)

    @property
    def url(self) -> str:
        return f"{self.base_url}/cgi-bin/webhook/send?key={self.key}"

    def handle(self, request: Received) -> Reply:
        if request.path != "/cgi-bin/webhook/send" or request.query.get("key") != self.key:
            return self.error(93000, "invalid webhook url")
        try:
            message = request.json()
        except ValueError:
            return self.error(40058, "invalid json")
        kind = message.get("msgtype")
        if kind == "markdown":
            content = (message.get("markdown") or {}).get("content")
            limit = 4096
        elif kind == "text":
            content = (message.get("text") or {}).get("content")
            limit = 2048
        else:
            return self.error(40008, "invalid message type")
        if not isinstance(content, str) or not content:
            return self.error(40058, "content missing")
        if len(content.encode("utf-8")) > limit:
            return self.error(40058, f"content exceed max length {limit}")
        if not self.window.admit(self.clock()):
            return self.error(45009, "api freq out of limit")
        self.accepted.append(message)
        return self.error(0, "ok")


class FeishuFake(FakeService):
    """Feishu / Lark custom bot: /open-apis/bot/v2/hook/<token>, signature in the body.

    Checks: token (19001), `timestamp` within one hour and `sign` (19021), body at most
    20,000 bytes (9499: this fake's choice), msg_type text/post/interactive (19002), 5
    messages a second and 100 a minute (9499 "too many request").
    """

    LIMIT_BYTES = 20_000

    def __init__(self, token: str = "fs-token", secret: str | None = None,
                 clock: Clock = time.time) -> None:
        super().__init__(clock)
        self.token, self.secret = token, secret
        self.windows = [SlidingWindow(5, 1.0), SlidingWindow(100, 60.0)]

    @property
    def url(self) -> str:
        return f"{self.base_url}/open-apis/bot/v2/hook/{self.token}"

    def error(self, code: int, message: str) -> Reply:
        return Reply.json({"code": code, "msg": message, "data": {}})

    def handle(self, request: Received) -> Reply:
        if request.path != f"/open-apis/bot/v2/hook/{self.token}":
            return self.error(19001, "param invalid: incoming webhook access token invalid")
        if len(request.body) > self.LIMIT_BYTES:
            return self.error(9499, "request body too large")
        try:
            message = request.json()
        except ValueError:
            return self.error(9499, "Bad Request")
        if self.secret is not None:
            timestamp, sign = str(message.get("timestamp", "")), str(message.get("sign", ""))
            if (not timestamp.isdigit() or abs(self.clock() - int(timestamp)) > 3600
                    or not hmac.compare_digest(sign, feishu_signature(timestamp, self.secret))):
                return self.error(19021, "sign match fail or timestamp is not within one hour from current time")
        kind = message.get("msg_type")
        if kind == "interactive":
            card = message.get("card")
            if not isinstance(card, dict) or not card.get("elements"):
                return self.error(19002, "card has no elements")
        elif kind == "post":
            if not isinstance((message.get("content") or {}).get("post"), dict):
                return self.error(19002, "post content missing")
        elif kind == "text":
            if not (message.get("content") or {}).get("text"):
                return self.error(19002, "text content missing")
        else:
            return self.error(19002, f"unsupported msg_type {kind!r}")
        now = self.clock()
        if not all(window.allows(now) for window in self.windows):
            return self.error(9499, "too many request")
        for window in self.windows:
            window.admit(now)
        self.accepted.append(message)
        return Reply.json({"code": 0, "msg": "success", "data": {}, "StatusCode": 0,
                           "StatusMessage": "success"})


class SlackFake(FakeService):
    """Slack incoming webhook: /services/T.../B.../secret.

    About one message a second with short bursts (a token bucket of `burst`, refilled at one
    a second); over that HTTP 429 with Retry-After. Checks: path (404 no_service), JSON (400
    invalid_payload), text or blocks (400 no_text), blocks at most 50, header text at most
    150 and section text at most 3,000 characters (400 invalid_blocks). Success: 200 "ok".
    """

    def __init__(self, path: str = "/services/T0001/B0001/slacksecret", burst: int = 3,
                 clock: Clock = time.time) -> None:
        super().__init__(clock)
        self.path, self.burst = path, burst
        self.tokens, self.last = float(burst), None

    @property
    def url(self) -> str:
        return f"{self.base_url}{self.path}"

    def error(self, code: int, message: str) -> Reply:
        return Reply.text(message, code)

    def _admit(self) -> bool:
        now = self.clock()
        if self.last is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.last))
        self.last = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def handle(self, request: Received) -> Reply:
        if request.path != self.path:
            return Reply.text("no_service", 404)
        try:
            message = request.json()
        except ValueError:
            return Reply.text("invalid_payload", 400)
        if not isinstance(message, dict) or not (message.get("text") or message.get("blocks")):
            return Reply.text("no_text", 400)
        blocks = message.get("blocks") or []
        if len(blocks) > 50:
            return Reply.text("invalid_blocks", 400)
        for block in blocks:
            text = (block.get("text") or {}).get("text", "")
            if block.get("type") == "header" and (len(text) > 150 or block["text"].get("type") != "plain_text"):
                return Reply.text("invalid_blocks", 400)
            if block.get("type") == "section" and not 0 < len(text) <= 3000:
                return Reply.text("invalid_blocks", 400)
        if not self._admit():
            return Reply.text("rate_limited", 429, **{"Retry-After": "1"})
        self.accepted.append(message)
        return Reply.text("ok")


class WebhookFake(FakeService):
    """Any in-house receiver: records JSON bodies (and headers), answers 200; may require a
    bearer token (401 without it)."""

    def __init__(self, bearer: str | None = None, clock: Clock = time.time) -> None:
        super().__init__(clock)
        self.bearer = bearer

    @property
    def url(self) -> str:
        return f"{self.base_url}/hooks/alerts"

    def handle(self, request: Received) -> Reply:
        if self.bearer is not None and request.headers.get("Authorization") != f"Bearer {self.bearer}":
            return Reply.text("unauthorized", 401)
        try:
            message = request.json()
        except ValueError:
            return Reply.text("bad json", 400)
        self.accepted.append(message)
        return Reply.text("ok")
