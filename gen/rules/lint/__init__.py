"""Lint checks over the resolved rules, one check per module, registered by name.

A check is a function taking a Context and yielding Findings. Errors fail the build,
warnings are printed. A rule opts out of a check with `lint_skip=("check-name",)`.
Each check module's docstring is its page in docs/checks/ (gen.render.docs: a summary
paragraph, then paragraphs starting "Why:", "Example:", "Fix:" and optionally "Skip when:");
the function's docstring's first line is its line in docs/checks/README.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from gen.config import Config
from gen.core.promql import Analysis
from gen.core.resolved import AlertRule, RecordingRule, RuleFile

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    level: str
    check: str
    where: str  # "file:line" of the definition, or "config file: dotted.key" that set the value
    what: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.level}: {self.what}: {self.message} [{self.check}]"


@dataclass
class Context:
    files: list[RuleFile]
    config: Config
    replicated: dict[str, str] = field(default_factory=dict)  # exporter -> its selector, for those run as replicas

    def rules(self) -> Iterator[AlertRule | RecordingRule]:
        for f in self.files:
            for g in f.groups:
                yield from g.rules

    def alerts(self) -> Iterator[AlertRule]:
        return (r for r in self.rules() if isinstance(r, AlertRule))

    def records(self) -> Iterator[RecordingRule]:
        return (r for r in self.rules() if isinstance(r, RecordingRule))

    def analysis(self, rule) -> Analysis:
        return rule.analysis


@dataclass(frozen=True)
class Check:
    name: str
    level: str
    doc: str
    run: Callable[[Context], Iterable[tuple[AlertRule | RecordingRule, str]]]


CHECKS: dict[str, Check] = {}


def check(name: str, level: str):
    """Register a check; the function yields (rule, message) or (rule, message, field) where
    field ("annotations.summary", "labels.severity") lets a value set in the config be
    reported at its config key."""

    def register(fn):
        # no docstring: registered anyway, and docs/checks/ (gen.render.docs) names the module
        CHECKS[name] = Check(name, level, next(iter((fn.__doc__ or "").strip().splitlines()), ""), fn)
        return fn

    return register


def run_checks(ctx: Context) -> list[Finding]:
    findings = []
    for chk in CHECKS.values():
        for rule, message, *field in chk.run(ctx):
            if chk.name in rule.definition.lint_skip:
                continue
            findings.append(Finding(chk.level, chk.name, rule.where(field[0] if field else None), rule.what, message))
    findings.sort(key=lambda f: (f.level != ERROR, f.where, f.check))
    return findings


# Importing the check modules registers them.
from gen.rules.lint import (  # noqa: E402,F401
    alert_condition,
    cluster_label,
    duplicate_names,
    namespace_scope,
    rate_range,
    recording_name,
    replicated_exporter,
    required_fields,
    rule_engine,
    rule_engine_version,
    severity,
    template_labels,
    undefined_recording,
)
