"""A rule the engine named by `rule_engine:` (monitoring.yaml) refuses or cannot evaluate as written.

Why: the rule files are written once for the engine that evaluates them, and each engine takes
a slightly different rule format (gen.core.engines holds what each one accepts). vmalert 1.79
refuses a whole rule file over one `keep_firing_for` ("unknown fields in rule"), so no alert of
that file would fire; leaving the field out would resolve the alert sooner than the team asked
for, so the build stops instead. An annotation or label template calling a function the engine
lacks (`graphLink`, `tableLink`, `toTime` in vmalert 1.79) or reading a variable it does not
define (`$for`) is refused the same way. A zero `keep_firing_for` is left out for such an
engine (it means the same); nothing else is translated.

Example: with `rule_engine: vmalert` in monitoring.yaml (or `alerts.Flappy.keep_firing_for: 10m`
there, reported at that key):

    Alert("Flappy", expr="...", keep_firing_for="10m", summary="...", description="...")

Fix: go without it for this engine (`alerts.Flappy.keep_firing_for: 0s` in monitoring.yaml, or
drop it from the definition), or use an engine that has it (`rule_engine: prometheus`); a
template calls only functions the engine has:

    Alert("Flappy", expr="...", summary="...", description="...")
"""

from gen.core import engines
from gen.rules.lint import ERROR, check


@check("rule-engine", ERROR)
def rule_engine(ctx):
    """A rule the configured rule_engine refuses: keep_firing_for, a template function or variable it lacks."""
    engine = engines.of(ctx.config.rule_engine)
    setting = f"(rule_engine: {engine.name})"
    for alert in ctx.alerts():
        if engines.written_keep_firing_for(engine, alert.keep_firing_for) and not engine.keep_firing_for:
            key = f"alerts.{alert.name}.keep_firing_for"
            set_by = ("" if "keep_firing_for" in alert.origins
                      else f"; the catalog sets it ({alert.keep_firing_for}): set {key}: 0s to go without it")
            yield (alert, f"{key} is not supported by {engine.title} {setting}: it would refuse the whole rule "
                          f"file{set_by}", "keep_firing_for")
        for part in ("annotations", "labels"):
            for key, text in getattr(alert, part).items():
                missing = engines.unsupported_templates(engine, text)
                if missing:
                    yield (alert, f"{part}.{key} uses {', '.join(missing)}, which {engine.title} does not have "
                                  f"{setting}", f"{part}.{key}")
