"""Every metric name the middleware areas' alerts read exists in what the real exporter serves:
MariaDB 10.11 with mysqld_exporter 0.14, PostgreSQL 15 with postgres_exporter 0.11 (and the
catalog's docs/exporters/postgres_exporter-queries.yaml), Redis 7.0 with redis_exporter 1.45 (tests/support/middleware.py
starts them on loopback). The names come from the built rules' own PromQL analysis
(rule.analysis.metrics), not from reading the expressions again. The cases' series of those
metrics carry exactly the label names the real exporter gives them (besides the target's `job`
and `instance`), so no case proves an alert against a label set that does not exist.

MariaDB and Redis run as a primary with a replica, so that their replication metrics exist too
(PostgreSQL's pg_replication_lag, from the catalog's queries, is there on a primary: 0). Names
the real exporters here cannot show are in ABSENT_HERE, each with its reason; the test fails
when one of them turns up after all (then it belongs checked, not excused). The Kafka area is
not here: no broker runs in the tests, its cases follow kafka_exporter's documented shapes
(rules_src/kafka.py).
"""

from __future__ import annotations

import functools
import re

import pytest

from gen.build import compile_rules
from gen.config import Config
from gen.testing import alert_cases
from support.middleware import running_mariadb, running_postgres_exporter, running_redis

pytestmark = pytest.mark.live

# Read by an alert, never served by the exporters and servers here (and why).
ABSENT_HERE = {
    # Oracle MySQL's deadlock counter (INNODB_METRICS lock_deadlocks, type counter, with
    # mysqld_exporter --collect.info_schema.innodb_metrics). MariaDB 10.11 has the row as type
    # `value`, which the exporter names ..._lock_lock_deadlocks without _total (seen here);
    # MysqlInnodbDeadlocks reads MariaDB's mysql_global_status_innodb_deadlocks instead.
    "mysql_info_schema_innodb_metrics_lock_lock_deadlocks_total",
}

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ", re.M)
_LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"')
SCRAPE_LABELS = {"job", "instance"}


@functools.lru_cache(maxsize=None)
def _alerts() -> dict[str, list]:
    """module -> its alert rules, as built with the defaults."""
    out: dict[str, list] = {}
    for rf, rule in alert_cases(compile_rules(Config()).rule_files):
        out.setdefault(rf.name, []).append(rule)
    return out


def _read_by_alerts() -> dict[str, dict[str, set[str]]]:
    """module -> alert -> the metric names its expression selects."""
    return {m: {r.name: set(r.analysis.metrics) for r in rules} for m, rules in _alerts().items()}


def _labels_served(text: str) -> dict[str, set[str]]:
    """metric name -> the label names the exporter gives it (over all its series)."""
    out: dict[str, set[str]] = {}
    for name, labels in _SAMPLE.findall(text):
        out.setdefault(name, set()).update(_LABEL.findall(labels))
    return out


def _names(text: str) -> set[str]:
    return set(_labels_served(text))


def _check_case_labels(module: str, served: dict[str, set[str]]) -> None:
    """Every case series of a metric the exporter serves has its label names, no more, no fewer."""
    wrong = []
    for rule in _alerts()[module]:
        for case in rule.definition.cases:
            for series in case.series:
                name, _, rest = series.partition("{")
                if name not in served:
                    continue
                have = set(_LABEL.findall(rest)) - SCRAPE_LABELS
                if have != served[name]:
                    wrong.append(f"{rule.name}: {case.name!r}: {name} has {sorted(have)}, "
                                 f"the exporter gives {sorted(served[name])}")
    assert not wrong, f"{module}: case series in shapes the real exporter does not emit:\n" + "\n".join(wrong)


def _check(module: str, served: set[str]) -> None:
    alerts = _read_by_alerts()[module]
    assert alerts, f"no alerts in module {module}"
    missing = {f"{alert}: {name}" for alert, names in alerts.items() for name in names
               if name not in served and name not in ABSENT_HERE}
    assert not missing, f"{module}: metrics the alerts read that the real exporter does not serve: {sorted(missing)}"
    excused_but_served = sorted(n for n in ABSENT_HERE & served if any(n in ns for ns in alerts.values()))
    assert not excused_but_served, f"{module}: in ABSENT_HERE but served here: {excused_but_served}"


def test_mysql_metrics_exist_in_mysqld_exporter():
    with running_mariadb(log_bin=True) as primary, \
            running_mariadb(server_id=2, replica_of=primary,
                            exporter_args=("--collect.info_schema.innodb_metrics",)) as replica:
        labels = _merge(_labels_served(primary.metrics()), _labels_served(replica.metrics()))
    assert "mysql_slave_status_seconds_behind_master" in labels  # the replica really replicates
    _check("mysql", set(labels))
    _check_case_labels("mysql", labels)


def test_postgres_metrics_exist_in_postgres_exporter():
    with running_postgres_exporter() as pg:
        text = pg.metrics()
    # every query works on a plain PostgreSQL 15 (PostgresqlExporterError stays silent)
    assert "\npg_exporter_last_scrape_error 0" in "\n" + text, "a query of the catalog's queries file fails"
    _check("postgres", _names(text))
    _check_case_labels("postgres", _labels_served(text))


def test_redis_metrics_exist_in_redis_exporter():
    with running_redis(maxmemory="8mb") as primary, running_redis(replica_of=primary) as replica:
        labels = _merge(_labels_served(primary.metrics()), _labels_served(replica.metrics()))
    _check("redis", set(labels))
    _check_case_labels("redis", labels)


def _merge(*served: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for one in served:
        for name, labels in one.items():
            out.setdefault(name, set()).update(labels)
    return out
