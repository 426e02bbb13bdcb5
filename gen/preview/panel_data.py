"""Every panel target's answer, asked as Grafana would ask it: range queries over the page's
window, instant ones at its end, hidden targets skipped. Through the online lint's
PrometheusClient, so a live preview has the same credentials, timeouts and errors."""

from __future__ import annotations

from gen.core.errors import PrometheusError
from gen.dash.check import fill, panels
from gen.live.prometheus_api import PrometheusClient


def panel_results(data: dict, client: PrometheusClient, values: dict[str, str], filled_macros: dict[str, str],
                  start: float, end: float, step: float) -> dict[int, tuple[list | None, str | None]]:
    """By panel id: its (target, result) pairs, or the error of its first failing target,
    naming the dashboard, panel and target."""
    out: dict[int, tuple[list | None, str | None]] = {}
    for p in panels(data):
        if p.get("type") == "row":
            continue
        results, error = [], None
        for t in p.get("targets", []):
            if not t.get("expr") or t.get("hide"):
                continue
            where = f"dashboard {data['uid']}: panel {p.get('title', '')!r} (id {p.get('id')}) target {t.get('refId', '?')}"
            try:
                expr = fill(t["expr"], values, filled_macros)
            except KeyError as exc:
                error = f"{where}: no value for ${exc.args[0]}"
                break
            try:
                result = client.query(expr, end) if t.get("instant") else client.query_range(expr, start, end, step)
            except PrometheusError as exc:
                error = f"{where}: {exc}\n    {expr}"
                break
            results.append((t, result))
        out[p.get("id")] = (None, error) if error else (results, None)
    return out
