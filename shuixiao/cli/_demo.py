"""``shuixiao demo``: build the demo park."""

from __future__ import annotations

import argparse
import datetime as dt
import re
from typing import Any

from shuixiao.cli._context import Context
from shuixiao.demo import DemoConfig
from shuixiao.demo.build import build_demo, demo_exists

_INTERVAL = re.compile(r"^\s*(\d+)\s*(s|sec|min|m|h)?\s*$")
_SECONDS = {None: 1, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600}


def interval_seconds(text: str) -> int:
    """Parse ``900``, ``900s``, ``15min`` or ``1h`` into seconds.

    Examples
    --------
    >>> interval_seconds("15min")
    900
    """
    match = _INTERVAL.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not an interval; write e.g. 900, 15min or 1h")
    return int(match.group(1)) * _SECONDS[match.group(2)]


def register(nouns: Any) -> None:
    """Add the ``demo`` command and its verbs to ``nouns``."""
    demo = nouns.add_parser(
        "demo", help="the demo industrial park", description="Build the demo industrial park."
    )
    verbs = demo.add_subparsers(dest="verb", metavar="<verb>", required=True)
    build_parser = verbs.add_parser(
        "build",
        help="generate the demo park and a year of meter data",
        description=(
            "Generate a fictional industrial park in Hunan with one enterprise per key industry "
            "(steel, petrochemical, textile dyeing, paper, beer, non-ferrous metals), their water systems, "
            "pipe networks and simulated meter data, and write them to the database. Deterministic from --seed."
        ),
    )
    defaults = DemoConfig()
    build_parser.add_argument(
        "--enterprises",
        type=int,
        default=defaults.enterprises,
        metavar="N",
        help=f"number of enterprises (default {defaults.enterprises}; more cycle the six industries)",
    )
    build_parser.add_argument(
        "--days",
        type=int,
        default=defaults.days,
        metavar="N",
        help=f"days of meter data (default {defaults.days})",
    )
    build_parser.add_argument(
        "--interval",
        type=interval_seconds,
        default=defaults.interval,
        metavar="SECONDS",
        help="reading interval: seconds, or 15min, 1h (default 15min)",
    )
    build_parser.add_argument(
        "--seed", type=int, default=defaults.seed, metavar="N", help=f"random seed (default {defaults.seed})"
    )
    build_parser.add_argument(
        "--start",
        type=dt.date.fromisoformat,
        default=defaults.start,
        metavar="YYYY-MM-DD",
        help=f"first day, local time (default {defaults.start})",
    )
    build_parser.add_argument(
        "--replace", action="store_true", help="delete and rebuild a demo park that exists"
    )
    build_parser.set_defaults(handler=build)


def build(ctx: Context, args: argparse.Namespace) -> int:
    """Build the demo park into the store and the data directory."""
    config = DemoConfig(
        enterprises=args.enterprises, days=args.days, interval=args.interval, seed=args.seed, start=args.start
    )
    store = ctx.store()
    existing = demo_exists(store, config)
    if existing and not args.replace:
        ctx.out.print(ctx.t("demo.exists", enterprises=existing))
        return 0
    ctx.out.print(
        ctx.t(
            "demo.building",
            enterprises=config.enterprises,
            days=config.days,
            interval=config.interval,
            seed=config.seed,
        )
    )
    report = build_demo(store, config, ctx.settings.data_dir / "demo", replace=args.replace)
    ctx.out.print(
        ctx.t(
            "demo.built",
            enterprises=report.enterprises,
            meters=report.meters,
            readings=report.readings,
            seconds=report.seconds,
            files=report.directory,
        )
    )
    return 0
