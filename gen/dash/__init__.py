"""Dashboards: grafanalib panels laid out on Grafana's grid, tied to the alert catalog,
validated and rendered as dashboard JSON and sidecar ConfigMaps."""
