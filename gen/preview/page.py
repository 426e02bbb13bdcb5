"""One self-contained HTML file per dashboard: the view model as JSON, uPlot and the page's
own script and styles inlined, so the file opens offline, from an artifact or an e-mail."""

from __future__ import annotations

import html
import json
from importlib import resources

from gen.preview.view import COLORS, page_height

STATIC = resources.files("gen.preview") / "static"


def _asset(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def _script_json(data) -> str:
    """JSON safe inside <script>: no `</script>` or `<!--` can end the element early."""
    return json.dumps(data, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")


def render_page(dashboard: dict, views: list[dict], note: str, now: float) -> str:
    """The page of `dashboard` (built JSON) with its panels' `views`; `note` says where the data
    came from, `now` (Unix seconds) is the window's end, what "5 min ago" counts from."""
    model = {"uid": dashboard["uid"], "title": dashboard.get("title", ""), "height": page_height(dashboard.get("panels", [])),
             "colors": COLORS, "now": now * 1000, "panels": views}
    title = html.escape(dashboard.get("title", dashboard["uid"]))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{title} (preview)</title>
<style>{_asset("uPlot.min.css")}</style>
<style>{_asset("preview.css")}</style>
</head>
<body>
<header><h1>{title}</h1><p>{html.escape(note)}</p></header>
<div id="grid"></div>
<script>window.onerror = function (m, s, l) {{ var b = document.body;
  b.dataset.errors = (b.dataset.errors ? b.dataset.errors + "\\n" : "") + m + " (" + (s || "") + ":" + l + ")"; }};</script>
<script>/* uPlot, MIT licence (gen/preview/static/uPlot.LICENSE) */
{_asset("uPlot.iife.min.js")}</script>
<script>window.PREVIEW = {_script_json(model)};</script>
<script>{_asset("preview.js")}</script>
</body></html>
"""
