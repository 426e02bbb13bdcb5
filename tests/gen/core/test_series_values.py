"""promtool's series notation read and written (gen.series_values), and the case helpers built
on it: gen.model.moved (an HA exporter's pod changing address mid-series)."""

from __future__ import annotations

import re

import pytest

from gen.core.errors import DefinitionError
from gen.model import REPLICA_INSTANCES, moved
from gen.series_values import STALE, expand, join


def test_expand_follows_promtools_counts():
    # `a+bxn` and `axn` are n+1 samples, `_xn` n, as promtool reads them.
    assert expand("0+46x3") == [0, 46, 92, 138]
    assert expand("100-2.5x2") == [100, 97.5, 95]
    assert expand("_x2 5 stale") == [None, None, 5, STALE]
    assert expand("4831838208x1 1e+09") == [4831838208, 4831838208, 1e9]


def test_join_writes_back_what_expand_reads():
    for values in ("0 0.1 0.2 _ stale", "4831838208 1", "_ _ 3"):
        assert join(expand(values)) == values


@pytest.mark.parametrize("values, step", [("1x3 abc", "abc"), ("_+1x3", "_+1x3")])
def test_bad_notation_names_the_step(values, step):
    with pytest.raises(DefinitionError, match=re.escape(repr(step))):
        expand(values)


def test_moved_splits_an_exporters_series_between_two_addresses():
    ksm = 'kube_node_status_condition{${kube_state_metrics}, node="node-1"}'
    other = 'up{job="node-exporter"}'
    out = moved({ksm: "0x4", other: "1x4"}, after=2)
    first, second = REPLICA_INSTANCES
    assert out == {
        f'kube_node_status_condition{{${{kube_state_metrics}}, instance="{first}", node="node-1"}}': "0 0 stale",
        f'kube_node_status_condition{{${{kube_state_metrics}}, instance="{second}", node="node-1"}}': "_ _ 0 0 0",
        other: "1x4",
    }


def test_moved_outside_the_series_is_an_error():
    with pytest.raises(DefinitionError, match="after=9"):
        moved({'kube_pod_info{${kube_state_metrics}, pod="a"}': "1x4"}, after=9)
