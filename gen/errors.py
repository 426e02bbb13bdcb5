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


class OptionError(GenError):
    """A command-line option has a bad value or names a missing file (token file, folder)."""


class DashboardFileError(GenError):
    """A built dashboard file is unreadable, not JSON, or lacks its uid or title."""


class GrafanaError(GenError):
    """Grafana refused a request that the whole run depends on (token, folder), or is unreachable."""


class PayloadError(GenError):
    """An inbound relay request that can never succeed (bad JSON, wrong schema, too large,
    wrong content type); `status` is the HTTP status the relay answers with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class StoreError(GenError):
    """The relay's SQLite store cannot be written (disk full, locked, read-only)."""


class RoutingError(GenError):
    """The routing definition (rules_src/routing.py) is malformed or names something unknown."""


class PrometheusError(GenError):
    """A Prometheus server could not be asked: unreachable, credentials refused, an error
    answer, or not Prometheus' HTTP API at all. `status` is the HTTP status, when there was one."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status
