"""`python -m gen`: build, check, lint and test the monitoring catalog."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

from gen import outdir
from gen.build import DEFAULT_CONFIG, DEFAULT_RULES_SRC, ROOT, build, render_docs
from gen.resolve import AlertRule
from gen.errors import GenError
from gen.relay import cli as relay_cli

DEFAULT_OUT = os.path.join(ROOT, "out")

DESCRIPTION = """\
Compile the alert catalog (rules_src/) and your settings (monitoring.yaml) into out/:
PrometheusRule manifests, plain Prometheus rule files and a kustomization.yaml.

  python -m gen build    validate everything, then replace out/ (untouched on any error)
  python -m gen check    fail if out/ differs from a fresh build (for CI)
  python -m gen lint     validate and print every finding, write nothing
  python -m gen test     promtool: check the built rules, run every alert's test cases
  python -m gen params   list every alert's parameters (thresholds, windows) and defaults
  python -m gen relay    the Alertmanager -> chat webhook relay (`python -m gen relay --help`)
"""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=DEFAULT_CONFIG, help="settings file (default: monitoring.yaml; defaults if absent)")
    p.add_argument("--rules-src", default=DEFAULT_RULES_SRC, help="catalog folder (default: rules_src/)")


def _config_path(path: str) -> str | None:
    """The default monitoring.yaml is optional; an explicitly named file must exist."""
    if path == DEFAULT_CONFIG and not os.path.exists(path):
        return None
    return path


def _print_warnings(compiled) -> None:
    for finding in compiled.warnings:
        print(finding, file=sys.stderr)


def _docs_root(args) -> str:
    """Generated docs go to docs/ beside the output folder (the project's docs/ for out/)."""
    return os.path.dirname(os.path.abspath(args.out))


def cmd_build(args) -> int:
    compiled, files = build(_config_path(args.config), args.rules_src)
    docs = render_docs(compiled)
    _print_warnings(compiled)
    outdir.replace_dir(args.out, files)
    outdir.replace_files(_docs_root(args), docs)
    rules = [r for rf in compiled.rule_files for g in rf.groups for r in g.rules]
    alerts = sum(1 for r in rules if isinstance(r, AlertRule))
    print(
        f"wrote {len(files)} files to {os.path.relpath(args.out)}/ ({alerts} alerts, {len(rules) - alerts} recording rules)"
        f" and {', '.join(sorted(docs))}"
    )
    return 0


def cmd_check(args) -> int:
    compiled, files = build(_config_path(args.config), args.rules_src)
    diff = outdir.compare(args.out, files)
    stale_docs = outdir.compare_files(_docs_root(args), render_docs(compiled))
    if diff.clean and not stale_docs:
        print(f"{os.path.relpath(args.out)}/ is up to date ({len(files)} files)")
        return 0
    print("generated files differ from a fresh build; run `make build` and commit:", file=sys.stderr)
    if not diff.clean:
        print(diff.summary(), file=sys.stderr)
    for path in stale_docs:
        print(f"  differs: {path}", file=sys.stderr)
    return 1


def cmd_lint(args) -> int:
    compiled, _ = build(_config_path(args.config), args.rules_src)
    for finding in compiled.findings:
        print(finding)
    rules = sum(len(g.rules) for rf in compiled.rule_files for g in rf.groups)
    print(f"{rules} rules checked: no errors, {len(compiled.warnings)} warnings")
    return 0


def cmd_test(args) -> int:
    from gen import promtool, testing

    compiled, files = build(_config_path(args.config), args.rules_src)
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
        for test, run in testing.run_suite(testing.write_suite(suite, args.rules_src), suite, args.jobs):
            label = f"{test.title} ({len(test.cases)} cases)" if test.cases else test.title
            print(f"promtool test rules {label}: {'ok' if run.ok else 'FAILED'}")
            if not run.ok:
                print(run.output, file=sys.stderr)
                failed = True
    return 1 if failed else 0


def cmd_params(args) -> int:
    """Every alert with what monitoring.yaml can set for it, and the defaults."""
    from gen.loader import load_catalog
    from gen.model import Alert
    from gen.resolve import format_value

    catalog = load_catalog(args.rules_src)
    for module in catalog.modules:
        for group in module.groups:
            for rule in group.rules:
                if not isinstance(rule, Alert):
                    continue
                params = ", ".join(f"{k}={format_value(v)}" for k, v in rule.params.items())
                print(f"{rule.name}  [{module.name}/{group.name}]  severity={rule.severity} for={rule.for_}"
                      + (f"  {params}" if params else ""))
    print("selectors: " + ", ".join(f"{k}: {v}" for k, v in catalog.selectors.items()))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m gen", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, fn, text in (
        ("build", cmd_build, "validate, then write out/"),
        ("check", cmd_check, "exit 1 if out/ is not what a fresh build gives"),
        ("lint", cmd_lint, "validate and list every finding"),
        ("test", cmd_test, "promtool check rules + every alert's unit tests"),
        ("params", cmd_params, "list every alert's settable parameters and their defaults"),
    ):
        sp = sub.add_parser(name, help=text, description=text)
        _common(sp)
        if name in ("build", "check"):
            sp.add_argument("--out", default=DEFAULT_OUT, help="output folder (default: out/)")
        if name == "test":
            sp.add_argument("-j", "--jobs", type=int, default=None,
                            help="promtool processes at once, one catalog module each (default: one per CPU)")
        sp.set_defaults(func=fn)
    relay_cli.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except GenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

