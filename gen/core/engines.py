"""The rule-evaluation engines a build can write rules for (`rule_engine:` in monitoring.yaml):
what each accepts, one table entry per engine. Everything the build knows about an engine is
here; gen.config checks the name, the lint check `rule-engine` (gen.rules.lint.rule_engine)
applies the table to the resolved rules, gen.render.rules leaves out what an engine lacks when
that changes nothing.

How each entry was found out (README "Running the rules on VictoriaMetrics, Thanos or Mimir"):
  - prometheus: Prometheus 2.42 (tools/bin), which the whole test suite runs.
  - vmalert: VictoriaMetrics' vmalert 1.79.5 (tools/bin, Debian's), for real: `vmalert
    -rule='out/rules/*.yaml' -dryRun` accepts every shipped rule; a rule with keep_firing_for
    is refused ("unknown fields in rule: keep_firing_for"); each template function and
    variable below was tried one by one with -dryRun (and graphLink, tableLink, toTime,
    $for, $activeAt refused); tests/shipped/test_vmalert.py runs the shipped rules on
    VictoriaMetrics + vmalert + Alertmanager.
  - thanos-ruler, mimir: documentation only, nothing run. Both evaluate with Prometheus' own
    rules and template packages (Prometheus' rule file syntax); keep_firing_for from Thanos
    v0.34.0 (thanos-io/thanos#6165, prometheus-operator/prometheus-operator#6279) and from
    the Mimir release with grafana/mimir#4099 ("Upgrade upstream Prometheus: add
    keep_firing_for support to alerting rules").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from common.durations import parse_duration

# Go's text/template built-ins: every engine has them.
GO_BUILTINS = frozenset({"and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge", "len", "index", "slice",
                         "print", "printf", "println", "html", "js", "urlquery", "call"})
# Prometheus 2.42's template functions (promtool check rules accepts each).
PROMETHEUS_FUNCTIONS = GO_BUILTINS | {
    "query", "first", "label", "value", "strvalue", "args", "reReplaceAll", "safeHtml", "match", "title",
    "toUpper", "toLower", "graphLink", "tableLink", "sortByLabel", "humanize", "humanize1024",
    "humanizeDuration", "humanizePercentage", "humanizeTimestamp", "toTime", "pathPrefix", "externalURL",
    "parseDuration", "stripPort", "stripDomain"}
PROMETHEUS_VARIABLES = frozenset({"labels", "value", "externalLabels", "externalURL"})


@dataclass(frozen=True)
class Engine:
    name: str  # the value of rule_engine:
    title: str  # in messages: "vmalert 1.79"
    keep_firing_for: bool  # accepts an alert's keep_firing_for
    functions: frozenset[str]  # template functions its annotation and label templates may call
    variables: frozenset[str]  # template variables ($labels, ...) defined for them
    verified: str  # how the entry was found out: "tested" (run here) or "documented"
    needs: str = ""  # the version from which what the rules use is accepted, for a warning


ENGINES: dict[str, Engine] = {e.name: e for e in (
    Engine("prometheus", "Prometheus 2.42", True, PROMETHEUS_FUNCTIONS, PROMETHEUS_VARIABLES, "tested"),
    Engine("vmalert", "vmalert 1.79", False,
           (PROMETHEUS_FUNCTIONS - {"graphLink", "tableLink", "toTime"})
           | {"jsonEscape", "quotesEscape", "pathEscape", "queryEscape", "crlfEscape", "htmlEscape"},
           PROMETHEUS_VARIABLES | {"expr"}, "tested"),
    Engine("thanos-ruler", "Thanos Ruler", True, PROMETHEUS_FUNCTIONS, PROMETHEUS_VARIABLES, "documented",
           needs="keep_firing_for needs Thanos Ruler v0.34.0 or later (older rulers refuse the rule file)"),
    Engine("mimir", "the Mimir ruler", True, PROMETHEUS_FUNCTIONS, PROMETHEUS_VARIABLES, "documented",
           needs="keep_firing_for needs a Mimir ruler with Prometheus 2.42's rule format "
                 "(grafana/mimir#4099; older rulers refuse the rule group)"),
)}
DEFAULT = "prometheus"


_ACTION = re.compile(r"\{\{(.*?)\}\}", re.S)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|\'(?:[^\'\\]|\\.)*\'')
_TOKEN = re.compile(r"(?<![.\w$])(\$?)([A-Za-z_][A-Za-z0-9_]*)(\s*:?=(?!=))?")
_KEYWORDS = frozenset({"if", "else", "end", "range", "with", "define", "template", "block", "break",
                       "continue", "nil", "true", "false"})


def of(name: str | None) -> Engine:
    return ENGINES[name or DEFAULT]


def written_keep_firing_for(engine: Engine, value: str | None) -> str | None:
    """The keep_firing_for to write for `engine`: none where it is unset, and none for an engine
    without the field when it is zero (the same meaning); a non-zero one such an engine cannot
    take is the lint check's error, never left out here."""
    if not value or (not engine.keep_firing_for and parse_duration(value) == 0):
        return None
    return value


def template_names(text: str) -> tuple[set[str], set[str]]:
    """(functions called, variables read) in a Go template, without the variables it declares
    itself (`{{ $x := ... }}`) and without fields (`$labels.job`, `.Value`)."""
    functions, variables, declared = set(), set(), set()
    for action in _ACTION.findall(text):
        action = _STRING.sub(" ", action.strip("-"))
        if action.lstrip().startswith("/*"):
            continue  # a comment
        for dollar, name, assign in _TOKEN.findall(action):
            if dollar:
                (declared if assign else variables).add(name)
            elif name not in _KEYWORDS:
                functions.add(name)
    return functions, variables - declared - {""}


def unsupported_templates(engine: Engine, text: str) -> list[str]:
    """What in this template `engine` does not define, e.g. ["function graphLink", "variable $for"]."""
    functions, variables = template_names(text)
    return ([f"function {f}" for f in sorted(functions - engine.functions)]
            + [f"variable ${v}" for v in sorted(variables - engine.variables)])
