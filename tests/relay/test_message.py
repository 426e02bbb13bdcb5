"""The message view: local times with the zone shown, durations, silence links, key labels,
clipping, and the cut at alert boundaries."""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

import pytest

import support.alertsamples as samples
from relay.message import (
    build_view, clip, format_duration, format_time, key_labels, silence_url, zone,
)
from relay.render import fit_text

UTC = dt.timezone.utc


@pytest.mark.parametrize("name, expected", [
    ("Asia/Shanghai", "2023-11-15 06:13:20 CST"),
    ("UTC", "2023-11-14 22:13:20 UTC"),
    ("Europe/Berlin", "2023-11-14 23:13:20 CET"),
    ("Asia/Singapore", "2023-11-15 06:13:20 UTC+08:00"),  # tzdata abbreviation is just "+08"
    ("Asia/Kolkata", "2023-11-15 03:43:20 IST"),
])
def test_times_in_the_zone_with_the_zone_shown(name, expected):
    assert format_time(dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC), zone(name)) == expected


def test_unknown_zone_is_a_value_error():
    with pytest.raises(ValueError, match="unknown time zone 'Nowhere/Land'"):
        zone("Nowhere/Land")


@pytest.mark.parametrize("seconds, expected", [
    (0, "0s"), (42, "42s"), (3905, "1h 5m 5s"), (3600, "1h"), (90061, "1d 1h 1m"),
    (2 * 86400 + 3 * 3600, "2d 3h"), (-5, "0s"),
])
def test_durations(seconds, expected):
    assert format_duration(seconds) == expected


def test_silence_link_prefills_every_label_with_alertname_first():
    url = silence_url("http://am:9093/", {"severity": "critical", "pod": 'we"b\\1', "alertname": "X"})
    prefix = "http://am:9093/#/silences/new?filter="
    assert url.startswith(prefix)
    assert unquote(url[len(prefix):]) == '{alertname="X",pod="we\\"b\\\\1",severity="critical"}'
    assert silence_url("", {"alertname": "X"}) == ""


def test_key_labels_known_ones_first_then_the_rest_without_plumbing():
    labels = {"alertname": "A", "severity": "warning", "zone": "b", "pod": "p", "namespace": "n",
              "prometheus": "monitoring/k8s", "node": "n1", "endpoint": "http", "app": "web"}
    assert key_labels(labels) == (("namespace", "n"), ("pod", "p"), ("node", "n1"),
                                  ("app", "web"), ("zone", "b"))


def test_clip_counts_utf8_bytes_and_keeps_whole_characters():
    assert clip("short", 10) == "short"
    clipped = clip("告警" * 100, 20)
    assert clipped == "告警告警告…" and len(clipped.encode()) <= 20


def test_view_of_a_resolved_alert():
    view = build_view([samples.resolved()], zone("Asia/Shanghai"))
    (alert,) = view.alerts
    assert (alert.status, alert.name, alert.severity) == ("resolved", "KubePodCrashLooping", "critical")
    assert alert.starts == "2023-11-15 06:13:20 CST" and alert.ends == "2023-11-15 07:18:25 CST"
    assert alert.duration == "1h 5m 5s"
    assert alert.starts_at.utcoffset() == dt.timedelta(hours=8)
    assert [link.label for link in alert.links] == ["Source", "Runbook", "Dashboard", "Silence"]
    assert view.title == "[RESOLVED:1] KubePodCrashLooping" and view.status == "resolved"


def test_firing_alert_has_no_end_or_duration_and_missing_links_are_left_out():
    body = samples.payload(samples.alert())
    del body["alerts"][0]["annotations"]["runbook_url"]
    body["externalURL"] = ""
    (alert,) = build_view([samples.notification(body)], zone("UTC")).alerts
    assert (alert.ends, alert.duration, alert.ends_at) == ("", "", None)
    assert [link.label for link in alert.links] == ["Source", "Dashboard"]


def test_include_cuts_across_groups_in_order_and_counts_the_rest():
    groups = [samples.many(3, name="A"), samples.many(4, name="B"), samples.many(2, name="C")]
    view = build_view(groups, zone("UTC"), include=5)
    assert [g.title for g in view.groups] == ["[FIRING:3] A", "[FIRING:4] B"]
    assert [len(g.alerts) for g in view.groups] == [3, 2] and view.groups[1].omitted == 2
    assert (view.total_alerts, view.omitted, view.more_line) == (9, 4, "... and 4 more in the next message")
    assert view.included == (3, 2, 0)
    assert view.digest and view.title == "[FIRING:9 RESOLVED:0] 3 alert groups"
    assert build_view(groups, zone("UTC")).more_line == ""


def test_fit_text_keeps_the_longest_prefix_that_fits():
    text = "abcdefghij" * 10
    cut = fit_text(text, lambda t: len(t) <= 30, marker="~")
    assert cut == text[:29] + "~"
