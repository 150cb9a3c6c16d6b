"""The ``run`` fixture shared by the CLI tests: call ``main(argv)`` against a fresh data directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from shuixiao.cli import main

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run the CLI in a fresh directory and data directory; return (status, stdout, stderr)."""
    for name in ("SHUIXIAO_DATABASE_URL", "SHUIXIAO_CONFIG", "SHUIXIAO_LANGUAGE", "SHUIXIAO_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SHUIXIAO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)

    def _run(*argv: str) -> tuple[int, str, str]:
        status = main(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    return _run
