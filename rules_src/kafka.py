"""Kafka: under-replicated and leaderless (offline) partitions, consumer group lag, brokers gone.

Metric names and labels are those danielqsj/kafka_exporter documents and exports (README
"Metrics", kafka_exporter.go; 1.x): kafka_brokers, kafka_topic_partition_replicas{topic, partition},
kafka_topic_partition_under_replicated_partition{topic, partition} (1 while the in-sync replicas
are fewer than the replicas), kafka_topic_partition_leader{topic, partition} (the leader's broker
id; the exporter writes no series for a partition whose leader it cannot get, i.e. one without
a leader), kafka_consumergroup_lag_sum{consumergroup, topic} (the group's lag summed over the
topic's partitions). No broker runs here: the cases are synthetic, in those shapes.

One kafka_exporter sees the whole Kafka cluster, and two of them may be scraped at once (two
replicas, a rolling update): every expression reduces the exporters with `max without (instance)`
(each alert has a case with two exporters).

Dashboard: meant to link to the `middleware` dashboard (row Kafka), which is not in this catalog
yet; a build refuses an unknown dashboard uid, so `dashboard=` is not set.
"""

from gen.model import Alert, Case, Duration, Fire, Group

from ._fixtures.kafka import GROUP, TOPIC, brokers, lag, partitions

_JOB = {"job": "kafka-exporter"}
_TOPIC = {**_JOB, "topic": TOPIC}


groups = [
    Group("kafka", [
        Alert(
            "KafkaUnderReplicatedPartitions",
            expr="""
                sum without (partition) (
                  max without (instance) (kafka_topic_partition_under_replicated_partition{${kafka_exporter}})
                ) > 0
            """,
            for_="5m",
            severity="warning",
            dashboard="middleware",
            summary="Kafka topic has under-replicated partitions.",
            description="Kafka topic {{ $labels.topic }}: {{ $value | humanize }} partitions have fewer in-sync replicas than replicas; one more broker lost may lose or block them.",
            cases=[
                Case("fires when 2 partitions are under-replicated for 5m",
                     series=partitions(under_replicated={0: "0x5 1x25", 2: "0x5 1x25"}), at="15m",
                     fires=[Fire(_TOPIC, value=2)]),
                Case("fires once with two exporters",
                     series=partitions(under_replicated={0: "0x5 1x25", 2: "0x5 1x25"}, exporters=2), at="15m",
                     fires=[Fire(_TOPIC, value=2)]),
                Case("silent while every partition is in sync", series=partitions(), at="15m"),
                Case("silent when under-replicated for less than 5m",
                     series=partitions(under_replicated={0: "0x10 1x20"}), at="14m"),
            ],
        ),
        Alert(
            "KafkaOfflinePartitions",
            # Partitions the cluster knows (replicas) without a leader series: no leader, offline.
            expr="""
                count without (partition) (
                    max without (instance) (kafka_topic_partition_replicas{${kafka_exporter}})
                  unless
                    max without (instance) (kafka_topic_partition_leader{${kafka_exporter}})
                ) > 0
            """,
            for_="1m",
            severity="critical",
            dashboard="middleware",
            summary="Kafka topic has partitions without a leader.",
            description="Kafka topic {{ $labels.topic }}: {{ $value | humanize }} partitions have no leader; they can be neither written nor read.",
            cases=[
                Case("fires when a partition has no leader for 1m",
                     series=partitions(leaderless={1: "1x5 stale"}), at="10m", fires=[Fire(_TOPIC, value=1)]),
                Case("fires once with two exporters",
                     series=partitions(leaderless={1: "1x5 stale"}, exporters=2), at="10m",
                     fires=[Fire(_TOPIC, value=1)]),
                Case("silent while every partition has a leader", series=partitions(), at="10m"),
                Case("silent when leaderless for less than 1m",
                     series=partitions(leaderless={1: "1x8 stale"}), at="9m"),
            ],
        ),
        Alert(
            "KafkaConsumersGroupLag",
            expr="max without (instance) (kafka_consumergroup_lag_sum{${kafka_exporter}}) > ${threshold}",
            params={"threshold": 1000},
            for_="5m",
            severity="warning",
            dashboard="middleware",
            summary="Kafka consumer group lags more than ${threshold} messages behind.",
            description="Kafka consumer group {{ $labels.consumergroup }} is {{ $value | humanize }} messages behind on topic {{ $labels.topic }}.",
            cases=[
                Case("fires at 1200 messages for 5m", series=lag({0: "400x30", 1: "800x30"}), at="10m",
                     fires=[Fire({**_TOPIC, "consumergroup": GROUP}, value=1200)]),
                Case("fires once with two exporters", series=lag({0: "400x30", 1: "800x30"}, exporters=2), at="10m",
                     fires=[Fire({**_TOPIC, "consumergroup": GROUP}, value=1200)]),
                Case("silent at 1000 messages", series=lag({0: "400x30", 1: "600x30"}), at="10m"),
                Case("silent when lagging for less than 5m", series=lag({0: "0+100x30", 1: "0+100x30"}), at="9m"),
            ],
        ),
        Alert(
            "KafkaBrokersDown",
            # Fewer brokers than the cluster had within the window. It clears when the broker is
            # back or once the window no longer holds the higher count.
            expr="""
                max without (instance) (kafka_brokers{${kafka_exporter}})
                  < max without (instance) (max_over_time(kafka_brokers{${kafka_exporter}}[${window}]))
            """,
            params={"window": Duration("1h")},
            for_="1m",
            severity="critical",
            dashboard="middleware",
            summary="A Kafka broker left the cluster.",
            description="The Kafka cluster that {{ $labels.job }} watches has {{ $value | humanize }} brokers, fewer than within the last ${window}.",
            cases=[
                Case("fires when one of 3 brokers is gone for 1m", series=brokers("3x10 2x20"), at="13m",
                     fires=[Fire(_JOB, value=2)]),
                Case("fires once with two exporters", series=brokers("3x10 2x20", exporters=2), at="13m",
                     fires=[Fire(_JOB, value=2)]),
                Case("silent while every broker stays", series=brokers("3x30"), at="13m"),
                Case("silent when the broker comes back", series=brokers("3x10 2x2 3x20"), at="15m"),
                Case("silent when gone for less than 1m", series=brokers("3x10 2x20"), at="11m"),
            ],
        ),
    ]),
]
