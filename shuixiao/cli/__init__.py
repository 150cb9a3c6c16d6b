"""The ``shuixiao`` command: ``shuixiao <noun> <verb> [options]``.

A thin layer over the engines and adapters.  User mistakes print a message
and exit with status 1 (2 for wrong command-line usage); they never print a
traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from shuixiao import __version__
from shuixiao.cli import (
    _agent,
    _alarm,
    _balance,
    _db,
    _demo,
    _ingest,
    _leak,
    _ledger,
    _model,
    _plan,
    _serve,
    _users,
)
from shuixiao.cli._context import Context
from shuixiao.errors import ShuixiaoError

__all__ = ["build_parser", "main"]

_NOUNS = (_agent, _alarm, _balance, _db, _demo, _ingest, _leak, _ledger, _model, _plan, _serve, _users)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``shuixiao`` command."""
    parser = argparse.ArgumentParser(
        prog="shuixiao",
        description=(
            "shuixiao (水效): industrial water-efficiency platform — water-system models, "
            "metering data, water balance and more."
        ),
        epilog="Settings also come from SHUIXIAO_* environment variables and shuixiao.toml; see docs/configuration.md.",
    )
    parser.add_argument("--version", action="version", version=f"shuixiao {__version__}")
    parser.add_argument(
        "--config", metavar="FILE", help="TOML config file (default: ./shuixiao.toml if present)"
    )
    parser.add_argument("--data-dir", metavar="DIR", help="data directory (env SHUIXIAO_DATA_DIR)")
    parser.add_argument("--database-url", metavar="URL", help="database URL (env SHUIXIAO_DATABASE_URL)")
    parser.add_argument("--lang", choices=("zh", "en"), help="language of the output (default zh)")
    nouns = parser.add_subparsers(dest="noun", metavar="<command>", required=True)
    for noun in _NOUNS:
        noun.register(nouns)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 1 for an error the user can fix, 2 for wrong usage,
        130 when interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    context = Context(args)
    try:
        status: int = args.handler(context, args)
        return status
    except ShuixiaoError as err:
        print(f"shuixiao: error: {err.diagnostics()}", file=sys.stderr)  # noqa: T201
        return 1
    except KeyboardInterrupt:
        print("shuixiao: interrupted", file=sys.stderr)  # noqa: T201
        return 130
    finally:
        context.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
