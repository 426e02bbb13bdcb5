"""gen.core.promql.analyze: result labels, comparisons, absent(), ranges, metrics, parse errors."""

from __future__ import annotations

from support.paths import REPO
import os
import re
import shutil
import subprocess

import promql_parser
import pytest
import yaml

from gen.core.errors import PromQLError
from gen.core.promql import LabelSet, analyze

ROOT = str(REPO)


def exact(*labels: str) -> LabelSet:
    return LabelSet(frozenset(labels))


def open_minus(*labels: str) -> LabelSet:
    return LabelSet(None, frozenset(labels))


# --------------------------------------------------------------------------------------
# result labels


@pytest.mark.parametrize(
    "expr, labels",
    [
        # plain selectors and functions keep whatever the series carry
        ("x", open_minus()),
        ("rate(x[5m])", open_minus()),
        ("-x", open_minus()),
        ("abs(x)", open_minus()),
        # aggregations
        ("sum by (a, b) (x)", exact("a", "b")),
        ("sum(x) by (a)", exact("a")),
        ("sum(x)", exact()),
        ("max by (a) (sum by (a, b) (x))", exact("a")),
        ("sum by (a, z) (sum by (a, b) (x))", exact("a")),
        ("sum without (a) (x)", open_minus("a")),
        ("sum without (a, b) (x)", open_minus("a", "b")),
        ("sum without (b) (sum by (a, b) (x))", exact("a")),
        ("sum by (a) (sum without (a, b) (x))", exact()),
        ("quantile by (a) (0.9, x)", exact("a")),
        # one-to-one matching
        ("x + y", open_minus()),
        ("x + ignoring(a) y", open_minus("a")),
        ("sum without (b) (x) / ignoring(a) y", open_minus("a", "b")),
        ("sum by (a, c) (x) + ignoring(c) sum by (a) (y)", exact("a")),
        ("x + on(a, b) y", exact("a", "b")),
        ("x > on(a) y", exact("a")),
        ("sum by (a) (x) + on(a) sum by (a, c) (y)", exact("a")),
        ("sum without (b) (x) + on(a, b) y", exact("a")),
        # many-to-one / one-to-many
        ("x * on(a) group_left(b) y", open_minus()),
        ("sum by (a) (x) * on(a) group_left(b) y", exact("a", "b")),
        ("sum by (a) (x) * on(a) group_left y", exact("a")),
        ("sum without (b) (x) * on(a) group_left(b) y", open_minus()),
        ("sum without (b, c) (x) * ignoring(d) group_left(b) y", open_minus("c")),
        ("sum by (a) (x) * on(a) group_right(b) sum by (a, c) (y)", exact("a", "b", "c")),
        ("sum by (a, b) (x) * on(a) group_right sum by (a, c) (y)", exact("a", "c")),
        ("x * on(a) group_right(b) sum without (c) (y)", open_minus("c")),
        # set operators
        ("x and y", open_minus()),
        ("sum by (a) (x) and on(a) y", exact("a")),
        ("sum by (a) (x) unless sum by (b) (y)", exact("a")),
        ("sum by (a) (x) or sum by (b) (y)", exact("a", "b")),
        ("sum without (a) (x) or sum without (a, b) (y)", open_minus("a")),
        ("sum by (a) (x) or sum without (a, b) (y)", open_minus("b")),
        ("sum(x) or vector(0)", exact()),
        # label_replace / label_join add the destination label
        ('label_replace(x, "dst", "$1", "src", "(.*)")', open_minus()),
        ('label_replace(sum by (a) (x), "dst", "$1", "a", "(.*)")', exact("a", "dst")),
        ('label_replace(sum without (dst) (x), "dst", "$1", "a", "(.*)")', open_minus()),
        ('label_join(sum by (a, b) (x), "dst", ",", "a", "b")', exact("a", "b", "dst")),
        # histogram_quantile drops le
        ("histogram_quantile(0.9, rate(x_bucket[5m]))", open_minus("le")),
        ("histogram_quantile(0.9, sum by (le, job) (rate(x_bucket[5m])))", exact("job")),
        ("histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))", exact()),
        # absent: the selector's equality matchers, nothing for other expressions
        ('absent(x{a="1", b=~"2", c!="3", d!~"4"})', exact("a")),
        ('absent(x{job="j", namespace="n"})', exact("job", "namespace")),
        ('absent({__name__="x", a="1"})', exact("a")),
        ('absent(x{a="", b="1"})', exact("b")),
        ('absent(x{a="1", a="2", b="1"})', exact("b")),
        ("absent(x)", exact()),
        ('absent(sum by (a) (x{b="1"}))', exact()),
        ('absent(rate(x{a="1"}[5m]))', exact()),
        ('absent_over_time(x{a="1", b=~"2"}[5m])', exact("a")),
        # constant vectors
        ("vector(1)", exact()),
        ("vector(time())", exact()),
        ("hour()", exact()),
        # count_values adds its label
        ('count_values("v", x)', exact("v")),
        ('count_values by (a) ("v", x)', exact("a", "v")),
        ('count_values without (a) ("v", x)', open_minus("a")),
        # topk/bottomk keep the input's labels, whatever the by clause
        ("topk(3, x)", open_minus()),
        ("topk(3, sum by (a, b) (x))", exact("a", "b")),
        ("topk by (a) (3, sum by (a, b) (x))", exact("a", "b")),
        ("bottomk without (a) (1, sum without (c) (x))", open_minus("c")),
        # comparisons with a scalar keep the vector side's labels
        ("sum by (a) (x) > 1", exact("a")),
        ("1 < sum by (a) (x)", exact("a")),
        ("sum by (a) (x) > bool 1", exact("a")),
        ("time() - sum by (a) (x)", exact("a")),
        ("sum by (a) (x) > scalar(sum(y))", exact("a")),
        ("sum without (b) (x) * 100 > 5", open_minus("b")),
    ],
)
def test_result_labels(expr, labels):
    assert analyze(expr).labels == labels


@pytest.mark.parametrize("expr", ["1", "1 + 2", "scalar(x)", "time()", "pi()", "scalar(x) * 2"])
def test_scalar_result_has_no_labelset(expr):
    assert analyze(expr).labels is None


def test_recorded_series_carry_the_labels_their_rule_gives_them():
    recorded = {"verb:requests:ratio5m": exact("verb"), "ns:cpu:sum": exact("namespace")}
    assert analyze("verb:requests:ratio5m > 0.1", recorded).labels == exact("verb")
    assert analyze('sum by (namespace, pod) (x) / on (namespace) group_left ns:cpu:sum{namespace="a"}', recorded).labels \
        == exact("namespace", "pod")
    assert analyze("other:recorded:series > 1", recorded).labels == open_minus()  # unknown: whatever it carries
    assert analyze("verb:requests:ratio5m > 0.1").labels == open_minus()  # no map given


def test_labelset_can_have():
    assert exact("a").can_have("a")
    assert not exact("a").can_have("b")
    assert open_minus("le").can_have("job")
    assert not open_minus("le").can_have("le")


def test_template_relevant_label_sets():
    """The questions the template-label lint asks of typical alert expressions."""
    a = analyze('sum by (namespace) (kube_pod_status_phase{phase="Failed"}) > 0')
    assert a.labels.can_have("namespace") and not a.labels.can_have("pod")
    a = analyze("histogram_quantile(0.99, rate(apiserver_request_duration_seconds_bucket[5m])) > 1")
    assert a.labels.can_have("verb") and not a.labels.can_have("le")
    a = analyze('absent(up{job="kubelet"})')
    assert a.labels.can_have("job") and not a.labels.can_have("instance")


# --------------------------------------------------------------------------------------
# comparison, absent, ranges, metrics


@pytest.mark.parametrize(
    "expr, expected",
    [
        ("x > 1", True),
        ("x < 1", True),
        ("x >= 1", True),
        ("x <= 1", True),
        ("x == 1", True),
        ("x != 1", True),
        ("x > y", True),
        ("sum(rate(x[5m])) / sum(rate(y[5m])) > 0.05", True),
        ("(x > bool 1) == 1", True),
        ("x > 1 and y", True),
        ("x > bool 1", False),
        ("x == bool 1", False),
        ("sum(x > bool 1)", False),
        ("x", False),
        ("x + 1", False),
        ("x and y", False),
        ("x unless y", False),
        ("absent(x)", False),
    ],
)
def test_has_comparison(expr, expected):
    assert analyze(expr).has_comparison is expected


@pytest.mark.parametrize(
    "expr, expected",
    [
        ("absent(x)", True),
        ('absent(up{job="a"}) == 1', True),
        ("absent_over_time(x[5m])", True),
        ("x > 1 or absent(x)", True),
        ("x > 1", False),
        ("absent_x", False),
        ("present_over_time(x[5m])", False),
    ],
)
def test_has_absent(expr, expected):
    assert analyze(expr).has_absent is expected


@pytest.mark.parametrize(
    "expr, ranges",
    [
        ("rate(x[5m])", [("rate", 300.0)]),
        ("increase(x[1h])", [("increase", 3600.0)]),
        ("irate(x[90s])", [("irate", 90.0)]),
        ("sum(rate(x[2m])) / sum(increase(y[1h30m]))", [("rate", 120.0), ("increase", 5400.0)]),
        ("max_over_time(x[10m])", [("max_over_time", 600.0)]),
        ("rate(x[5m] offset 1h)", [("rate", 300.0)]),
        ("histogram_quantile(0.9, sum by (le) (rate(x_bucket[1d])))", [("rate", 86400.0)]),
        ("x > 1", []),
        ("x[5m:1m]", []),
    ],
)
def test_ranges(expr, ranges):
    assert analyze(expr).ranges == ranges


@pytest.mark.parametrize(
    "expr, metrics",
    [
        ("x", {"x"}),
        ('sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))', {"http_requests_total"}),
        ("a + on(x) group_left(y) b", {"a", "b"}),
        ('{__name__="up", job="a"}', {"up"}),
        ('{job="a"}', set()),
        ('{__name__=~"up|down"}', set()),
        ("namespace:cpu:sum_rate5m > 1", {"namespace:cpu:sum_rate5m"}),
        ("absent(a) or vector(0) * b", {"a", "b"}),
        ("1 + 2", set()),
    ],
)
def test_metrics(expr, metrics):
    assert analyze(expr).metrics == metrics


def test_selectors_record_matchers():
    a = analyze('x{a="1", b!="2", c=~"3", d!~"4"}')
    assert len(a.selectors) == 1
    sel = a.selectors[0]
    assert sel.metric == "x"
    assert set(sel.matchers) >= {("a", "=", "1"), ("b", "!=", "2"), ("c", "=~", "3"), ("d", "!~", "4")}


def test_analysis_keeps_text():
    assert analyze("up == 0").text == "up == 0"


# --------------------------------------------------------------------------------------
# parse errors


@pytest.mark.parametrize("expr", ["sum(x", "x >", "rate(x)", "foo{a=}", "", "sum by (a) x )"])
def test_parse_error(expr):
    with pytest.raises(ValueError) as parser_exc:
        promql_parser.parse(expr)
    with pytest.raises(PromQLError) as exc:
        analyze(expr)
    assert str(exc.value) == str(parser_exc.value)
    assert str(exc.value)


def test_parse_error_message_is_the_parsers():
    with pytest.raises(PromQLError, match="unclosed left parenthesis"):
        analyze("sum(rate(x[5m])")
    with pytest.raises(PromQLError, match="expected type matrix in call to function 'rate'"):
        analyze("rate(x)")


# --------------------------------------------------------------------------------------
# analyze() against Prometheus' real answer (promtool test rules, promql_expr_test)


def _promtool() -> str | None:
    env = os.environ.get("PROMTOOL")
    if env and os.access(env, os.X_OK):
        return env
    local = os.path.join(ROOT, "tools", "bin", "promtool")
    if os.access(local, os.X_OK):
        return local
    return shutil.which("promtool")


PROMTOOL = _promtool()
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool not found")

# Each case: the expression, its input series (promtool notation; values "1x5" unless given
# as a (series, values) pair), and the label sets of its real result, which promtool checks.
# The expression is evaluated as `(expr) * 0` so every value is 0 and the metric name is gone:
# only the labels are compared. `extra` lists label names the expression must not produce.
# The first series is the side whose labels an open LabelSet stands for.
REAL = [
    ("sum by (a, b) (x)", ['x{a="av",b="bv",c="cv"}'], [{"a": "av", "b": "bv"}], ()),
    ("sum without (c) (x)", ['x{a="av",b="bv",c="cv"}'], [{"a": "av", "b": "bv"}], ()),
    ("x - ignoring(c) y", ['x{a="av",b="bv",c="cv"}', 'y{a="av",b="bv"}'], [{"a": "av", "b": "bv"}], ()),
    ("x > ignoring(c) y", [('x{a="av",b="bv",c="cv"}', "2x5"), 'y{a="av",b="bv"}'], [{"a": "av", "b": "bv"}], ()),
    ("x + on(a) y", ['x{a="av",b="bv",c="cv"}', 'y{a="av",d="dv"}'], [{"a": "av"}], ()),
    ("x > on(a) y", [('x{a="av",b="bv",c="cv"}', "2x5"), 'y{a="av",d="dv"}'], [{"a": "av"}], ()),
    (
        "x * on(a) group_left(d) y",
        ['x{a="av",b="bv"}', 'y{a="av",d="dv",e="ev"}'],
        [{"a": "av", "b": "bv", "d": "dv"}],
        (),
    ),
    (
        "sum by (a) (x) * on(a) group_left(d) y",
        ['x{a="av",b="bv"}', 'y{a="av",d="dv",e="ev"}'],
        [{"a": "av", "d": "dv"}],
        (),
    ),
    (
        "sum by (a, c) (x) * on(a) group_right(c) sum by (a, b) (y)",
        ['x{a="av",c="cv",e="ev"}', 'y{a="av",b="bv",d="dv"}'],
        [{"a": "av", "b": "bv", "c": "cv"}],
        (),
    ),
    ('label_replace(x, "dst", "dstv", "a", ".*")', ['x{a="av"}'], [{"a": "av", "dst": "dstv"}], ()),
    ('label_join(sum by (a, b) (x), "dst", "-", "a", "b")', ['x{a="av",b="bv",c="cv"}'], [{"a": "av", "b": "bv", "dst": "av-bv"}], ()),
    (
        "histogram_quantile(0.5, x_bucket)",
        ['x_bucket{a="av",le="0.5"}', 'x_bucket{a="av",le="+Inf"}'],
        [{"a": "av"}],
        (),
    ),
    ('absent(nope{a="av", b=~"bv", c!="cv", job="j"})', ['x{a="av"}'], [{"a": "av", "job": "j"}], ("b", "c")),
    ("absent(sum by (a) (nope))", ['x{a="av"}'], [{}], ("a",)),
    ("vector(1)", ['x{a="av"}'], [{}], ("a",)),
    ('count_values("v", x)', ['x{a="av"}'], [{"v": "1"}], ()),
    ('count_values by (a) ("v", x)', ['x{a="av",b="bv"}'], [{"a": "av", "v": "1"}], ()),
    ("topk by (a) (1, x)", ['x{a="av",b="bv"}'], [{"a": "av", "b": "bv"}], ()),
    ("sum by (a) (x) > 0", ['x{a="av",b="bv"}'], [{"a": "av"}], ()),
    ("0 < x", ['x{a="av",b="bv"}'], [{"a": "av", "b": "bv"}], ()),
    ("sum by (a) (x) or sum by (b) (y)", ['x{a="av",c="cv"}', 'y{b="bv",c="cv"}'], [{"a": "av"}, {"b": "bv"}], ()),
    # Prometheus sets no label for an empty value, nor for a label matched with = twice
    ('absent(nope{a="", b="bv"})', ['x{a="av"}'], [{"b": "bv"}], ("a",)),
    ('absent(nope{b="1", b="2"})', ['x{a="av"}'], [{}], ("b",)),
]


def _series(entry) -> dict:
    series, values = entry if isinstance(entry, tuple) else (entry, "1x5")
    return {"series": series, "values": values}


def _selector_text(labels: dict) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


@pytest.mark.live  # promtool evaluates every expression
@needs_promtool
@pytest.mark.parametrize("expr, series, results, extra", REAL, ids=[c[0] for c in REAL])
def test_labels_match_prometheus(tmp_path, expr, series, results, extra):
    (tmp_path / "rules.yaml").write_text("groups: []\n", encoding="utf-8")
    test = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [_series(s) for s in series],
                "promql_expr_test": [
                    {
                        "expr": f"({expr}) * 0",
                        "eval_time": "1m",
                        "exp_samples": [{"labels": _selector_text(r), "value": 0} for r in results],
                    }
                ],
            }
        ],
    }
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(test, sort_keys=False), encoding="utf-8")
    proc = subprocess.run([PROMTOOL, "test", "rules", "test.yaml"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"Prometheus disagrees with the test's expectation:\n{proc.stdout}{proc.stderr}"

    labels = analyze(expr).labels
    real = set().union(*(r.keys() for r in results))
    for name in real:
        assert labels.can_have(name), f"{expr}: Prometheus returns {name}, analyze says it cannot: {labels}"
    if labels.exact is not None:
        assert labels.exact == real
    else:
        # an open set stands for the carrying side's labels: it must drop what Prometheus drops
        first = _series(series[0])["series"]
        for name in set(re.findall(r"(\w+)=", first)) - real:
            assert not labels.can_have(name), f"{expr}: Prometheus drops {name}, analyze keeps it: {labels}"
    for name in extra:
        assert not labels.can_have(name), f"{expr}: analyze says {name} is possible: {labels}"
