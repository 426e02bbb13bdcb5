"""One exception type per kind of user error, so callers and tests can tell them apart.

Every message names the thing at fault (alert, config key, file and line).
"""

from __future__ import annotations

from common.errors import ConfigError, UserError

__all__ = ["ConfigError", "UserError"]  # and the compiler's own kinds below


class DefinitionError(UserError):
    """A catalog module defines something malformed (bad argument, unknown placeholder)."""


class PromQLError(UserError):
    """An expression does not parse."""


class LintError(UserError):
    """One or more lint checks reported errors; the message lists them all."""


class DashboardError(UserError):
    """A dashboard fails validation (layout, ids, units, queries, schema); lists every fault."""


class ToolError(UserError):
    """An external tool (promtool) is missing or failed to run."""


class OptionError(UserError):
    """A command-line option has a bad value or names a missing file (token file, folder)."""


class DashboardFileError(UserError):
    """A built dashboard file is unreadable, not JSON, or lacks its uid or title."""


class GrafanaError(UserError):
    """Grafana refused a request that the whole run depends on (token, folder), or is unreachable."""


class RoutingError(UserError):
    """The routing definition (routing_src/routing.py) is malformed or names something unknown."""


class PrometheusError(UserError):
    """A Prometheus server could not be asked: unreachable, credentials refused, an error
    answer, or not Prometheus' HTTP API at all. `status` is the HTTP status, when there was one."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status
