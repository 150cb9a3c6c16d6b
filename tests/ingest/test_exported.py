"""The public names of shuixiao.ingest (sorted and complete, as tests/test_exported_members.py checks elsewhere)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import shuixiao.ingest
import shuixiao.ingest.mqtt


@pytest.mark.unit
@pytest.mark.parametrize("module", [shuixiao.ingest, shuixiao.ingest.mqtt])
def test_all_is_sorted_and_complete(module: object) -> None:
    exported = list(module.__all__)  # type: ignore[attr-defined]
    assert exported == sorted(exported, key=lambda s: (not s.isupper(), s))
    for name in exported:
        assert hasattr(module, name), name


@pytest.mark.integration
def test_importing_ingest_loads_neither_paho_nor_openpyxl() -> None:
    code = "import sys, shuixiao.ingest; print(sorted(m for m in ('paho', 'openpyxl') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
