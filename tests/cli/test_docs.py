"""docs/cli.md shows the current --help of every command."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path

import pytest

from shuixiao.cli import main

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[2]
_spec = importlib.util.spec_from_loader(
    "cli_docs", importlib.machinery.SourceFileLoader("cli_docs", str(ROOT / "scripts" / "cli-docs"))
)
assert _spec is not None and _spec.loader is not None
cli_docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cli_docs)


@pytest.mark.parametrize("command", cli_docs.COMMANDS)
def test_cli_page_shows_current_help(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    with pytest.raises(SystemExit):
        main([*command.split(), "--help"])
    help_text = capsys.readouterr().out
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert f"{cli_docs.title(command)}\n\n```text\n{help_text}```" in page, (
        "docs/cli.md is out of date: run `.venv/bin/python scripts/cli-docs`"
    )
