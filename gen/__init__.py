"""Monitoring as code: Python alert and dashboard catalogs compiled into validated out/ files."""

__version__ = "0.1.0"
