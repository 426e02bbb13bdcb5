"""The middleware dashboard and the middleware alerts (rules_src/mysql.py, postgres.py, redis.py,
kafka.py): every alert is explained by a panel that names it, every panel has a description
and every stat a text for no data, and an alert that links the dashboard opens it on its own
server (its service's variable), not on every row at once."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from gen.build import build
from gen.dash import check

# rules file -> the dashboard variable of that service
SERVICES = {"mysql": "mysql", "postgres": "postgres", "redis": "redis", "kafka": "kafka"}


@pytest.fixture(scope="module")
def built():
    _, files = build(None)
    dashboard = json.loads(files["grafana/middleware.json"])
    alerts = {service: [r for g in yaml.safe_load(files[f"rules/{service}.yaml"])["groups"] for r in g["rules"]
                        if "alert" in r]
              for service in SERVICES}
    return dashboard, alerts


def test_every_middleware_alert_is_named_by_a_panel(built):
    dashboard, alerts = built
    text = " ".join(p.get("description", "") for p in check.panels(dashboard))
    named = set(re.findall(r"\b[A-Z]\w+", text))
    missing = sorted(r["alert"] for rules in alerts.values() for r in rules if r["alert"] not in named)
    assert not missing, f"no panel of the middleware dashboard names {missing}"


def test_every_panel_has_a_description_and_every_stat_a_no_value_text(built):
    dashboard, _ = built
    for p in check.panels(dashboard):
        if p["type"] == "row":
            continue
        assert p.get("description"), p["title"]
        if p["type"] == "stat":
            assert p["fieldConfig"]["defaults"].get("noValue"), p["title"]


def test_an_alert_linking_the_dashboard_fills_only_its_own_service_variable(built):
    """Every row's variable stands for the exporter's `instance`: filled from the alert's labels
    (dashboard="middleware" without dashboard_vars), a Redis alert would set var-mysql,
    var-postgres and var-kafka to the Redis server too, and empty those rows. The alerts give
    dashboard_vars={"<service>": "{{ $labels.instance }}"}."""
    _, alerts = built
    for service, rules in alerts.items():
        for rule in rules:
            url = rule.get("annotations", {}).get("dashboard_url", "")
            if "/d/middleware" not in url:
                continue
            assert set(re.findall(r"var-(\w+)=", url)) <= {SERVICES[service]}, f"{rule['alert']}: {url}"
