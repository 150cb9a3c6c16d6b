"""The leak engine's public names, and what importing it loads (HOUSE_STYLE 2.1)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import shuixiao.leaks

FORBIDDEN = ["sqlalchemy", "fastapi", "paho", "pydantic_settings", "alembic", "psycopg", "wntr", "matplotlib"]


@pytest.mark.unit
def test_all_is_sorted_and_complete() -> None:
    exported = list(shuixiao.leaks.__all__)
    assert exported == sorted(exported, key=lambda s: (not s.isupper(), s))
    public = {n for n, v in vars(shuixiao.leaks).items() if not n.startswith("_") and callable(v)}
    assert set(exported) >= public - {"detect", "files", "losses", "network", "scenarios", "score"}
    for name in exported:
        assert hasattr(shuixiao.leaks, name)


@pytest.mark.integration
def test_importing_the_engine_loads_no_adapter_and_no_wntr() -> None:
    code = (
        "import json, sys\n"
        "import shuixiao.leaks\n"
        f"print(json.dumps(sorted(m for m in {FORBIDDEN!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
