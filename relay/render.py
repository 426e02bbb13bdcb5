"""Jinja2 templates for chat messages, and the size cut.

A template renders the message text in its kind's markup; it may set `title` with
`{% set title = ... %}` (the kind uses it as the card header / markdown title). Defaults
live in relay/templates/<kind>.<ext>.j2; a target's `template:` file replaces its kind's
default and may `{% import %}`/`{% extends %}` the defaults by name.

The size cut renders with the first k alerts for the largest k whose encoded body fits the
service's limit (doubling k, then a binary search: a message grows with every alert), so a
long group is cut at an alert boundary instead of being rejected whole. When not every alert
fits, the cut is made again in the compact form (one line per alert), which packs several
times as many into the message; the alerts left out follow in the next message (the
delivery engine keeps track of what each message showed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence
from zoneinfo import ZoneInfo

import jinja2

from relay.message import MessageView, Summary, build_view, clip

if TYPE_CHECKING:  # see relay.message
    from relay.targets.base import Notification

log = logging.getLogger(__name__)

DEFAULTS_DIR = Path(__file__).parent / "templates"
FULL_FIRST = 16  # groups up to this many alerts are rendered whole first (the usual case)


class TemplateProblem(Exception):
    """A template does not parse or fails to render; the message names file and line."""


def slack_escape(value: Any) -> str:
    """Slack mrkdwn treats &, < and > as control characters (links, mentions)."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _environment(extra_dir: Path | None) -> jinja2.Environment:
    paths = ([str(extra_dir)] if extra_dir else []) + [str(DEFAULTS_DIR)]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(paths),
        autoescape=False,  # chat markup, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        undefined=jinja2.Undefined,  # a missing annotation renders empty, as in Alertmanager
    )
    env.filters["slack_escape"] = slack_escape
    env.filters["clip"] = clip
    return env


def _line_of(exc: BaseException, filename: str) -> int | None:
    """The template line an exception came from (Jinja rewrites tracebacks to show it)."""
    line = getattr(exc, "lineno", None)
    if line:
        return line
    tb, found = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            found = tb.tb_lineno
        tb = tb.tb_next
    return found


@dataclass
class MessageTemplate:
    """One loaded template (a kind's default or a target's override)."""

    template: jinja2.Template
    path: str  # for error messages

    @classmethod
    def default(cls, filename: str) -> "MessageTemplate":
        return cls(_environment(None).get_template(filename), str(DEFAULTS_DIR / filename))

    @classmethod
    def load(cls, path: Path) -> "MessageTemplate":
        """Load a template file; TemplateProblem names file:line of a syntax error."""
        try:
            env = _environment(path.parent)
            return cls(env.get_template(path.name), str(path))
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblem(f"{path}:{exc.lineno}: {exc.message}") from None
        except jinja2.TemplateNotFound as exc:
            raise TemplateProblem(f"{path}: template {exc.name!r} not found") from None

    def render(self, view: MessageView, extra: Mapping[str, Any]) -> tuple[str, str]:
        """(title, text) of `view`; TemplateProblem names file:line of a render error."""
        context = {**view.__dict__, **extra}
        try:
            try:
                module = self.template.make_module(context)
            except Exception:
                # make_module skips Jinja's traceback rewrite; this re-raises the error with
                # frames pointing at template lines
                self.template.environment.handle_exception()
        except Exception as exc:  # any error raised inside user template code
            line = _line_of(exc, self.template.filename or "")
            where = f"{self.path}:{line}" if line else self.path
            raise TemplateProblem(f"{where}: {type(exc).__name__}: {exc}") from None
        title = str(getattr(module, "title", view.title)).strip() or view.title
        return title, str(module).strip()


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def fit_text(text: str, fits: Callable[[str], bool], marker: str = "\n\n... (cut)") -> str:
    """The longest prefix of `text` (plus `marker`) that `fits`: the last resort when even a
    message without any alert is too large (a huge title or common annotation)."""
    if fits(text):
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(text[:middle] + marker):
            low = middle
        else:
            high = middle - 1
    return text[:low] + marker


@dataclass(frozen=True)
class Rendered:
    """A rendered message and what the cut left out."""

    title: str
    text: str
    view: MessageView
    payload: Any  # what the kind built from title and text (its JSON body, usually)
    size: int  # the measured size of payload


def render_to_fit(
    notifications: Sequence[Notification],
    tz: ZoneInfo,
    template: MessageTemplate,
    fallback: MessageTemplate,
    extra: Callable[[MessageView], Mapping[str, Any]],
    finish: Callable[[str, str, MessageView], str],
    envelope: Callable[[str, str, MessageView], Any],
    measure: Callable[[Any], int],
    max_bytes: int | None,
    summary: Summary | None = None,
) -> Rendered:
    """Render with as many alerts as fit under `max_bytes` as `measure` counts them: in the
    full form when everything fits, else in whichever form (full or compact) shows more.

    `extra` gives kind-specific variables (DingTalk's mentions); `finish` post-processes the
    text (appends what a custom template forgot and the service needs); `envelope` wraps
    title and text in the kind's body; `summary`: this is the last message the rate budget
    allows (relay.message.Summary). A custom template that fails falls back to the kind's
    default so that the message is still delivered; the failure is logged.
    """
    field_bytes = 2000 if max_bytes is None else max(64, min(2000, max_bytes // 4))
    state = {"template": template}

    def attempt(include: int | None, compact: bool, views: dict) -> Rendered:
        view = build_view(notifications, tz, include, field_bytes, views, compact, summary)
        try:
            title, text = state["template"].render(view, extra(view))
        except TemplateProblem as exc:
            if state["template"] is fallback:
                raise
            log.error("template failed, using the default instead: %s", exc)
            state["template"] = fallback
            title, text = fallback.render(view, extra(view))
        if view.more_line and view.more_line not in text:
            text = f"{text}\n\n{view.more_line}"
        text = finish(title, text, view)
        payload = envelope(title, text, view)
        return Rendered(title, text, view, payload, measure(payload))

    if max_bytes is None:
        return attempt(None, False, {})
    views: dict = {}  # an alert's view is the same in both forms (the template decides the form)
    full = _fit(lambda k: attempt(k, False, views), notifications, max_bytes, envelope, measure)
    if not full.view.omitted:
        return full
    packed = _fit(lambda k: attempt(k, True, views), notifications, max_bytes, envelope, measure)
    return packed if packed.view.omitted < full.view.omitted else full


def _fit(attempt: Callable[[int | None], Rendered], notifications: Sequence[Notification], max_bytes: int,
         envelope: Callable[[str, str, MessageView], Any], measure: Callable[[Any], int]) -> Rendered:
    """The render with the most alerts (a prefix, counted across groups) that fits."""
    total = sum(len(n.alerts) for n in notifications)
    best: Rendered | None = None
    low = 0  # the largest k known to fit (or 0); the answer lies in [low, high]
    if total <= FULL_FIRST:
        whole = attempt(None)
        if whole.size <= max_bytes:
            return whole
        high = total - 1
    else:
        # Large groups: grow k from FULL_FIRST by doubling instead of rendering all alerts
        # first, so a 500-alert group costs a few renders of tens of alerts.
        probe = FULL_FIRST
        while True:
            if probe >= total:
                whole = attempt(None)
                if whole.size <= max_bytes:
                    return whole
                high = total - 1
                break
            candidate = attempt(probe)
            if candidate.size > max_bytes:
                high = probe - 1
                break
            low, best = probe, candidate
            probe *= 2
    if best is None:
        best = attempt(0)
        if best.size > max_bytes:  # not even the frame fits: cut its text
            frame = best
            marker = "\n\n... (cut)" + (f" {frame.view.more_line}" if frame.view.more_line else "")
            text = fit_text(frame.text,
                            lambda t: measure(envelope(frame.title, t, frame.view)) <= max_bytes,
                            marker)
            payload = envelope(frame.title, text, frame.view)
            log.warning("message over %d bytes without any alert; text cut", max_bytes)
            return Rendered(frame.title, text, frame.view, payload, measure(payload))
    while low < high:
        middle = (low + high + 1) // 2
        candidate = attempt(middle)
        if candidate.size <= max_bytes:
            low, best = middle, candidate
        else:
            high = middle - 1
    return best
