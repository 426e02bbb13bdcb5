"""Alertmanager routing: who hears about which alert, how soon, how often, and what stays quiet.

The seed splits alerts the way the team works: the host (宿主机: node-exporter alerts and
node status), core components (核心组件: API server, scheduler, controller manager, etcd,
kubelet, CoreDNS, ingress controllers, the monitoring stack), core applications (核心应用:
pods, workloads, their volumes), middleware (中间件: MySQL/MariaDB, PostgreSQL, Redis, Kafka)
and cluster-wide warnings (集群所有的 warning: everything else,
e.g. overcommit and quotas, and any module added later). Areas are catalog modules and rule
groups, not lists of alert names: an alert added to a module is routed with it.

Inside each area, critical alerts go to the on-call receiver at once and are repeated
hourly; info alerts go to a low-noise receiver once a day. Each receiver posts to the alert
relay at /alerts/<receiver>; monitoring.yaml's `relay.receivers` says which chat targets it
reaches (else `relay.default_targets`), and the build writes the relay's routes from that.
"""

from gen.routing.model import (CriticalTwins, Heartbeat, Inhibit, NodeDown, Receiver, Route, RouteCase, Routing,
                               Timing)


def _by_severity() -> list[Route]:
    """The same two exits in every area: critical pages the on-call group, info waits."""
    return [
        Route(name="critical", matchers=['severity="critical"'], receiver="critical", timing="critical"),
        Route(name="info", matchers=['severity="info"'], receiver="info", timing="info"),
    ]


routing = Routing(
    receivers=[
        # The relay recognises the heartbeat alert by name on its plain /alerts endpoint and
        # never passes it to people; it raises "the alerting pipeline is broken" when it stops.
        Receiver("heartbeat"),
        Receiver("critical"),
        Receiver("info"),
        Receiver("host"),
        Receiver("core-components"),
        Receiver("core-apps"),
        Receiver("cluster"),
        Receiver("middleware"),
    ],
    timings={
        "heartbeat": Timing(group_wait="0s", group_interval="1m", repeat_interval="1m"),
        "critical": Timing(group_wait="10s", group_interval="2m", repeat_interval="1h"),
        "warning": Timing(group_wait="30s", group_interval="5m", repeat_interval="4h"),
        "info": Timing(group_wait="1m", group_interval="15m", repeat_interval="24h"),
    },
    heartbeat=Heartbeat(alert="Watchdog", receiver="heartbeat", timing="heartbeat"),
    route=Route(
        receiver="cluster", group_by=["alertname", "namespace"], timing="warning",
        routes=[
            # Node-exporter alerts carry the machine as `instance`; node status alerts come
            # from kube-state-metrics (one instance): grouped per alert across nodes.
            Route(name="host", modules=["nodes"], groups=["kubernetes-nodes"], receiver="host",
                  group_by=["alertname", "instance"], routes=_by_severity()),
            # One message per alert and component (job), listing its members/instances.
            Route(name="core-components",
                  modules=["apiserver", "control_plane", "etcd", "coredns", "ingress", "monitoring"],
                  groups=["kubelet"], receiver="core-components", group_by=["alertname", "job"],
                  routes=_by_severity()),
            Route(name="core-apps", modules=["pods", "workloads", "storage"], receiver="core-apps",
                  group_by=["alertname", "namespace"], routes=_by_severity()),
            # Databases, caches and queues the applications use: one message per alert and
            # service (job) and server (instance; Kafka's alerts are per cluster and topic).
            Route(name="middleware", modules=["mysql", "postgres", "redis", "kafka"], receiver="middleware",
                  group_by=["alertname", "job", "instance"], routes=_by_severity()),
            *_by_severity(),
        ],
    ),
    inhibit=[
        # Info alerts about a pod (CPU throttling, no memory limit) are context, not news,
        # while a warning or critical alert about the same pod is out. `pod=~".+"` on both
        # sides keeps alerts without a pod (Watchdog included) out of it.
        Inhibit(source=['severity=~"warning|critical"', 'pod=~".+"'],
                target=['severity="info"', 'pod=~".+"'],
                equal=["namespace", "pod"],
                why="a warning or critical alert about a pod silences the info alerts about it"),
    ],
    critical_twins=CriticalTwins(
        suffix="Critical",
        pairs={
            "NodeFilesystemAlmostOutOfSpace": "NodeFilesystemSpaceFillingUp",
            "NodeFilesystemAlmostOutOfFiles": "NodeFilesystemFilesFillingUp",
            "etcdDatabaseQuotaLowSpace": "etcdDatabaseSizePredictedToExceedQuota",
        },
        # when an expression keeps its input's labels, the object is whichever of these it has
        object_labels=["namespace", "pod", "container", "node", "instance", "job", "device", "mountpoint",
                       "persistentvolumeclaim", "ingress", "server", "zone"],
    ),
    # Pod alerts that carry `node` (pod_status_no_running, KubePodNotReady, KubePodEvicted)
    # stay quiet while their node is NotReady or unreachable.
    node_down=NodeDown(alerts=["KubeNodeNotReady", "KubeNodeUnreachable"], modules=["pods"]),
    cases=[
        RouteCase("Watchdog reaches the heartbeat only", {"alertname": "Watchdog", "severity": "info"}, ["heartbeat"]),
        RouteCase("host warning", {"alertname": "NodeClockNotSynchronising", "severity": "warning", "instance": "node-1"},
                  ["host"]),
        RouteCase("node status (group kubernetes-nodes) is the host's",
                  {"alertname": "KubeNodeNotReady", "severity": "warning", "node": "node-1"}, ["host"]),
        RouteCase("host critical pages on-call",
                  {"alertname": "NodeFilesystemAlmostOutOfSpace", "severity": "critical", "instance": "node-1"},
                  ["critical"]),
        RouteCase("host info", {"alertname": "NodeClockSkewDetected", "severity": "info"}, ["info"]),
        RouteCase("core component warning", {"alertname": "etcdHighFsyncDurations", "severity": "warning"},
                  ["core-components"]),
        RouteCase("kubelet (group kubelet) is a core component",
                  {"alertname": "KubeletTooManyPods", "severity": "warning", "node": "node-1"}, ["core-components"]),
        RouteCase("core component critical", {"alertname": "etcdNoLeader", "severity": "critical"}, ["critical"]),
        RouteCase("core component info", {"alertname": "KubeAPIErrorsHigh", "severity": "info"}, ["info"]),
        RouteCase("core application warning", {"alertname": "PodCpu75", "severity": "warning", "namespace": "shop"},
                  ["core-apps"]),
        RouteCase("volumes are the applications'", {"alertname": "KubePersistentVolumeErrors", "severity": "warning"},
                  ["core-apps"]),
        RouteCase("core application critical", {"alertname": "KubePodEvicted", "severity": "critical"}, ["critical"]),
        RouteCase("core application info", {"alertname": "CPUThrottlingHigh", "severity": "info"}, ["info"]),
        RouteCase("middleware warning", {"alertname": "RedisTooManyConnections", "severity": "warning",
                                         "job": "redis", "instance": "10.0.3.41:9121"}, ["middleware"]),
        RouteCase("Kafka is middleware", {"alertname": "KafkaConsumersGroupLag", "severity": "warning",
                                          "job": "kafka-exporter", "topic": "orders"}, ["middleware"]),
        RouteCase("middleware critical pages on-call", {"alertname": "MysqlDown", "severity": "critical",
                                                        "job": "mysql"}, ["critical"]),
        RouteCase("middleware info", {"alertname": "PostgresqlRestarted", "severity": "info"}, ["info"]),
        RouteCase("cluster-wide warning (default)", {"alertname": "KubeCPUOvercommit", "severity": "warning"},
                  ["cluster"]),
        RouteCase("an alert from outside the catalog goes to the default",
                  {"alertname": "MyAppDown", "severity": "warning", "namespace": "shop"}, ["cluster"]),
        RouteCase("a critical alert from outside the catalog pages on-call",
                  {"alertname": "MyAppDown", "severity": "critical"}, ["critical"]),
        RouteCase("an info alert from outside the catalog", {"alertname": "MyAppSlow", "severity": "info"}, ["info"]),
        RouteCase("an alert without severity goes to the default", {"alertname": "MyAppDown"}, ["cluster"]),
    ],
)
