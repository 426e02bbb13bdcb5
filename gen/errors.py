"""One exception type per kind of user error, so callers and tests can tell them apart.

Every message names the thing at fault (alert, config key, file and line).
"""

from __future__ import annotations


class GenError(Exception):
    """Base of every error the user can cause; the CLI prints these without a traceback."""


class ConfigError(GenError):
    """The configuration file has an unknown key, a wrong type or a bad value."""


class DefinitionError(GenError):
    """A catalog module defines something malformed (bad argument, unknown placeholder)."""


class PromQLError(GenError):
    """An expression does not parse."""


class LintError(GenError):
    """One or more lint checks reported errors; the message lists them all."""


class DashboardError(GenError):
    """A dashboard fails validation (layout, ids, units, queries, schema); lists every fault."""


class ToolError(GenError):
    """An external tool (promtool) is missing or failed to run."""
