"""Your own alerts: one module per area, built with the toolkit's (its file name names the
PrometheusRule). Every alert needs a case where it fires and one where it does not."""

from gen.model import Alert, Case, Fire, Group

groups = [
    Group("my-app", [
        Alert(
            "MyAppDown",
            expr="up{${my_app}} == 0",
            for_="5m",
            severity="critical",
            summary="my-app is down.",
            description="my-app at {{ $labels.instance }} has not answered its scrape for 5 minutes.",
            cases=[
                Case("fires after five minutes down",
                     series={'up{${my_app}, instance="10.0.0.7:8080"}': "1x3 0x10"}, at="10m",
                     fires=[Fire({"job": "my-app", "instance": "10.0.0.7:8080"}, value=0)]),
                Case("silent while it answers",
                     series={'up{${my_app}, instance="10.0.0.7:8080"}': "1x15"}, at="10m"),
            ],
        ),
    ]),
]
