"""The notification config file: TOML or YAML, channels validated, secrets only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from shuixiao.alarms import Severity
from shuixiao.errors import ConfigurationError
from shuixiao.notify import CONFIG_VARIABLE, config_path, load_notify_config

pytestmark = pytest.mark.unit

TOML = """
language = "zh+en"
timezone = "Asia/Shanghai"

[[channels]]
name = "ops-webhook"
kind = "webhook"
url = "https://ops.example.com/hooks/shuixiao"
secret_env = "SHUIXIAO_WEBHOOK_SECRET"
min_severity = "major"
events = ["raised", "escalated"]
headers = { "X-Plant" = "xg" }

[[channels]]
name = "manager"
kind = "email"
host = "smtp.example.com"
security = "starttls"
username = "alarms@example.com"
password_env = "SHUIXIAO_SMTP_PASSWORD"
sender = "水效预警 <alarms@example.com>"
to = ["manager@example.com"]
enterprises = ["xg-steel"]
language = "zh"
timeout = 20
"""


def test_toml_and_yaml_give_the_same_channels(tmp_path: Path) -> None:
    toml = tmp_path / "notify.toml"
    toml.write_text(TOML, encoding="utf-8")
    config = load_notify_config(toml)
    hook, mail = config.channels
    assert (hook.min_severity, hook.events, hook.language, hook.headers) == (
        Severity.MAJOR,
        ("raised", "escalated"),
        "zh+en",
        (("X-Plant", "xg"),),
    )
    assert (mail.port, mail.security, mail.enterprises, mail.timeout, mail.target) == (
        587,
        "starttls",
        ("xg-steel",),
        20.0,
        "manager@example.com",
    )
    assert hook.wants("any", Severity.CRITICAL, "escalated") and not hook.wants(
        "any", Severity.WARNING, "raised"
    )
    assert not mail.wants("zz-paper", Severity.CRITICAL, "raised") and mail.wants(
        "xg-steel", Severity.WARNING, "cleared"
    )
    assert config.channel("manager") is mail and config.channel("nope") is None
    yaml_file = tmp_path / "notify.yaml"
    yaml_file.write_text(
        "language: zh+en\nchannels:\n- {name: ops-webhook, kind: webhook, url: 'https://ops.example.com/hooks/shuixiao',"
        " secret_env: SHUIXIAO_WEBHOOK_SECRET, min_severity: major, events: [raised, escalated], headers: {X-Plant: xg}}\n",
        encoding="utf-8",
    )
    assert load_notify_config(yaml_file).channels[0] == hook


def test_path_from_option_or_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(CONFIG_VARIABLE, raising=False)
    assert config_path() is None
    monkeypatch.setenv(CONFIG_VARIABLE, str(tmp_path / "a.toml"))
    assert config_path() == tmp_path / "a.toml"
    assert config_path(tmp_path / "b.toml") == tmp_path / "b.toml"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[channels]]\nname = 'x'\nkind = 'sms'\n", "kind must be webhook or email"),
        ("[[channels]]\nname = 'x'\nkind = 'webhook'\nurl = 'ftp://x'\n", "url must be an http"),
        (
            "[[channels]]\nname = 'x'\nkind = 'webhook'\nurl = 'http://x'\npassword = 'p'\n",
            "unknown field password",
        ),
        (
            "[[channels]]\nname = 'x'\nkind = 'email'\nhost = 'h'\nsender = 'a@b'\nto = ['nobody']\n",
            "to must list e-mail",
        ),
        (
            "[[channels]]\nname = 'x'\nkind = 'email'\nhost = 'h'\nsender = 'a@b'\nto = 'c@d'\nsecurity = 'tls'\n",
            "security must be one of",
        ),
        (
            "[[channels]]\nname = 'x'\nkind = 'webhook'\nurl = 'http://x'\nmin_severity = 'loud'\n",
            "min_severity",
        ),
        (
            "[[channels]]\nname = 'x'\nkind = 'webhook'\nurl = 'http://x'\nevents = ['opened']\n",
            "events: use raised",
        ),
        (
            "[[channels]]\nname = 'x'\nkind = 'webhook'\nurl = 'http://x'\n[[channels]]\nname = 'x'\nkind = 'webhook'\nurl = 'http://y'\n",
            "unique",
        ),
        ("language = 'fr'\n", "language must be one of"),
        ("timezone = 'Mars/Olympus'\n", "not an IANA zone"),
        ("channels = 3\n", "channels must be a list"),
        ("[[channels]\n", "cannot be read"),
        ("secret = 'x'\n", "language, timezone and channels only"),
    ],
)
def test_bad_configs_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "notify.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=message):
        load_notify_config(path)


def test_missing_file_says_where_it_was_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=f"fix --notify-config or {CONFIG_VARIABLE}"):
        load_notify_config(tmp_path / "none.toml")
