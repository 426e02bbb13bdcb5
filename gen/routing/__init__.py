"""Alertmanager routing as code: model (what rules_src/routing.py writes), resolve, render, checks."""
