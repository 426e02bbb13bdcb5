"""Target settings: every bad value is a ConfigError naming `<where>.<key>`, secrets come from
files or environment variables and never show up in errors or reprs."""

from __future__ import annotations

import subprocess
import sys

import pytest

import support.alertsamples as samples
from support.chatfakes import DingTalkFake
from support.deliver import deliver
from common.errors import ConfigError
from relay.targets import KINDS

WHERE = "relay.yaml: targets.ops"
TOKEN = "tok-9f8e7d6c"
URLS = {
    "dingtalk": f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}",
    "wecom": f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={TOKEN}",
    "feishu": f"https://open.feishu.cn/open-apis/bot/v2/hook/{TOKEN}",
    "slack": f"https://hooks.slack.com/services/T0/B0/{TOKEN}",
    "webhook": f"https://cmdb.example/alerts?token={TOKEN}",
}
CHAT = ["dingtalk", "feishu", "slack", "wecom"]


def load(_kind: str, **settings):
    return KINDS[_kind].from_config("ops", settings, WHERE)


@pytest.mark.parametrize("kind", sorted(URLS))
def test_unknown_key_is_named_with_the_known_ones(kind):
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.colour: unknown key \(known: .*url_file"):
        load(kind, url=URLS[kind], colour="red")


@pytest.mark.parametrize("kind", sorted(URLS))
def test_engine_keys_are_accepted(kind, tmp_path):
    target = load(kind, url=URLS[kind], kind=kind, rate_limits=[{"count": 1, "per": "1m"}],
                  config_dir=str(tmp_path), timezone="UTC")
    assert target.name == "ops" and target.kind == kind
    assert TOKEN not in repr(target)


@pytest.mark.parametrize("kind", sorted(URLS))
def test_url_problems_name_the_key_never_the_url(kind, tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match=rf"^{WHERE}: one of url_file, url_env, url is required"):
        load(kind)
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.url_file: cannot read .*nope"):
        load(kind, url_file=str(tmp_path / "nope"))
    monkeypatch.delenv("RELAY_TEST_URL", raising=False)
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.url_env: environment variable RELAY_TEST_URL is not set"):
        load(kind, url_env="RELAY_TEST_URL")
    (tmp_path / "url").write_text(f"ftp://x/{TOKEN}")
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.url_file: not an http\(s\) URL") as error:
        load(kind, url_file=str(tmp_path / "url"))
    assert TOKEN not in str(error.value)
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.url_env: give only one"):
        load(kind, url_file=str(tmp_path / "url"), url_env="X")


@pytest.mark.parametrize("kind, query", [("dingtalk", "access_token"), ("wecom", "key")])
def test_url_without_its_token_parameter(kind, query, tmp_path):
    (tmp_path / "url").write_text("https://example.com/robot/send?other=" + TOKEN)
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.url_file: the URL has no {query}=") as error:
        load(kind, url_file=str(tmp_path / "url"))
    assert TOKEN not in str(error.value)


@pytest.mark.parametrize("kind", CHAT)
def test_bad_timezone_and_sizes(kind):
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.timezone: unknown time zone 'Mars/Olympus'"):
        load(kind, url=URLS[kind], timezone="Mars/Olympus")
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.max_bytes: .* over the service's limit"):
        load(kind, url=URLS[kind], max_bytes=10**6)
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.max_bytes: must be a positive integer"):
        load(kind, url=URLS[kind], max_bytes="big")
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.template: must be a non-empty string"):
        load(kind, url=URLS[kind], template=3)


@pytest.mark.parametrize("kind", ["dingtalk", "feishu"])
def test_signing_secret_only_from_file_or_env(kind, tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.secret: put the secret in a file or variable"):
        load(kind, url=URLS[kind], secret="SEC")
    monkeypatch.delenv("NO_SUCH_SECRET", raising=False)
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.secret_env: environment variable NO_SUCH_SECRET"):
        load(kind, url=URLS[kind], secret_env="NO_SUCH_SECRET")
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.secret_env: give only one of secret_file, secret_env"):
        load(kind, url=URLS[kind], secret_file="a", secret_env="b")


def test_slack_and_wecom_take_no_secret():
    for kind in ("slack", "wecom"):
        with pytest.raises(ConfigError, match=rf"^{WHERE}\.secret_file: unknown key"):
            load(kind, url=URLS[kind], secret_file="x")


def test_dingtalk_secret_keys(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.secret: put the secret in a file or variable"):
        load("dingtalk", url=URLS["dingtalk"], secret="SEC")
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.secret_file: the secret from file .*empty is empty"):
        load("dingtalk", url=URLS["dingtalk"], secret_file=str(tmp_path / "empty"))
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.mobiles: must be a list"):
        load("dingtalk", url=URLS["dingtalk"], mobiles="13800000000")
    with pytest.raises(ConfigError, match=rf"^{WHERE}\.at_all: must be true or false"):
        load("dingtalk", url=URLS["dingtalk"], at_all="yes")


def test_secrets_from_environment_sign_and_stay_hidden(monkeypatch):
    with DingTalkFake(token=TOKEN, secret="SEC-abc123") as fake:
        monkeypatch.setenv("RELAY_DT_URL", fake.url)
        monkeypatch.setenv("RELAY_DT_SECRET", "SEC-abc123")
        target = load("dingtalk", url_env="RELAY_DT_URL", secret_env="RELAY_DT_SECRET")
        assert deliver(target, [samples.firing()]).kind == "ok"
    shown = repr(target) + str(target.secret) + repr(target.url) + repr(vars(target))
    assert TOKEN not in shown and "SEC-abc123" not in shown
    assert "env RELAY_DT_SECRET" in repr(target.secret)


def test_relative_files_are_read_from_the_config_folder(tmp_path):
    (tmp_path / "dt-url").write_text(URLS["dingtalk"] + "\n")
    target = load("dingtalk", url_file="dt-url", config_dir=str(tmp_path))
    assert target.url.reveal() == URLS["dingtalk"]


@pytest.mark.parametrize("module", [
    "relay.message", "relay.render", "relay.samples", "relay.targets.base",
    "relay.targets.settings", "relay.targets.chat", "relay.targets.dingtalk",
])
@pytest.mark.live  # a fresh Python process per module
def test_any_relay_module_can_be_imported_first_and_registers_every_kind(module):
    """The engine may import any of these first; a cycle would surface as an ImportError."""
    code = f"import {module}; from relay.targets import KINDS; print(sorted(KINDS))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['dingtalk', 'feishu', 'slack', 'webhook', 'wecom']"
