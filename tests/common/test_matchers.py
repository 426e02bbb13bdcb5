"""The one matcher parser (common.matchers) that the routing the compiler writes and the
relay's own routes both use: Alertmanager's syntax, proven against a real Alertmanager 0.25,
which parses the same text for its API's `filter` (labels.ParseMatchers): every matcher here
is either refused by both or selects exactly the same alerts in both."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
import yaml

from common.matchers import Matcher, MatcherError, parse_matcher
from support.live import running_alertmanager

# label values an alert may carry (None: no `team` label at all)
TEAMS = ["db", "infra", "mydb", "DB", 'a "quoted" word', "C:\\dir", "C:\\\\dir", "line\nfeed", "", "数据库", "db\\", None]

MATCHERS = [
    'team="db"', "team=db", "  team = db  ", 'team=~"db|infra"', "team=~db|infra", 'team=~"d"', 'team!="db"',
    'team!~"d.*"', 'team=""', 'team!=""', 'team=~""', 'team=~".+"', 'team=~"(?i)db"', 'team=~".*db"',
    r'team="a \"quoted\" word"', r'team="C:\\dir"', r'team="C:\dir"', r"team=C:\dir", r'team="line\nfeed"',
    'team=~"line.feed"', 'team="数据库"', "team=db\\", 'team="db\\"', 'a:b="x"', 'team=""db', 'team=~"db|("',
    'team="db', 'team=d"b', 'team="d"b"', "team", '1team="db"', 'team=="db"',
]


@pytest.mark.parametrize("text, labels, expected", [
    ('severity="critical"', {"severity": "critical"}, True),
    ("severity=critical", {"severity": "warning"}, False),
    ('team=~"db|infra"', {"team": "infra"}, True),
    ('team=~"db|infra"', {"team": "dbx"}, False),          # anchored: no partial match
    ('team!~"db|infra"', {"team": "web"}, True),
    ('team!=""', {}, False),                                # a missing label reads as ""
    ('team=""', {}, True),
    (r'msg="a \"quoted\" word"', {"msg": 'a "quoted" word'}, True),
    (r'path="C:\dir"', {"path": "C:\\dir"}, True),          # a backslash before anything else is literal
    (r'msg="two\nlines"', {"msg": "two\nlines"}, True),
    ('msg=~"two.lines"', {"msg": "two\nlines"}, False),     # `.` stops at a line feed, as in RE2
])
def test_matcher_semantics(text, labels, expected):
    assert parse_matcher(text).matches(labels) is expected


@pytest.mark.parametrize("text, message", [
    ("severity", "is not a matcher"),
    ('team=~"db|("', "not a valid regular expression"),
    ('team="db', "no closing double quote"),
    ('team="d"b"', "unescaped double quote"),
    ("1abc=x", "is not a matcher"),
    (42, "must be a string"),
])
def test_bad_matchers_are_explained(text, message):
    with pytest.raises(MatcherError, match=message):
        parse_matcher(text)


@pytest.mark.parametrize("value", [v for v in TEAMS if v is not None])
def test_written_matchers_read_back_the_same(value):
    """What the build writes into alertmanager.yaml (str) parses to the same matcher."""
    for op in ("=", "!="):
        m = Matcher("team", op, value)
        assert parse_matcher(str(m)) == m


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("matchers-am")
    config = tmp / "alertmanager.yml"
    config.write_text(yaml.safe_dump({"route": {"receiver": "none"}, "receivers": [{"name": "none"}]}))
    with running_alertmanager(tmp, str(config)) as am:
        now = dt.datetime.now(dt.timezone.utc)
        am.post_alerts([{"labels": {"alertname": f"A{i}", **({"team": team} if team is not None else {})},
                         "startsAt": now.isoformat(), "endsAt": (now + dt.timedelta(hours=1)).isoformat()}
                        for i, team in enumerate(TEAMS)])
        yield am


@pytest.mark.parametrize("text", MATCHERS)
def test_alertmanager_reads_every_matcher_as_we_do(alertmanager, text):
    try:
        ours = parse_matcher(text)
    except MatcherError:
        ours = None
    try:
        theirs = {a["labels"]["alertname"] for a in alertmanager.alerts(filter=text)}
    except requests.HTTPError as exc:
        assert exc.response.status_code == 400, exc
        assert ours is None, f"Alertmanager refuses {text!r} ({exc.response.text.strip()}); we read {ours}"
        return
    assert ours is not None, f"Alertmanager accepts {text!r}, we refuse it"
    expected = {f"A{i}" for i, team in enumerate(TEAMS) if ours.matches({} if team is None else {"team": team})}
    assert theirs == expected, f"{text!r}: Alertmanager selects {sorted(theirs)}, we select {sorted(expected)}"
