"""What every command needs: settings, the store, output in the chosen language."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console

from shuixiao.cli._text import text
from shuixiao.config import Settings, load_settings
from shuixiao.storage import Store


class Context:
    """Settings and the store, opened on first use and closed by :func:`shuixiao.cli.main`."""

    def __init__(self, args: argparse.Namespace) -> None:
        self._args = args
        self._settings: Settings | None = None
        self._store: Store | None = None
        # A terminal gets its own width; a pipe or a file gets wide, untruncated tables.
        self.out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)

    @property
    def settings(self) -> Settings:
        """The settings from options, environment and config file."""
        if self._settings is None:
            self._settings = load_settings(
                self._args.config,
                data_dir=self._args.data_dir,
                database_url=self._args.database_url,
                language=self._args.lang,
            )
        return self._settings

    def store(self, *, check_schema: bool = True) -> Store:
        """The store of these settings; its schema is checked unless told otherwise."""
        if self._store is None:
            self._store = Store.open(self.settings.database_url)
        if check_schema:
            self._store.check_schema()
        return self._store

    def t(self, key: str, **values: Any) -> str:
        """Translate ``key`` into the output language."""
        return text(key, self.settings.language, **values)

    def print_json(self, data: Any) -> None:
        """Write ``data`` as JSON on standard output (UTF-8, not ASCII-escaped)."""
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")

    def close(self) -> None:
        """Close the store if it was opened."""
        if self._store is not None:
            self._store.close()
            self._store = None
