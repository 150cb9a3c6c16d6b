"""The service's limits file (shuixiao/data/service.yaml): every value with units and source."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from shuixiao.errors import InvalidInputError
from shuixiao.service import load_policy

pytestmark = pytest.mark.unit

SHIPPED = Path(__file__).resolve().parents[2] / "shuixiao" / "data" / "service.yaml"


def test_shipped_limits() -> None:
    policy = load_policy()
    assert policy.version >= 1
    assert (policy.argon2_time_cost, policy.argon2_memory_cost, policy.argon2_parallelism) == (2, 19456, 1)
    assert policy.login_failures_per_login < policy.login_failures_per_ip
    assert policy.login_failures_per_login * 3600 / policy.login_window <= 100  # ASVS V2.2.1
    assert policy.password_min_length >= 12 and policy.default_limit <= policy.max_limit
    assert policy.ingest_max_body < policy.ingest_max_decompressed
    assert load_policy(SHIPPED) == policy


def _write(tmp_path: Path, change: dict[str, object]) -> Path:
    document = yaml.safe_load(SHIPPED.read_text("utf-8"))
    for dotted, value in change.items():
        section, name, key = dotted.split(".")
        document[section][name][key] = value
    path = tmp_path / "service.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"login_rate_limit.window.units": "min"}, "login_rate_limit.window.units must be 's'"),
        ({"pagination.max_limit.value": 0}, "whole number above zero"),
        ({"password.min_length.source": " "}, "must say where the value comes from"),
        ({"password.min_length.value": 500}, "min_length is above password.max_length"),
    ],
)
def test_bad_limits_are_refused_with_the_entry(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        load_policy(_write(tmp_path, change))


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read"):
        load_policy(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("version: [", "utf-8")
    with pytest.raises(InvalidInputError, match="is not YAML"):
        load_policy(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n", "utf-8")
    with pytest.raises(InvalidInputError, match="needs a `version`"):
        load_policy(tmp_path / "list.yaml")
    (tmp_path / "empty.yaml").write_text("version: 1\n", "utf-8")
    with pytest.raises(InvalidInputError, match="password_hashing.time_cost needs value, units and source"):
        load_policy(tmp_path / "empty.yaml")
