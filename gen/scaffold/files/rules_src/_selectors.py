"""Your exporters' label matchers, used in expressions as ${name} (the toolkit's, such as
${kube_state_metrics}, are there too; change those under `selectors:` in monitoring.yaml)."""

SELECTORS = {
    "my_app": 'job="my-app"',
}
