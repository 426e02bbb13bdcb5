"""The platforms monitoring.yaml's `platform:` may name, and the control-plane components each
keeps from the user's Prometheus.

On a managed control plane there are no kube-scheduler, kube-controller-manager or etcd pods
for the kube-prometheus ServiceMonitors to find (job="kube-scheduler" ... has no targets), so
KubeSchedulerDown and KubeControllerManagerDown (absent(up{...} == 1)) fire from the first
evaluation and every etcd alert is dead (its series never exist). A platform names those
components by selector (_selectors.SELECTORS); the build turns off every alert and recording
rule whose expression reads one of them (gen.rules.resolve.platform_off), unless monitoring.yaml
sets `alerts.<Name>.disabled: false` (after scraping the component, see each `note`).

The API server stays visible on every platform listed: the `kubernetes` Service in `default`
points at it and it serves /metrics to a Prometheus allowed to read it, so its alerts stay on.

`self-managed` (the default) hides nothing. `kubeadm` hides nothing either, deliberately:
kubeadm binds kube-scheduler's and kube-controller-manager's metrics to 127.0.0.1 and etcd's to
http://127.0.0.1:2381, so their targets are down until the bind addresses are changed; the
components are the cluster owner's and can fail, so the Down alerts firing there say something
true (the control plane is unmonitored) and the fix is one setting, not silence.
"""

from gen.model import Platform

_MANAGED = ("etcd", "kube_scheduler", "kube_controller_manager")

PLATFORMS = {
    "self-managed": Platform(
        "Self-managed control plane (the default)",
        note="Every control-plane component runs where your Prometheus can scrape it; nothing is turned off.",
    ),
    "kubeadm": Platform(
        "kubeadm-built cluster",
        sources={
            "https://github.com/kubernetes/kubernetes/blob/master/cmd/kubeadm/app/phases/controlplane/manifests.go":
                "getControllerManagerCommand and getSchedulerCommand default `bind-address` to 127.0.0.1 "
                "(kube-controller-manager serves metrics on 10257, kube-scheduler on 10259).",
            "https://github.com/kubernetes/kubernetes/blob/master/cmd/kubeadm/app/phases/etcd/local.go":
                "getEtcdCommand sets `listen-metrics-urls` to http://127.0.0.1:2381 (::1 on IPv6).",
        },
        note=("The components run on your control-plane nodes and only their metrics listen on loopback, so KubeSchedulerDown and KubeControllerManagerDown fire until you set `bind-address: "
              "0.0.0.0` under the ClusterConfiguration's `scheduler.extraArgs` and `controllerManager.extraArgs`, "
              "and `listen-metrics-urls: http://0.0.0.0:2381` under `etcd.local.extraArgs` (or put a proxy in front)."),
    ),
    "ack-managed": Platform(
        "Alibaba Cloud ACK managed cluster (ACK 托管集群, Basic and Pro editions)",
        hidden=_MANAGED,
        sources={
            "https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/user-guide/view-control-plane-component-dashboards-in-ack-pro-clusters":
                "Control-plane dashboards (API server, etcd, scheduler, kube-controller-manager, cloud-controller-manager) "
                "apply to ACK Pro clusters of Kubernetes 1.16 or later and need ARMS and the ack-arms-prometheus component: "
                "the managed Prometheus collects them.",
            "https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/user-guide/use-a-self-managed-prometheus-system-to-configure-control-plane-component-monitoring-and-alerting":
                "ACK managed Pro clusters let a self-managed Prometheus that can reach the API server and read /metrics "
                "collect kube-apiserver, etcd, kube-scheduler, kube-controller-manager and cloud-controller-manager "
                "metrics through scrape jobs the page gives (job names such as ack-api-server, ack-etcd, ack-scheduler).",
        },
        note=("No etcd, kube-scheduler or kube-controller-manager pods exist in the cluster. On ACK Pro you may add "
              "Alibaba Cloud's scrape jobs to your Prometheus, point `selectors:` at their job names (e.g. "
              "`kube_scheduler: job=\"ack-scheduler\"`) and re-enable the alerts with `disabled: false`; ACK Basic "
              "offers no such metrics."),
    ),
    "tke": Platform(
        "Tencent Cloud TKE managed cluster (托管集群)",
        hidden=_MANAGED,
        sources={
            "https://www.tencentcloud.com/document/product/457/68567":
                "A self-built Prometheus that can reach the API server of a TKE managed cluster collects kube-apiserver, "
                "kube-scheduler and kube-controller-manager metrics through the scrape jobs the page gives "
                "(job names kube-apiserver, kube-scheduler, kube-controller-manager); etcd is not offered.",
            "https://tencentcloud.com/document/product/248/39866":
                "The cloud-monitoring metrics K8sComponentApiserverReady, K8sComponentControllerManagerReady, "
                "K8sComponentEtcdReady and K8sComponentSchedulerReady are not supported for managed clusters.",
        },
        note=("After adding Tencent Cloud's kube-scheduler and kube-controller-manager scrape jobs (their job names "
              "match the default selectors) set `disabled: false` on KubeSchedulerDown and KubeControllerManagerDown; "
              "etcd stays out of reach."),
    ),
    "cce": Platform(
        "Huawei Cloud CCE cluster (CCE Standard and CCE Turbo)",
        hidden=_MANAGED,
        sources={
            "https://support.huaweicloud.com/intl/en-us/usermanual-cce/cce_10_0559.html":
                "The master nodes are managed; the Cloud Native Cluster Monitoring add-on (3.5.0 or later) monitors "
                "kube-apiserver, and collects kube-controller, kube-scheduler and etcd-server metrics only once enabled "
                "in the cluster's monitoring settings (they are billed in AOM, so not collected by default); a "
                "self-built Prometheus reaches them through the proxy.exporter.k8s.io API with the ServiceMonitors "
                "the page gives.",
        },
        note=("With CCE's ServiceMonitors for the master components in your Prometheus, point `selectors:` at their "
              "job names and re-enable the alerts with `disabled: false`."),
    ),
}
