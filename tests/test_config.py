"""Tests of shuixiao.config: precedence, defaults and actionable errors."""

from pathlib import Path

import pytest

from shuixiao.config import config_file, load_settings
from shuixiao.errors import ConfigurationError

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "SHUIXIAO_DATA_DIR",
        "SHUIXIAO_DATABASE_URL",
        "SHUIXIAO_CONFIG",
        "SHUIXIAO_LANGUAGE",
        "SHUIXIAO_TIMEZONE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.chdir(tmp_path)


def test_defaults(tmp_path: Path) -> None:
    s = load_settings()
    assert s.data_dir == tmp_path / "xdg-data" / "shuixiao"
    assert s.database_url == f"sqlite:///{tmp_path / 'xdg-data' / 'shuixiao' / 'shuixiao.db'}"
    assert s.timezone == "Asia/Shanghai" and s.language == "zh"
    assert str(s.zone) == "Asia/Shanghai"


def test_precedence_options_over_env_over_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "shuixiao.toml").write_text('language = "en"\ndata_dir = "from-file"\ntimezone = "UTC"\n')
    assert load_settings().data_dir == Path("from-file")
    monkeypatch.setenv("SHUIXIAO_DATA_DIR", str(tmp_path / "from-env"))
    s = load_settings()
    assert s.data_dir == tmp_path / "from-env" and s.language == "en" and s.timezone == "UTC"
    s = load_settings(data_dir=str(tmp_path / "from-option"), language=None)
    assert s.data_dir == tmp_path / "from-option" and s.language == "en"


def test_two_instances_side_by_side(tmp_path: Path) -> None:
    a = tmp_path / "a.toml"
    b = tmp_path / "b.toml"
    a.write_text('data_dir = "/srv/a"\n')
    b.write_text('database_url = "postgresql+psycopg://db.example/shuixiao_b"\n')
    sa, sb = load_settings(a), load_settings(b)
    assert sa.database_url == "sqlite:////srv/a/shuixiao.db"
    assert sb.database_url == "postgresql+psycopg://db.example/shuixiao_b"


def test_config_file_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert config_file() is None
    xdg = tmp_path / "xdg-config" / "shuixiao" / "config.toml"
    xdg.parent.mkdir(parents=True)
    xdg.write_text('language = "en"\n')
    assert config_file() == xdg
    assert load_settings().language == "en"
    monkeypatch.setenv("SHUIXIAO_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(
        ConfigurationError, match="missing.toml does not exist; fix --config or SHUIXIAO_CONFIG"
    ):
        load_settings()


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('database_url = "mysql://localhost/x"', "database_url: use sqlite:///PATH"),
        ('timezone = "Asia/Beijing"', "timezone: 'Asia/Beijing' is not an IANA time zone"),
        ('language = "fr"', "language: Input should be 'zh' or 'en'"),
        ('langauge = "en"', "langauge: unknown setting; known settings are data_dir"),
        ('data_dir = "unterminated', "cannot read config file"),
    ],
)
def test_bad_settings_say_what_to_change(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml + "\n")
    with pytest.raises(ConfigurationError) as info:
        load_settings(path)
    assert message in str(info.value)


def test_bad_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHUIXIAO_LANGUAGE", "de")
    with pytest.raises(ConfigurationError, match="language"):
        load_settings()
