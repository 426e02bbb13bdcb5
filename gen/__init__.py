"""Monitoring as code: Python alert and dashboard catalogs compiled into validated out/ files."""

from common import __version__  # noqa: F401  (one version for the compiler, the relay and the image tag)
