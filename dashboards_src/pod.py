"""Pod details: each container's CPU and memory against its limit with the alert line,
throttling, restarts, OOM kills, network (seed 002: "a pod exceeds its limit" must be seen)."""

from grafanalib.core import Stat, Target, TimeSeries

from gen.dash.model import AlertLine, Dashboard, Fixture, Row, Variable, cell

_POD = 'namespace="$namespace", pod="$pod"'

dashboard = Dashboard(
    uid="k8s-pod",
    title="Kubernetes / Pod",
    description="One pod: containers' CPU and memory against requests and limits, throttling, restarts, OOM kills, network.",
    tags=["pods"],
    links=[],
    variables=[
        Variable("namespace", "label_values(kube_pod_info{${kube_state_metrics}}, namespace)"),
        Variable("pod", 'label_values(kube_pod_info{${kube_state_metrics}, namespace="$namespace"}, pod)'),
    ],
    rows=[
        Row("Usage against limits", [
            cell(TimeSeries(
                title="CPU usage, % of limit",
                unit="percent",
                targets=[Target(
                    expr=f"""100 * sum by (container) (rate(container_cpu_usage_seconds_total{{${{cadvisor}}, {_POD}, container!=""}}[$__rate_interval]))
/ sum by (container) (kube_pod_container_resource_limits{{${{kube_state_metrics}}, {_POD}, resource="cpu"}})""",
                    legendFormat="{{container}}", refId="A")],
            ), alert=AlertLine("PodCpu75")),
            cell(TimeSeries(
                title="Memory working set, % of limit",
                unit="percent",
                targets=[Target(
                    expr=f"""100 * sum by (container) (container_memory_working_set_bytes{{${{cadvisor}}, {_POD}, container!=""}})
/ sum by (container) (kube_pod_container_resource_limits{{${{kube_state_metrics}}, {_POD}, resource="memory"}})""",
                    legendFormat="{{container}}", refId="A")],
            ), alert=AlertLine("PodMemory75")),
        ]),
        Row("Restarts", [
            cell(Stat(
                title="Restarts (window)",
                format="short",
                targets=[Target(
                    expr=f'sum by (container) (increase(kube_pod_container_status_restarts_total{{${{kube_state_metrics}}, {_POD}}}[$__range]))',
                    legendFormat="{{container}}", refId="A")],
            ), width=8),
        ], height=6),
    ],
    fixture=Fixture(
        series={
            'kube_pod_info{${kube_state_metrics}, namespace="shop", pod="web-1", node="n1"}': "1x20",
            'container_cpu_usage_seconds_total{${cadvisor}, namespace="shop", pod="web-1", container="app"}': "0+30x20",
            'kube_pod_container_resource_limits{${kube_state_metrics}, namespace="shop", pod="web-1", container="app", resource="cpu", unit="core"}': "1x20",
            'container_memory_working_set_bytes{${cadvisor}, namespace="shop", pod="web-1", container="app"}': "800x20",
            'kube_pod_container_resource_limits{${kube_state_metrics}, namespace="shop", pod="web-1", container="app", resource="memory", unit="byte"}': "1000x20",
            'kube_pod_container_status_restarts_total{${kube_state_metrics}, namespace="shop", pod="web-1", container="app"}': "0+1x20",
        },
        vars={"namespace": "shop", "pod": "web-1"},
    ),
)
