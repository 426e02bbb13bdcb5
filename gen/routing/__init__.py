"""Alertmanager routing as code: model (what routing_src/routing.py writes), resolve, render, checks."""
