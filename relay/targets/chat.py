"""What the four chat kinds share: config keys, rendering with the size cut, JSON bodies.

A kind says how title and text become its JSON body (`envelope`), how the service counts
the size (`measure`), and where to POST (`url_for`, where DingTalk signs); everything else
(template, zone, cut at alert boundaries, template check at start) is done here once.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, ClassVar, Mapping

from relay.message import MessageView, Summary, build_view
from relay.render import TemplateProblem, render_to_fit
from relay.targets.base import Built, HttpRequest, Notification, Target
from relay.secrets import Secret
from relay.targets.settings import Settings, redact_url

COMMON_KEYS = frozenset({"url", "url_file", "url_env", "template", "timezone", "max_bytes"})


def encode_json(payload: Any) -> bytes:
    """UTF-8 JSON as sent (not \\u-escaped: the services count UTF-8 bytes, and escaping
    would triple the size of Chinese text)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class ChatTarget(Target):
    """Base of the chat kinds (DingTalk, WeCom, Feishu, Slack)."""

    template_name: ClassVar[str]  # default template in relay/templates/
    url_query_key: ClassVar[str | None] = None  # the token's query parameter, if any
    extra_keys: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, name: str, settings: Settings) -> None:
        self.name = name
        self.url: Secret = settings.url(self.url_query_key)
        self.timezone = settings.timezone()
        self.template, self.default_template = settings.template(self.template_name)
        self.max_bytes = settings.max_bytes(self.default_max_bytes)
        self.configure(settings)
        if self.template is not self.default_template:
            self._check_template(settings)

    @classmethod
    def from_config(cls, name: str, settings: Mapping[str, Any], where: str) -> "ChatTarget":
        return cls(name, Settings(settings, where, COMMON_KEYS | cls.extra_keys))

    def configure(self, settings: Settings) -> None:
        """Read the kind's own keys (mentions, secret...)."""

    def _check_template(self, settings: Settings) -> None:
        """Render a sample through the override now, so a broken template stops the start
        (or the reload) with file:line instead of failing when an alert needs sending."""
        from relay.samples import sample_notification  # here: samples imports the package

        sample = [sample_notification(dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))]
        view = build_view(sample, self.timezone)
        try:
            _, text = self.template.render(view, self.extra(view))
        except TemplateProblem as exc:
            raise settings.error("template", str(exc)) from None
        if not text:
            raise settings.error("template", f"{self.template.path}: renders an empty message")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {(redact_url(self.url.reveal()) if self.url.read else self.url.source)}>"

    # --- what a kind provides --------------------------------------------------------------

    def extra(self, view: MessageView) -> Mapping[str, Any]:
        """Template variables of this kind besides the view."""
        return {}

    def finish(self, title: str, text: str, view: MessageView) -> str:
        """The text after rendering: add what the service needs and a template forgot."""
        return text

    def envelope(self, title: str, text: str, view: MessageView, now: dt.datetime) -> Any:
        raise NotImplementedError

    def measure(self, payload: Any) -> int:
        """Size as the service counts it against max_bytes: the whole UTF-8 JSON body."""
        return len(encode_json(payload))

    def url_for(self, now: dt.datetime) -> str:
        return self.url.reveal()

    # --- the Target interface --------------------------------------------------------------

    def build(self, notifications: list[Notification], now: dt.datetime) -> HttpRequest:
        return self.build_batch(notifications, now).request

    def build_batch(self, notifications: list[Notification], now: dt.datetime, summary: Summary | None = None) -> Built:
        rendered = render_to_fit(
            notifications,
            self.timezone,
            self.template,
            self.default_template,
            extra=self.extra,
            finish=self.finish,
            envelope=lambda title, text, view: self.envelope(title, text, view, now),
            measure=self.measure,
            max_bytes=self.max_bytes,
            summary=summary,
        )
        return Built(HttpRequest(url=self.url_for(now), body=encode_json(rendered.payload)), rendered.view.included)

