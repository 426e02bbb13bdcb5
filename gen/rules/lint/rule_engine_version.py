"""keep_firing_for with rule_engine thanos-ruler or mimir: accepted only by their recent versions.

Why: Thanos Ruler and the Mimir ruler read Prometheus' rule format through Prometheus' own
code, at the Prometheus version each release vendors. `keep_firing_for` came with Prometheus
2.42; a Thanos Ruler before v0.34.0, or a Mimir ruler before grafana/mimir#4099, refuses the
rule file or group that has it, so none of its alerts fire. The build cannot know which version
the team runs, and this was checked in those projects' documentation and issues only (no Thanos
or Mimir is run here), so it warns.

Example: with `rule_engine: thanos-ruler` in monitoring.yaml:

    Alert("Flappy", expr="...", keep_firing_for="10m", summary="...", description="...")

Fix: run Thanos Ruler v0.34.0 or later (a Mimir release with grafana/mimir#4099), or go
without it (`alerts.Flappy.keep_firing_for: 0s`, or drop it from the definition):

    Alert("Flappy", expr="...", summary="...", description="...")
"""

from gen.core import engines
from gen.rules.lint import WARNING, check


@check("rule-engine-version", WARNING)
def rule_engine_version(ctx):
    """keep_firing_for, which only recent Thanos Ruler and Mimir versions accept (from their documentation)."""
    engine = engines.of(ctx.config.rule_engine)
    if not engine.needs:
        return
    for alert in ctx.alerts():
        if engines.written_keep_firing_for(engine, alert.keep_firing_for):
            yield alert, f"{engine.needs} (rule_engine: {engine.name})", "keep_firing_for"
