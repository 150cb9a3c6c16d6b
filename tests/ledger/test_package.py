"""The public face of shuixiao.ledger: a sorted, complete ``__all__`` and a pure import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import shuixiao.ledger
from shuixiao.ledger import batch, checkpoint, merkle, note, tiles, tree

MODULES = [batch, checkpoint, merkle, note, tiles, tree]


@pytest.mark.unit
def test_all_is_sorted_and_names_the_public_api() -> None:
    exported = shuixiao.ledger.__all__
    assert exported == sorted(exported, key=lambda s: (not s.isupper(), s))
    for name in exported:
        assert hasattr(shuixiao.ledger, name), name
    for module in MODULES:
        assert set(module.__all__) <= set(exported), module.__name__
        assert module.__all__ == sorted(module.__all__, key=lambda s: (not s.isupper(), s)), module.__name__


@pytest.mark.integration
def test_importing_the_ledger_loads_no_adapter_library() -> None:
    forbidden = [
        "fastapi",
        "sqlalchemy",
        "alembic",
        "psycopg",
        "paho",
        "pydantic_settings",
        "pydantic",
        "wntr",
        "pandas",
    ]
    code = (
        "import json, sys\n"
        "import shuixiao.ledger\n"
        f"print(json.dumps(sorted(m for m in {forbidden!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
