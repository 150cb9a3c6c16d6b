"""The engines import no web, database, messaging or settings library (HOUSE_STYLE 2.1)."""

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration

ENGINES = [
    "shuixiao",
    "shuixiao.errors",
    "shuixiao.units",
    "shuixiao.model",
    "shuixiao.series",
    "shuixiao.ledger",
    "shuixiao.reference",
    "shuixiao.balance",
    "shuixiao.leaks",
    "shuixiao.alarms",
    "shuixiao.demo",
]
FORBIDDEN = [
    "httpx",
    "fastapi",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "paho",
    "pydantic_settings",
    "wntr",
    "matplotlib",
]


def test_engines_import_without_adapters() -> None:
    code = (
        "import importlib, json, sys\n"
        f"for name in {ENGINES!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in {FORBIDDEN!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_importing_the_package_reads_no_settings() -> None:
    code = (
        "import os\n"
        "class Spy(dict):\n"
        "    def __getitem__(self, k):\n"
        "        if k.startswith(('SHUIXIAO', 'XDG')): raise SystemExit(f'read {k}')\n"
        "        return super().__getitem__(k)\n"
        "    def get(self, k, d=None):\n"
        "        if k.startswith(('SHUIXIAO', 'XDG')): raise SystemExit(f'read {k}')\n"
        "        return super().get(k, d)\n"
        "os.environ = Spy(os.environ)\n"
        "import shuixiao, shuixiao.model, shuixiao.units\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
