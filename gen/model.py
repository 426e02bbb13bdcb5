"""What catalog modules import to write alerts, recording rules, groups and their cases.

The definitions live in gen.core.model (the engine's core); this module is their public
name, the one catalogs, the team scaffold and the README use, so the engine's layout can
change without breaking a team's rules_src/."""

from gen.core.model import (  # noqa: F401
    REPLICA_INSTANCES, SEVERITIES, Alert, Case, Duration, Fire, Group, Module, ParamValue, Platform, Record, Rule, Source,
    moved, replicated, twins,
)
