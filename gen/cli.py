"""`python -m gen`: build, check, lint and test the monitoring catalog."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

from gen.render import outdir
from gen import sources
from gen.build import DOCS_OWNED, build, render_docs
from gen.config import Config, load_config
from gen.core.resolved import AlertRule
from common.errors import UserError, exit_code
from gen.core.errors import OptionError

DEFAULT_CONFIG = "monitoring.yaml"
DEFAULT_GRAFANA_DIR = os.path.join("out", "grafana")

DESCRIPTION = """\
Compile the alert catalog (rules_src/), the dashboards (dashboards_src/) and your settings
(monitoring.yaml) into out/: PrometheusRule manifests, plain Prometheus rule files, Grafana
dashboard JSON with sidecar ConfigMaps, and a kustomization.yaml.

  python -m gen build    validate everything, then replace out/ (untouched on any error)
  python -m gen check    fail if out/ differs from a fresh build (for CI)
  python -m gen lint     validate and print every finding, write nothing
  python -m gen lint --prometheus URL   also report what a running Prometheus has never seen
  python -m gen test     promtool: check the built rules, run every alert's test cases;
                         amtool: check the Alertmanager config, run every route case;
                         the relay: check the configuration written for it
  python -m gen params   list every alert's parameters (thresholds, windows) and defaults
  python -m gen init DIR start a team repository that depends on the toolkit (no fork)
  python -m gen grafana push --url URL --token-file F   upload out/grafana/*.json to Grafana
  python -m gen preview  draw every dashboard from its fixture: HTML pages (and PNGs) in build/preview/

The alert relay that Alertmanager posts to is a product of its own: `python -m relay --help`.
"""

GRAFANA_PUSH_HELP = """\
Upload every dashboard in out/grafana/ (or --dir) to Grafana: one POST /api/dashboards/db
each, with overwrite on, so what is in git replaces what the UI holds. Prints one line per
dashboard (created or updated, its version and URL); a failed dashboard does not stop the
others, and the exit code is 1 if any failed.

The token (a Grafana service account token with the Editor role, or an API key) is read from
--token-file, or from $GRAFANA_TOKEN when --token-file is not given. It is sent only in the
Authorization header and never printed.

Errors, per dashboard: 401 the token was refused (the run stops: every request would fail);
403 the token's account may not write there; 412 Grafana refused the save (its reason is
shown); 400 Grafana found the dashboard invalid; 404 --url is not Grafana's root URL;
5xx Grafana failed; "cannot connect" names the URL (the run stops); "no answer within"
is --timeout running out.
"""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=DEFAULT_CONFIG,
                   help="settings file (default: ./monitoring.yaml; the defaults if absent); its `sources:` "
                        "say where the catalogs are, relative to it")
    p.add_argument("--rules-src", default=None,
                   help="your catalog folder, built with the toolkit's (default: sources.rules, else the "
                        "rules_src/ beside the settings file)")
    p.add_argument("--no-upstream", action="store_true",
                   help="build only your catalog, not the toolkit's (as sources.upstream: false)")
    p.add_argument("--dashboards-src", default=None,
                   help="your dashboards folder (default: sources.dashboards, else the dashboards_src/ beside "
                        "the settings file)")


def _config_path(path: str) -> str | None:
    """The default monitoring.yaml is optional; an explicitly named file must exist."""
    if path == DEFAULT_CONFIG and not os.path.exists(path):
        return None
    return path


def _settings(args) -> tuple[Config, sources.Sources]:
    """The settings and the sources they name, with the command line's folders."""
    config = load_config(_config_path(args.config))
    if getattr(args, "no_upstream", False):
        config.sources.upstream = False
    located = sources.of(config, args.rules_src, args.dashboards_src)
    if getattr(args, "out", "") is None:
        args.out = os.path.join(sources.settings_dir(config), "out")
    return config, located


def _build(args, **options):
    config, located = _settings(args)
    return build(config, located, **options)


def _print_warnings(compiled) -> None:
    for finding in compiled.warnings:
        print(finding, file=sys.stderr)


def _docs_root(args) -> str:
    """Generated docs go to docs/ beside the output folder (the project's docs/ for out/)."""
    return os.path.dirname(os.path.abspath(args.out))


def _runbook_warnings(compiled, docs_root: str) -> None:
    """The toolkit's alerts have their runbooks in the toolkit (gen.upstream), the team's in its docs/runbooks/."""
    from gen.rules import runbooks
    from gen import upstream

    alerts = [r for rf in compiled.rule_files for g in rf.groups for r in g.rules if isinstance(r, AlertRule)]
    where = {r.name: r.source for r in alerts}
    from_upstream = {m.name for m in compiled.catalog.modules if m.upstream}
    for folder, names in ((upstream.RUNBOOKS, [r.name for r in alerts if r.module in from_upstream]),
                          (os.path.join(docs_root, runbooks.FOLDER), [r.name for r in alerts if r.module not in from_upstream])):
        for name, problem in runbooks.problems(folder, names):
            print(f"{where[name]}: warning: alert {name}: {problem} [runbook]", file=sys.stderr)


def cmd_build(args) -> int:
    compiled, files = _build(args, cache=not args.no_cache, promtool=True, check_relay=True)
    docs = render_docs(compiled)
    _print_warnings(compiled)
    _runbook_warnings(compiled, _docs_root(args))
    outdir.replace_dir(args.out, files)
    outdir.replace_files(_docs_root(args), docs, owned=DOCS_OWNED)
    rules = [r for rf in compiled.rule_files for g in rf.groups for r in g.rules]
    alerts = sum(1 for r in rules if isinstance(r, AlertRule))
    print(
        f"wrote {len(files)} files to {os.path.relpath(args.out)}/ ({alerts} alerts, {len(rules) - alerts} recording rules)"
        f" and {', '.join(sorted(docs))}"
    )
    return 0


def cmd_check(args) -> int:
    compiled, files = _build(args, cache=not args.no_cache)
    diff = outdir.compare(args.out, files)
    stale_docs = outdir.compare_files(_docs_root(args), render_docs(compiled), owned=DOCS_OWNED)
    if diff.clean and not stale_docs:
        print(f"{os.path.relpath(args.out)}/ is up to date ({len(files)} files)")
        return 0
    print("generated files differ from a fresh build; run `make build` and commit:", file=sys.stderr)
    if not diff.clean:
        print(diff.summary(), file=sys.stderr)
    for path in stale_docs:
        print(f"  differs: {path}", file=sys.stderr)
    return 1


LINT_HELP = """\
Validate the catalog and dashboards and print every finding; nothing is written.

With --prometheus URL, also ask that running Prometheus which metric and label names it
has ever stored, and list every alert, recording rule, dashboard panel and dashboard variable
that reads a metric, or matches on a label, the server has never seen (so it could never fire
or show anything), grouped by exporter. A metric a catalog recording rule defines counts as
present when the server has its series or evaluates that recording rule; otherwise it is
reported as "recording rule not loaded". Label values are not checked.

Exit codes: 0 nothing missing (or --warn-only); 1 something is missing, or the catalog,
monitoring.yaml or an option is invalid; 2 the server could not be asked (unreachable,
credentials refused, an error answer, not Prometheus' API, no answer within --timeout).
"""

EXIT_MISSING = 1
EXIT_UNREACHABLE = 2


def cmd_lint(args) -> int:
    online = args.prometheus is not None
    if online:  # bad options fail before the (slower) build
        from gen.live import prometheus_api

        url = prometheus_api.check_url(args.prometheus)
        auth = prometheus_api.auth_from_options(args.bearer_token_file, args.basic_auth_user, args.basic_auth_password_file)
        if not args.timeout > 0:  # also refuses nan
            raise OptionError(f"--timeout {args.timeout:g}: must be more than 0 seconds")
    elif args.bearer_token_file or args.basic_auth_user or args.basic_auth_password_file or args.warn_only:
        raise OptionError("--bearer-token-file, --basic-auth-*, --warn-only only apply with --prometheus URL")
    compiled, files = _build(args, check_relay=True)
    for finding in compiled.findings:
        print(finding)
    rules = sum(len(g.rules) for rf in compiled.rule_files for g in rf.groups)
    print(f"{rules} rules checked: no errors, {len(compiled.warnings)} warnings")
    if not online:
        return 0
    return _lint_online(compiled, files, url, auth, args)


def _lint_online(compiled, files, url, auth, args) -> int:
    import json

    from gen.live import online_lint
    from gen.core.errors import PrometheusError
    from gen.live.prometheus_api import PrometheusClient

    rendered = {d.uid: json.loads(files[f"grafana/{d.uid}.json"]) for d in compiled.dashboards}
    refs = (online_lint.rule_references(compiled.rule_files)
            + online_lint.dashboard_references(compiled.dashboards, rendered))
    known = online_lint.exporters({**compiled.catalog.selectors, **compiled.config.selectors})
    try:
        with PrometheusClient(url, auth, args.timeout) as client:
            report = online_lint.check(client, refs, known, online_lint.recording_rule_sources(compiled.rule_files))
    except PrometheusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    for line in report.lines():
        print(line)
    if report.ok or args.warn_only:
        return 0
    return EXIT_MISSING


def cmd_test(args) -> int:
    from gen.tools import promtool
    from gen import testing

    compiled, files = _build(args)
    failed = False
    with tempfile.TemporaryDirectory(prefix="gen-test-") as tmp:
        built = os.path.join(tmp, "built")
        outdir.write_tree(built, files)
        plain = sorted(os.path.join(built, p) for p in files if p.startswith("rules/"))
        run = promtool.check_rules(plain)
        print(f"promtool check rules ({len(plain)} files): {'ok' if run.ok else 'FAILED'}")
        if not run.ok:
            print(run.output, file=sys.stderr)
            failed = True
        suite = os.path.join(tmp, "suite")
        gaps = testing.coverage_gaps(compiled.rule_files)
        for gap in gaps:
            print(gap, file=sys.stderr)
        failed |= bool(gaps)
        settings = testing.Settings.of(compiled.config)  # the file's structure, tested beside the defaults
        if settings is not None:
            print(f"cases also run with {settings.source}'s settings (selectors, multi_cluster, namespace_scope, "
                  "changed expressions)")
        tests = testing.write_suite(suite, compiled.sources, settings=settings, team=compiled.config)
        for test, run in testing.run_suite(tests, suite, args.jobs):
            label = f"{test.title} ({len(test.cases)} cases)" if test.cases else test.title
            print(f"promtool test rules {label}: {'ok' if run.ok else 'FAILED'}")
            for reason in test.not_derived:
                print(f"  not derived: {reason}")
            if not run.ok:
                print(run.output, file=sys.stderr)
                failed = True
        failed |= _dashboard_data_tests(args, os.path.join(tmp, "dashboards"), args.jobs)
        if compiled.routing is not None:
            failed |= _routing_tests(compiled, os.path.join(built, "alertmanager", "alertmanager.yaml"), args.jobs)
        failed |= _relay_test(os.path.join(built, "relay", "relay.yaml"))
    return 1 if failed else 0


def _relay_test(path: str) -> bool:
    """The relay's own CLI accepts the relay.yaml this build writes (without its secrets)."""
    from gen.tools import relay_check

    if not relay_check.available():
        print("python -m relay --check-config relay.yaml: FAILED (the relay is not installed: pip install "
              "'k8s-monitoring-as-code[relay]')", file=sys.stderr)
        return True
    ok, output = relay_check.check_file(path)
    print(f"python -m relay --check-config --without-secrets relay.yaml: {'ok' if ok else 'FAILED'}")
    if not ok:
        print(output, file=sys.stderr)
    return not ok


def _routing_tests(compiled, config_path: str, jobs: int | None) -> bool:
    """amtool: the generated Alertmanager config loads, and every route case reaches its receivers."""
    from gen.routing import check

    run = check.check_config(config_path)
    print(f"amtool check-config alertmanager.yaml: {'ok' if run.ok else 'FAILED'}")
    failed = not run.ok
    if not run.ok:
        print(run.output, file=sys.stderr)
    results = check.run_cases(config_path, compiled.routing.cases, jobs)
    bad = [r for r in results if not r.ok]
    print(f"amtool config routes test ({len(results)} cases): {'ok' if not bad else 'FAILED'}")
    for r in bad:
        print(r, file=sys.stderr)
    gaps = check.coverage_gaps(compiled.routing)
    for gap in gaps:
        print(gap, file=sys.stderr)
    return failed or bool(bad) or bool(gaps)


def _dashboard_data_tests(args, dest: str, jobs: int | None = None) -> bool:
    """Run every dashboard's fixture through promtool; True if any panel returned no data.
    Like the alerts' cases, fixtures are written against the defaults, so the dashboards are
    rendered with the default configuration here."""
    import json
    from concurrent.futures import ThreadPoolExecutor

    from gen.tools import promtool
    from gen.dash import datatest

    compiled, files = build(Config(), _settings(args)[1])
    pairs = [(d, json.loads(files[f"grafana/{d.uid}.json"])) for d in compiled.dashboards]

    def one(item):
        path, groups = item
        return path, groups, promtool.test_rules([os.path.basename(path)], cwd=dest)

    failed = False
    tests = datatest.write_tests(dest, pairs, compiled.catalog.selectors)
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        results = list(pool.map(one, tests))
    for path, groups, run in results:
        print(f"promtool test rules {os.path.basename(path)} ({len(groups)} queries): {'ok' if run.ok else 'FAILED'}")
        if not run.ok:
            names = datatest.failing(run.output, groups)
            print("no data: " + "\n         ".join(names) if names else run.output, file=sys.stderr)
            failed = True
    return failed


INIT_HELP = """\
Write a team repository into DIR (new or empty): requirements.txt pinning the toolkit,
monitoring.yaml (settings, changes to the toolkit's alerts, chat targets), rules_src/ with
one example alert and its cases, dashboards_src/, docs/runbooks/, a Makefile with build /
test / lint / check, ci.sh and a README. `make build` there builds the toolkit's catalog
together with rules_src/ into out/.
"""


def cmd_init(args) -> int:
    from gen import scaffold

    written = scaffold.write(args.dir, args.requirement)
    for path in written:
        print(f"wrote {os.path.relpath(path)}")
    print(f"next: cd {args.dir} && make build && make test")
    return 0


def cmd_params(args) -> int:
    """Every alert with what monitoring.yaml can set for it: the values in effect with --config
    (default monitoring.yaml), each one the file changed marked with `*` and its default."""
    from gen.rules.loader import load_catalog
    from gen.core.model import Alert
    from gen.rules.resolve import platform_off, resolve
    from gen.core.resolved import format_value

    config, located = _settings(args)
    catalog = load_catalog(located.rules)
    effective = {r.name: r for rf in resolve(catalog, config) for g in rf.groups for r in g.rules
                 if isinstance(r, AlertRule)}
    off = platform_off(catalog, config)

    changed = 0

    def shown(key: str, value, default) -> str:
        nonlocal changed
        text, was = (v if isinstance(v, str) else format_value(v) for v in (value, default))
        if text == was:
            return f"{key}={text}"
        changed += 1
        return f"{key}={text}* (default {was})"

    for module in catalog.modules:
        for group in module.groups:
            for rule in group.rules:
                if not isinstance(rule, Alert):
                    continue
                where = f"{rule.name}  [{module.name}/{group.name}]"
                now = effective.get(rule.name)
                if now is None:
                    hides = off.get(rule.name)
                    print(f"{where}  disabled*" + (f" (platform {config.platform} hides {', '.join(hides)})" if hides else ""))
                    changed += 1
                    continue
                fields = [shown("severity", now.labels.get("severity"), rule.severity), shown("for", now.for_, rule.for_)]
                fields += [shown(k, now.params.get(k, v), v) for k, v in rule.params.items()]
                extra = _expression_changes(config.alerts.get(rule.name))
                changed += len(extra)
                fields += extra
                print(f"{where}  " + "  ".join(fields))
    selectors = catalog.selectors_with(config.selectors)
    print("selectors: " + ", ".join(f"{k}: {v}" + ("*" if k in config.selectors else "") for k, v in selectors.items()))
    print(f"{changed} values set by {config.path}" if _config_path(args.config) else "defaults (no monitoring.yaml)", file=sys.stderr)
    return 0


DIFF_HELP = """\
What a change to the toolkit (or to your catalogs and settings) does to what you ship: the
alerts and recording rules added, removed and changed (expression, for, labels, annotations),
the dashboards changed (panels added, removed, changed) and every other file of out/ that
differs. Run it after `make build` in a pull request that bumps the toolkit:

  python -m gen diff --against origin/main            # out/ as committed there
  python -m gen diff --against ../old-out --format markdown

Exit status: 0, or with --exit-code 1 when anything differs; 2 when the comparison cannot
be made (unknown ref, not a git repository, a folder that is not an out/).
"""


def cmd_diff(args) -> int:
    from gen import diff

    _settings(args)
    try:
        if not os.path.isdir(args.out):
            raise OptionError(f"{args.out}: no such folder: run `python -m gen build` first, or give --out")
        new = outdir.read_tree(args.out)
        if os.path.isdir(args.against):
            old = outdir.read_tree(args.against)
            if not any(p.startswith(diff.RULES_DIR) for p in old):
                raise OptionError(f"--against {args.against}: holds no rules/: not an out/ folder")
        else:
            old = diff.git_tree(args.out, args.against, args.out)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    changes = diff.compare(old, new)
    sys.stdout.write(diff.render_markdown(changes) if args.format == "markdown" else diff.render_text(changes))
    return 1 if args.exit_code and not changes.empty else 0


def _expression_changes(override) -> list[str]:
    """How monitoring.yaml changes an alert's expression, as `gen params` shows it."""
    if override is None:
        return []
    out = []
    for key, text in (("expr", override.expr), ("and", override.and_), ("unless", override.unless)):
        if text:
            out.append(f"{key}*={' '.join(text.split())!r}")
    for t in override.thresholds:
        matchers = ",".join(f"{label}=~{regex!r}" for label, regex in sorted(t.match.items()))
        out.append(f"{t.param}*={t.value:g} where {matchers}")
    return out


def cmd_grafana_push(args) -> int:
    from gen.live import grafana

    if not args.timeout > 0:  # also refuses nan
        raise OptionError(f"--timeout {args.timeout:g}: must be more than 0 seconds")
    url = grafana.check_url(args.url)
    dashboards = grafana.load_dashboards(args.dir)
    message = grafana.commit_message(args.dir)
    if args.dry_run:
        if args.token_file is not None:
            grafana.read_token(args.token_file)  # fail now on a missing token file, not at the real push
        where = "the General folder"
        if args.folder is not None:
            where = f"folder {args.folder!r} (uid {grafana.folder_uid(args.folder)} if it has to be created)"
        print(f"dry run: nothing sent. Would POST {url}/api/dashboards/db {len(dashboards)} times,"
              f" into {where}, overwrite on, message {message!r}:")
        for d in dashboards:
            panels = len(d.model.get("panels") or [])
            print(f"  {d.uid}  {d.title!r}  ({panels} panels, {os.path.relpath(d.path)})")
        return 0
    token = grafana.read_token(args.token_file)
    with grafana.GrafanaClient(url, token, args.timeout) as client:
        folder = grafana.resolve_folder(client, args.folder)
        if folder is not None:
            print(f"folder {folder.title!r}: {'created' if folder.created else 'found'}, uid {folder.uid}")
        results = grafana.push_all(client, dashboards, folder, message)
    for result in results:
        print(grafana.format_result(result), file=sys.stdout if result.ok else sys.stderr)
    pushed = sum(r.ok for r in results)
    print(f"pushed {pushed} of {len(results)} dashboards to {url}")
    if pushed < len(results):
        print(f"error: {len(results) - pushed} of {len(results)} dashboards not pushed", file=sys.stderr)
        return 1
    return 0


PREVIEW_HELP = """\
Draw each dashboard as a static page you can look at without Grafana: panels on Grafana's
24-column grid, time series with their units, legends and threshold lines, stats in their
threshold colours, gauges, bar gauges and tables, from real query answers. One self-contained
HTML file per dashboard (uPlot inlined: it opens offline), and a PNG of it when Chromium is
installed.

The data is the dashboard's fixture (the series its data test proves every panel with),
loaded into a local Prometheus (promtool tsdb create-blocks-from, then prometheus on a free
port, stopped afterwards) and queried over the fixture's window, with the fixture's
variables. With --prometheus URL, a running Prometheus is asked instead, over the last hour;
variables come from --var name=value, else the first value their label_values() query lists.

  python -m gen preview                            every dashboard, into build/preview/
  python -m gen preview --dashboard k8s-pod        one
  python -m gen preview --changed-since origin/main   only those whose out/grafana/<uid>.json changed
  python -m gen preview --prometheus http://localhost:9090 --var namespace=shop

Needs promtool and prometheus (make setup unpacks both into tools/bin; or set $PROMTOOL and
$PROMETHEUS); Chromium (Debian's chromium, or $CHROMIUM) for the PNGs. Exit status 1 when a
query failed (its panel shows the error, and stderr names dashboard, panel and target).
"""


def cmd_preview(args) -> int:
    from gen.preview import command

    if args.prometheus:  # a live preview draws the dashboards as you configured them
        compiled, files = _build(args)
    else:  # fixtures are written against the defaults, as the data tests run them
        compiled, files = build(Config(), _settings(args)[1])
    return command.run(args, compiled, files)


def _preview_parser(sub) -> None:
    pp = sub.add_parser("preview", help="draw the dashboards from their fixtures into HTML pages and PNGs",
                        description=PREVIEW_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    _common(pp)
    pp.add_argument("--out", default=os.path.join("build", "preview"), metavar="DIR",
                    help="where the pages go, <uid>.html and <uid>.png (default: build/preview)")
    pp.add_argument("--dashboard", action="append", metavar="UID",
                    help="preview only this dashboard (repeat for several; default: all)")
    pp.add_argument("--changed-since", metavar="GIT_REF",
                    help="only dashboards whose out/grafana/<uid>.json differs from GIT_REF (e.g. origin/main "
                         "in a pull request; run `make build` first)")
    pp.add_argument("--prometheus", metavar="URL",
                    help="query this running Prometheus over the last hour instead of the fixtures")
    _prometheus_auth_options(pp)  # with --prometheus, as lint --prometheus has them
    pp.add_argument("--var", action="append", metavar="NAME=VALUE",
                    help="a variable's value (repeatable); with --prometheus, else its first label value")
    pp.add_argument("--png", dest="png", action="store_true", default=True,
                    help="also write a PNG of each page with headless Chromium (default, when it is found)")
    pp.add_argument("--no-png", dest="png", action="store_false", help="write the HTML pages only")
    pp.set_defaults(func=cmd_preview)


def _lint_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--prometheus", metavar="URL",
                   help="base URL of a running Prometheus (or Thanos/Mimir query API) to check the catalog against")
    _prometheus_auth_options(p)
    p.add_argument("--warn-only", action="store_true", help="exit 0 even when something is missing")


def _prometheus_auth_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bearer-token-file", metavar="FILE", help="send the token in this file as Authorization: Bearer")
    p.add_argument("--basic-auth-user", metavar="USER", help="basic auth user (with --basic-auth-password-file)")
    p.add_argument("--basic-auth-password-file", metavar="FILE", help="basic auth password: the file's content without its final line break")
    p.add_argument("--timeout", type=float, default=10.0, metavar="S",
                   help="seconds to wait to connect and for each answer (default: 10)")


def _grafana_parser(sub) -> None:
    g = sub.add_parser("grafana", help="Grafana: push the built dashboards", description="Grafana commands.")
    gsub = g.add_subparsers(dest="grafana_command", required=True, metavar="SUBCOMMAND")
    push = gsub.add_parser("push", help="upload out/grafana/*.json through Grafana's HTTP API",
                           description=GRAFANA_PUSH_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    push.add_argument("--url", required=True, help="Grafana's root URL, e.g. https://grafana.example.com")
    push.add_argument("--token-file", metavar="FILE",
                      help="file holding the API token (whitespace stripped); default: $GRAFANA_TOKEN")
    push.add_argument("--folder", metavar="NAME",
                      help="folder title; created when missing (stable uid derived from NAME). Default: General")
    push.add_argument("--dir", default=DEFAULT_GRAFANA_DIR,
                      help="folder of dashboard JSON files (default: out/grafana/)")
    push.add_argument("--timeout", type=float, default=10.0, metavar="S",
                      help="seconds to wait to connect and for each answer (default: 10)")
    push.add_argument("--dry-run", action="store_true",
                      help="list what would be sent, send nothing (no token needed)")
    push.set_defaults(func=cmd_grafana_push)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m gen", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, fn, text in (
        ("build", cmd_build, "validate, then write out/"),
        ("check", cmd_check, "exit 1 if out/ is not what a fresh build gives"),
        ("lint", cmd_lint, "validate and list every finding (--prometheus URL: also against a live server)"),
        ("test", cmd_test, "promtool check rules + every alert's unit tests"),
        ("params", cmd_params, "list every alert's settable values in effect with --config; * marks those it changed"),
    ):
        if name == "lint":
            sp = sub.add_parser(name, help=text, description=LINT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
            _lint_options(sp)
        else:
            sp = sub.add_parser(name, help=text, description=text)
        _common(sp)
        if name in ("build", "check"):
            sp.add_argument("--out", default=None, help="output folder (default: the out/ beside the settings file)")
            sp.add_argument("--no-cache", action="store_true",
                            help="render every dashboard even when the cache holds a render of identical inputs")
        if name == "test":
            sp.add_argument("-j", "--jobs", type=int, default=None,
                            help="promtool processes at once, one catalog module each (default: one per CPU)")
        sp.set_defaults(func=fn)
    _grafana_parser(sub)
    _preview_parser(sub)
    dp = sub.add_parser("diff", help="what out/ changes against a git ref or another out/ folder", description=DIFF_HELP,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    _common(dp)
    dp.add_argument("--against", required=True, metavar="REF_OR_DIR",
                    help="a git ref (HEAD, origin/main, v0.3.0: out/ as committed there) or another out/ folder")
    dp.add_argument("--out", default=None, help="the out/ to compare (default: the out/ beside the settings file)")
    dp.add_argument("--format", choices=("text", "markdown"), default="text",
                    help="text for a terminal, markdown for a pull request")
    dp.add_argument("--exit-code", action="store_true", help="exit 1 when anything differs (as git diff --exit-code)")
    dp.set_defaults(func=cmd_diff)
    init = sub.add_parser("init", help="start a team repository that depends on the toolkit", description=INIT_HELP,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    init.add_argument("dir", metavar="DIR", help="the folder to write (created if missing; must not hold the files)")
    init.add_argument("--requirement", metavar="SPEC",
                      help="the toolkit's line in requirements.txt (default: this version from the package index; "
                           "e.g. 'k8s-monitoring-as-code[compiler,relay] @ git+https://.../k8s-monitoring-as-code@v0.1.0')")
    init.set_defaults(func=cmd_init)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return exit_code(lambda: args.func(args))

