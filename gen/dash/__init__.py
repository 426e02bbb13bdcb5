"""Grafana dashboards: compiling dashboards_src/ into Grafana JSON, and checking it."""
