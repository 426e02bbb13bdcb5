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


# The "up" stat of each row (panel title, the service's up metric, the row's variable, the job),
# read while the server is down (exporter up, <service>_up 0) and while the exporter target is
# down (up 0, no <service>_up series).
UP_STATS = [("MySQL / MariaDB", "Servers up", "mysql_up", "mysql", "mysql"),
            ("PostgreSQL", "Servers up", "pg_up", "postgres", "postgres"),
            ("Redis", "Servers up", "redis_up", "redis", "redis"),
            ("Kafka", "Brokers", "kafka_brokers", "kafka", "kafka-exporter")]


def _row_panel(dashboard: dict, row: str, title: str) -> dict:
    current = None
    for p in check.panels(dashboard):
        if p["type"] == "row":
            current = p["title"]
        elif current == row and p["title"] == title:
            return p
    raise AssertionError(f"no panel {title!r} in row {row!r}")


@pytest.mark.parametrize("row, title, metric, variable, job", UP_STATS)
def test_the_up_stat_reads_0_not_no_data_when_everything_is_down(built, tmp_path, row, title, metric, variable, job):
    from gen.core.yamlfmt import dump
    from gen.tools import promtool

    dashboard, _ = built
    expr = check.fill(_row_panel(dashboard, row, title)["targets"][0]["expr"], {variable: ".*"},
                      check.macros("5m", "1m", "1h"))
    target = f'job="{job}", instance="10.0.9.1:9000"'
    cases = {"server down": {f"up{{{target}}}": "1x10", f"{metric}{{{target}}}": "0x10"},
             "exporter target down": {f"up{{{target}}}": "0x10"}}
    tests = [{"name": f"{row} {title}: {case}", "interval": "1m",
              "input_series": [{"series": s, "values": v} for s, v in series.items()],
              "promql_expr_test": [{"expr": expr, "eval_time": "5m", "exp_samples": [{"labels": "{}", "value": 0}]}]}
             for case, series in cases.items()]
    (tmp_path / "up.test.yaml").write_bytes(dump({"rule_files": [], "evaluation_interval": "1m", "tests": tests}))
    run = promtool.test_rules(["up.test.yaml"], cwd=str(tmp_path))
    assert run.ok, run.output
