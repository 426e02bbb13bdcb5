"""The contract between out/'s two halves, as committed: every Alertmanager receiver posts to
a relay route that the relay configuration in out/relay/configmap.yaml names and gives chat
targets (the heartbeat's receiver excepted: plain /alerts, the relay's heartbeat). The build
owns it (gen.routing.resolve writes both halves); this checks the files a team applies, and
that the check notices a route gone from either side."""

from __future__ import annotations

import copy

import pytest

import support.shipped as shipped


def test_committed_out_keeps_the_contract():
    paths = shipped.receiver_paths()
    config = shipped.relay_config()
    assert shipped.contract_problems(paths, config) == []
    # every receiver but the heartbeat's has its own route, and nothing else is there
    named = {p.removeprefix("/alerts/") for p in paths.values() if p != "/alerts"}
    assert named == set(shipped.relay_routes(config))
    assert [r for r, p in paths.items() if p == "/alerts"] == ["heartbeat"]


@pytest.mark.parametrize("route", sorted(shipped.relay_routes(shipped.relay_config())))
def test_a_route_missing_from_the_relay_configuration_is_reported(route):
    config = copy.deepcopy(shipped.relay_config())
    config["routes"] = [r for r in config["routes"] if r["name"] != route]
    problems = shipped.contract_problems(shipped.receiver_paths(), config)
    assert problems == [f"receiver {route} posts to /alerts/{route}, a route relay.yaml does not name "
                        f"(it names {', '.join(r['name'] for r in config['routes'])})"]
    emptied = copy.deepcopy(shipped.relay_config())
    next(r for r in emptied["routes"] if r["name"] == route)["targets"] = []
    assert shipped.contract_problems(shipped.receiver_paths(), emptied) == [
        f"receiver {route}: relay route {route} has no targets"]
