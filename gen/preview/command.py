"""`python -m gen preview`: which dashboards, where their data comes from (the fixture in a
local Prometheus, or a running one), the pages and their PNGs. Imported only by that command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from common.durations import parse_duration
from gen.core.errors import DefinitionError, OptionError
from gen.preview import page, screenshot, view
from gen.preview.fixture_tsdb import FixturePrometheus, openmetrics
from gen.live.prometheus_api import PrometheusClient, auth_from_options
from gen.preview.panel_data import panel_results

GRAFANA_DIR = os.path.join("out", "grafana")
HEADER_PX = 60  # the page's title bar above the grid
QUERY_TIMEOUT = 30.0  # seconds for an answer of the fixture's Prometheus (a week of data for the inspection)


def live_client(args) -> PrometheusClient:
    """The running Prometheus of --prometheus, with lint --prometheus' credentials and timeout."""
    auth = auth_from_options(getattr(args, "bearer_token_file", None), getattr(args, "basic_auth_user", None),
                             getattr(args, "basic_auth_password_file", None))
    return PrometheusClient(args.prometheus, auth, getattr(args, "timeout", QUERY_TIMEOUT))


def changed_since(ref: str, cwd: str = ".") -> set[str]:
    """Uids whose out/grafana/<uid>.json (below `cwd`: a project may sit in a subfolder of its
    repository) differs between `ref` and the work tree, new files included; OptionError when
    `cwd` is in no git repository or the ref is unknown."""
    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)

    top = git("rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise OptionError(f"--changed-since {ref}: {os.path.abspath(cwd)} is not in a git repository")
    if git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise OptionError(f"--changed-since {ref}: git knows no commit {ref!r} in {top.stdout.strip()}")
    run = git("diff", "--name-only", "--relative", ref, "--", GRAFANA_DIR)
    if run.returncode != 0:
        raise OptionError(f"--changed-since {ref}: git diff failed: {run.stderr.strip()}")
    uids = {os.path.basename(n)[:-5] for n in run.stdout.splitlines() if n.endswith(".json")}
    # files git does not track yet are changes too
    new = git("ls-files", "--others", "--exclude-standard", "--", GRAFANA_DIR).stdout.splitlines()
    uids |= {os.path.basename(n)[:-5] for n in new if n.endswith(".json")}
    return uids


def select(dashboards: list, uids: list[str] | None, changed: set[str] | None) -> list:
    known = {d.uid for d in dashboards}
    for uid in uids or []:
        if uid not in known:
            raise OptionError(f"--dashboard {uid}: no such dashboard (known: {', '.join(sorted(known))})")
    chosen = [d for d in dashboards if not uids or d.uid in uids]
    if changed is not None:
        chosen = [d for d in chosen if d.uid in changed]
    return chosen


def parse_vars(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise OptionError(f"--var {item!r}: write it name=value")
        out[name] = value
    return out


def fixture_data(dashboard, data: dict, selectors: dict[str, str]):
    """(OpenMetrics text, variable values, macros, start, end, step) of a dashboard's fixture."""
    from gen.core.placeholders import substitute
    from gen.dash.check import macros

    fx = dashboard.fixture
    if fx is None:
        raise DefinitionError(f"{dashboard.source}: dashboard {dashboard.uid}: no fixture (Fixture(series=..., vars=...)) "
                              "to draw its preview from: give it one, or preview it against a running Prometheus "
                              "with --prometheus URL")
    where = f"{fx.source}: dashboard {dashboard.uid}: fixture"
    series = {substitute(s, selectors, where): v for s, v in fx.series.items()}
    declared = {v["name"] for v in data["templating"]["list"]} - {"datasource"}
    missing = sorted(declared - set(fx.vars))
    if missing:
        raise DefinitionError(f"{where}: no value for variable(s) {', '.join(missing)}")
    return (openmetrics(series, fx.interval), dict(fx.vars), macros(fx.rate_interval, fx.interval, fx.range),
            0.0, parse_duration(fx.at), parse_duration(fx.interval))


def live_vars(client, data: dict, given: dict[str, str], filled_macros: dict[str, str]) -> dict[str, str]:
    """Variable values for a live preview: --var first, else the first value of the variable's
    label_values() query (earlier variables filled in, as Grafana chains them)."""
    from gen.core.errors import PrometheusError
    from gen.dash.check import fill, queries

    values = dict(given)
    for q in queries(data):
        if q.panel_id is not None or q.ref in values:
            continue
        if q.label is None:
            raise OptionError(f"dashboard {data['uid']}: variable {q.ref}: not a label_values() query: give --var {q.ref}=...")
        try:
            match = fill(q.expr, values, filled_macros)
        except KeyError as exc:
            raise OptionError(f"dashboard {data['uid']}: variable {q.ref}: needs ${exc.args[0]} first") from None
        try:
            found = client.label_values(q.label, match)
        except PrometheusError as exc:
            raise OptionError(f"dashboard {data['uid']}: variable {q.ref}: {exc}") from None
        if not found:
            raise OptionError(f"dashboard {data['uid']}: variable {q.ref}: {client.url} has no value of {q.label} "
                              f"in {match}: give --var {q.ref}=...")
        values[q.ref] = found[0]
    return values


def views_of(data: dict, results: dict) -> list[dict]:
    from gen.dash.check import panels

    out = []
    for p in data.get("panels", []):
        out.append(view.panel_view(p, *results.get(p.get("id"), (None, None))) if p.get("type") != "row" else view.panel_view(p, None))
        if p.get("type") == "row" and p.get("collapsed"):
            out.extend(view.panel_view(c, *results.get(c.get("id"), (None, None))) for c in p.get("panels", []))
    return out


def run(args, compiled, files) -> int:
    """Write the pages (and PNGs) of the selected dashboards to args.out; 1 when a query failed."""
    changed = changed_since(args.changed_since) if args.changed_since else None
    chosen = select(compiled.dashboards, args.dashboard, changed)
    if not chosen:
        why = f"no dashboard's out/grafana/<uid>.json differs from {args.changed_since}" if changed is not None else "no dashboard selected"
        print(f"nothing to preview: {why}")
        return 0
    chromium = screenshot.find_chromium() if args.png else None
    if args.png and chromium is None:
        print("note: chromium not found, no PNGs (apt-get install chromium, or --no-png)", file=sys.stderr)
    os.makedirs(args.out, exist_ok=True)
    given = parse_vars(args.var)
    live = live_client(args) if args.prometheus else None
    try:
        return _write_pages(args, compiled, files, chosen, chromium, given, live)
    finally:
        if live is not None:
            live.close()


def _write_pages(args, compiled, files, chosen, chromium, given, live) -> int:
    failed = 0
    for d in chosen:
        t0 = time.monotonic()
        data = json.loads(files[f"grafana/{d.uid}.json"])
        if live is not None:
            from gen.dash.check import macros

            filled = macros("5m", "1m", "1h")
            values = live_vars(live, data, given, filled)
            end = time.time()
            results = panel_results(data, live, values, filled, end - 3600, end, 60)
            note = f"live: {args.prometheus}, the last hour; " + ", ".join(f"{k}={v}" for k, v in values.items())
        else:
            text, values, filled, start, end, step = fixture_data(d, data, compiled.catalog.selectors)
            with FixturePrometheus(text, f"dashboard {d.uid}: fixture") as prom, \
                    PrometheusClient(prom.url, timeout=QUERY_TIMEOUT) as client:
                results = panel_results(data, client, {**values, **given}, filled, start, end, step)
            note = (f"fixture of {d.source} in a local Prometheus, 0 to {d.fixture.at} at {d.fixture.interval} steps; "
                    + ", ".join(f"{k}={v}" for k, v in values.items()))
        errors = [e for _, e in results.values() if e]
        for e in errors:
            print(f"error: {e}", file=sys.stderr)
        failed += bool(errors)
        html_path = os.path.join(args.out, f"{d.uid}.html")
        with open(html_path, "w", encoding="utf-8") as fh:
            fh.write(page.render_page(data, views_of(data, results), note, end))
        shown = [os.path.relpath(html_path)]
        if chromium:
            png = os.path.join(args.out, f"{d.uid}.png")
            screenshot.screenshot(chromium, html_path, png, HEADER_PX + view.page_height(data["panels"]) + 24)
            shown.append(os.path.relpath(png))
        print(f"{d.uid}: {' and '.join(shown)} ({len(results)} panels, {time.monotonic() - t0:.1f} s)"
              + (f", {len(errors)} failed" if errors else ""))
    return 1 if failed else 0
