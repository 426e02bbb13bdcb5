"""The pipeline: catalog + config -> resolved rules -> validation -> rendered files.

Nothing here touches out/; gen.render.outdir writes the result. Every stage raises a UserError
subclass naming the definition at fault.
"""

from __future__ import annotations

import contextlib
import gc
from dataclasses import dataclass, field

from gen.config import Config, load_config
from gen.core.errors import LintError, PromQLError
from gen.rules.lint import ERROR, WARNING, Context, Finding, run_checks
from gen.dash import build as dash_build
from gen.core.catalog import Catalog
from gen.rules.loader import load_catalog
from gen.dash.loader import load_dashboards
from gen.core.promql import LabelSet, analyze
from gen.render.docs import CHECKS_DIR, DOCS_PATH, PLATFORMS_PATH, alerts_markdown, checks_markdown, platforms_markdown
from gen.render.kustomize import render_kustomization
from gen.render.relay import CONFIG_FILE, RELAY_DIR, render_relay
from gen.render.rules import MANIFEST_DIR, render_rule_files
from gen.core.resolved import RecordingRule, RuleFile
from gen.rules.resolve import resolve
from gen.routing import render as routing_render
from gen.routing.loader import load_routing
from gen.routing.resolve import Resolved, resolve_routing
from gen.sources import Sources


@dataclass
class Compiled:
    config: Config
    catalog: Catalog
    rule_files: list[RuleFile]
    findings: list[Finding] = field(default_factory=list)
    dashboards: list = field(default_factory=list)  # gen.dash.model.Dashboard (or cache stubs), the enabled ones
    dashboard_uids: set[str] = field(default_factory=set)  # all, disabled ones included
    routing: Resolved | None = None  # when the sources name a routing module
    dashboard_files: dict[str, bytes] | None = None  # rendered dashboards from the cache (gen.dash.cache)
    dashboard_cache_key: str | None = None  # set when the cache is in use: store the render under it
    sources: Sources | None = None

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level != ERROR]


def analyze_rules(rule_files: list[RuleFile]) -> None:
    """Parse every expression and attach its analysis to the rule (`rule.analysis`); one
    PromQLError listing every expression that does not parse.

    Recording rules go first, in order, so an expression reading a recorded series knows
    the labels that series carries (the record's result plus its static labels; the union
    when several rules record one name): an alert on `verb:apiserver_request:burnrate1h`
    carries `verb` and nothing else, which its dashboard link relies on."""
    recorded: dict[str, LabelSet] = {}
    failed = []
    rules = [rule for rf in rule_files for group in rf.groups for rule in group.rules]
    for rule in sorted(rules, key=lambda r: not isinstance(r, RecordingRule)):
        try:
            analysis = rule.analysis = analyze(rule.expr, recorded)
        except PromQLError as exc:
            failed.append((rule, str(exc)))
            continue
        if isinstance(rule, RecordingRule):
            labels = (analysis.labels or LabelSet(frozenset())).plus(rule.labels)
            recorded[rule.name] = recorded[rule.name].union(labels) if rule.name in recorded else labels
    if failed:
        # promql-parser often says only "invalid promql query"; Prometheus' parser says where
        from gen.tools.promtool import parse_errors

        positions = parse_errors([rule.expr for rule, _ in failed])
        raise PromQLError("\n".join(
            f"{rule.where('expr')}: {rule.what}: PromQL does not parse: "
            + (f"{positions[i]} (line:column in the expression)" if i in positions else message)
            for i, (rule, message) in enumerate(failed)))


def as_sources(sources: Sources | str | None, dashboards_src: str | None = None) -> Sources:
    """A Sources; a single catalog folder means it with its sibling folders; None the toolkit's own."""
    if sources is None:
        return Sources.upstream()
    if isinstance(sources, str):
        return Sources.folder(sources, dashboards_src)
    return sources


def compile_rules(config: Config, sources: Sources | str | None = None, dashboards_src: str | None = None,
                  cache: bool = False) -> Compiled:
    """Load, resolve, parse and lint; LintError if any check reports an error. Alerts that
    name a dashboard get their dashboard_url from the sources' dashboards. `sources` may be
    one catalog folder (its siblings dashboards_src/ and routing_src/ with it, or
    `dashboards_src`); None is the toolkit's own catalog. With `cache`, dashboards rendered
    before from identical inputs are taken from gen.dash.cache instead of being loaded."""
    sources = as_sources(sources, dashboards_src)
    catalog = load_catalog(sources.rules)
    rule_files = resolve(catalog, config)
    analyze_rules(rule_files)
    cached, cache_key = None, None
    if cache:
        from gen.dash import cache as dash_cache

        partial = Compiled(config, catalog, rule_files)
        cache_key = dash_cache.key(partial, sources)
        cached = dash_cache.load(cache_key)
    if cached is not None:
        dashboards, uids = cached.dashboards, cached.uids
    else:
        all_dashboards = load_dashboards(sources.dashboards, catalog)
        dashboards = dash_build.enabled(all_dashboards, config)
        uids = {d.uid for d in all_dashboards}
    dash_build.link_alerts(rule_files, dashboards, uids, config)
    selectors = catalog.selectors_with(config.selectors)
    replicated = {name: selectors[name] for name in catalog.replicated}
    findings = run_checks(Context(rule_files, config, replicated))
    errors = [f for f in findings if f.level == ERROR]
    if errors:
        raise LintError("\n".join(str(f) for f in errors))
    findings += placeholder_findings(config)
    routing = None
    if sources.routing is not None:
        routing = resolve_routing(load_routing(sources.routing), rule_files, config, catalog.modules)
    return Compiled(config, catalog, rule_files, findings, dashboards, uids, routing,
                    cached.files if cached is not None else None, cache_key, sources)


DOCS_OWNED = (CHECKS_DIR,)  # folders of docs/ only render_docs writes: files it no longer makes are stale


def render_docs(compiled: Compiled) -> dict[str, bytes]:
    """Generated documentation, keyed by its path relative to the project root."""
    return {DOCS_PATH: alerts_markdown(compiled.catalog), PLATFORMS_PATH: platforms_markdown(compiled.catalog),
            **checks_markdown()}


def _check_relay(compiled: Compiled, files: dict[str, bytes]) -> None:
    """The relay's own check of out/relay/ (gen.tools.relay_check); a warning when it cannot run."""
    from gen.tools import relay_check

    if not relay_check.available(cheap=True):
        compiled.findings.append(Finding(WARNING, "relay-check", f"{compiled.config.path}: relay", "relay settings",
                                         "not checked by the relay: install the relay's extra (pip install "
                                         "'k8s-monitoring-as-code[relay]') so the build can run its check"))
        return
    prefix = f"{RELAY_DIR}/"
    relay_check.check({p[len(prefix):]: data for p, data in files.items()
                       if p.startswith(prefix) and (p == CONFIG_FILE or p.endswith(".j2"))}, compiled.config.path)


def placeholder_findings(config: Config) -> list[Finding]:
    """One warning while links or the relay's image are the example values (they lead nowhere)."""
    found = config.placeholders()
    if not found:
        return []
    keys = ", ".join(f"{key} ({value})" for key, value in found)
    return [Finding(WARNING, "placeholders", config.path, "settings",
                    f"still the example values, which lead nowhere in a real cluster: {keys}; "
                    "every alert's runbook_url/dashboard_url and the relay's Deployment use them: set them")]


def render(compiled: Compiled, promtool: bool = False, check_relay: bool = False) -> dict[str, bytes]:
    """Every file of out/, keyed by its path relative to out/; with `promtool`, promtool
    checks every dashboard query too (gen.dash.build.promtool_check); with `check_relay`,
    the relay checks the configuration written for it (gen.tools.relay_check)."""
    files = render_rule_files(compiled.rule_files, compiled.config)
    rendered, dashboard_files = None, compiled.dashboard_files
    if dashboard_files is None:
        rendered, dashboard_files = dash_build.render_all(compiled.dashboards, compiled, compiled.dashboard_uids)
        if compiled.dashboard_cache_key is not None:
            from gen.dash import cache as dash_cache

            dash_cache.store(compiled.dashboard_cache_key, compiled.dashboard_uids, compiled.dashboards, dashboard_files)
    if promtool:
        if rendered is not None:
            dash_build.promtool_check(rendered)
        else:
            dash_build.promtool_check_files(dashboard_files)
    files.update(dashboard_files)
    relay = render_relay(compiled.config, compiled.routing)
    if check_relay:
        _check_relay(compiled, relay.files)
    files.update(relay.files)
    manifests = [p for p in files if p.startswith((MANIFEST_DIR + "/", dash_build.CONFIGMAP_DIR + "/", dash_build.OPERATOR_DIR + "/"))]
    manifests += relay.manifests
    if compiled.routing is not None:
        files.update(routing_render.render_routing(compiled.routing))
        manifests.append(routing_render.RESOURCE)  # the plain alertmanager.yaml is no Kubernetes resource
    files["kustomization.yaml"] = render_kustomization(manifests)
    return dict(sorted(files.items()))


@contextlib.contextmanager
def _without_cyclic_gc():
    """A build allocates hundreds of thousands of objects that all live until it ends; the
    cyclic collector's passes over them free nothing and cost ~15% at 10,000 alerts
    (bench/README.md). Reference counting still frees everything acyclic."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build(config: Config | str | None = None, sources: Sources | str | None = None,
          dashboards_src: str | None = None, cache: bool = False,
          promtool: bool = False, check_relay: bool = False) -> tuple[Compiled, dict[str, bytes]]:
    """Everything out/ holds, from the settings (a Config, the file at that path, or the
    defaults when None) and `sources` (see compile_rules; None: the sources the settings name,
    gen.sources.of, or the toolkit's own catalog without a settings file); `cache` lets
    unchanged dashboards come from gen.dash.cache; `promtool` has promtool check every
    dashboard query (gen.dash.build.promtool_check); `check_relay` has the relay check its
    configuration (gen.tools.relay_check)."""
    from gen import sources as located

    with _without_cyclic_gc():
        if not isinstance(config, Config):
            config = load_config(config)
        if sources is None:
            sources = located.of(config) if config.path != Config.path else Sources.upstream()
        compiled = compile_rules(config, sources, dashboards_src, cache)
        return compiled, render(compiled, promtool, check_relay)
