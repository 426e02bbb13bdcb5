"""danielqsj/kafka_exporter series of one Kafka cluster (its metric names and labels since
1.2: kafka_brokers, kafka_topic_partition_* {topic, partition},
kafka_consumergroup_lag{consumergroup, topic, partition}, kafka_consumergroup_lag_sum{consumergroup, topic}).
One exporter serves the whole cluster; `instance` is the exporter's. `exporters=2` writes every
series as two exporters of the same cluster scrape it (two replicas, or a rolling update)."""

TOPIC = "orders"
GROUP = "billing"


INSTANCES = ("10.244.2.31:9308", "10.244.3.12:9308")


def _series(metric: str, values: str, labels: str = "", exporters: int = 1) -> dict:
    extra = f", {labels}" if labels else ""
    return {f'{metric}{{job="kafka-exporter", instance="{i}"{extra}}}': values for i in INSTANCES[:exporters]}


def brokers(values: str, exporters: int = 1) -> dict:
    return _series("kafka_brokers", values, exporters=exporters)


def partitions(under_replicated: dict[int, str] | None = None, leaderless: dict[int, str] | None = None,
               count: int = 3, samples: int = 30, topic: str = TOPIC, exporters: int = 1) -> dict:
    """Each partition's replicas (3), under-replicated flag (0 unless given) and leader (broker
    id; the exporter writes no leader series while the partition has none: `leaderless` gives
    the leader's values, ending `stale` when the partition loses it, as Prometheus marks a series gone from a scrape)."""
    def one(metric, values, labels):
        out.update(_series(metric, values, labels, exporters))

    out: dict = {}
    one("kafka_topic_partitions", f"{count}x{samples}", f'topic="{topic}"')
    for p in range(count):
        labels = f'topic="{topic}", partition="{p}"'
        one("kafka_topic_partition_replicas", f"3x{samples}", labels)
        one("kafka_topic_partition_under_replicated_partition", (under_replicated or {}).get(p, f"0x{samples}"), labels)
        one("kafka_topic_partition_leader", (leaderless or {}).get(p, f"{p % 3}x{samples}"), labels)
    return out


def lag(per_partition: dict[int, str], group: str = GROUP, topic: str = TOPIC, exporters: int = 1) -> dict:
    """kafka_consumergroup_lag per partition and its kafka_consumergroup_lag_sum (the values
    must be the same notation for every partition: `<start>+<step>x<n>` or `<v>x<n>`)."""
    out = {}
    for p, values in per_partition.items():
        out.update(_series("kafka_consumergroup_lag", values,
                           f'consumergroup="{group}", topic="{topic}", partition="{p}"', exporters))
    out.update(_series("kafka_consumergroup_lag_sum", _sum(list(per_partition.values())),
                       f'consumergroup="{group}", topic="{topic}"', exporters))
    return out


def _sum(values: list[str]) -> str:
    """The element-wise sum of promtool series `a+bxn` / `axn` with the same n."""
    start = step = 0.0
    n = None
    for v in values:
        head, _, count = v.rpartition("x")
        a, _, b = head.partition("+")
        start, step = start + float(a), step + float(b or 0)
        if n not in (None, count):
            raise ValueError(f"lag(): different sample counts in {values}")
        n = count
    fmt = (lambda x: f"{x:g}")
    return f"{fmt(start)}+{fmt(step)}x{n}" if step else f"{fmt(start)}x{n}"
