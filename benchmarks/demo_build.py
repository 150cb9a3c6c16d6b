"""Benchmark: build the default demo park into SQLite.

Target (issue: foundation): the default demo (6 enterprises, 1 year, 15 min) builds in under 60 s on a
2-core machine. Reports readings/s written, the ratio to a raw ``sqlite3`` ``executemany`` of the same rows
into a table of the same shape measured in the same run, and peak memory (max RSS of this process).

    python benchmarks/demo_build.py [--enterprises 6] [--days 365] [--interval 900] [--no-record]
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import tempfile
import time
from pathlib import Path

from _machine import record

from shuixiao.demo import DemoConfig
from shuixiao.demo.build import build_demo
from shuixiao.storage import Store


def raw_executemany(source: Path, target: Path) -> tuple[int, float]:
    """Copy every reading of ``source`` into an identical table with one executemany; return (rows, s)."""
    with sqlite3.connect(source) as src:
        ddl = src.execute("SELECT sql FROM sqlite_master WHERE name = 'readings'").fetchone()[0]
        rows = src.execute("SELECT meter_key, ts, value, quality, origin FROM readings").fetchall()
    dst = sqlite3.connect(target)
    dst.execute("PRAGMA journal_mode=WAL")
    dst.execute("PRAGMA synchronous=NORMAL")
    dst.execute(ddl)
    started = time.perf_counter()
    with dst:
        dst.executemany(
            "INSERT INTO readings (meter_key, ts, value, quality, origin) VALUES (?, ?, ?, ?, ?)", rows
        )
    seconds = time.perf_counter() - started
    dst.close()
    return len(rows), seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--enterprises", type=int, default=6)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--interval", type=int, default=900)
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args()
    config = DemoConfig(enterprises=args.enterprises, days=args.days, interval=args.interval)

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "shuixiao.db"
        with Store.open(f"sqlite:///{db}") as store:
            store.upgrade()
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            report = build_demo(store, config, Path(tmp) / "demo")
            rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        raw_rows, raw_seconds = raw_executemany(db, Path(tmp) / "raw.db")
        size = db.stat().st_size

    build_rate = report.readings / report.seconds
    raw_rate = raw_rows / raw_seconds
    verdict = "met" if report.seconds < 60 else "NOT met"
    lines = [
        f"- demo: {report.enterprises} enterprises, {report.meters} meters, {args.days} days, "
        f"{args.interval} s interval: {report.readings:,} readings and {report.aggregates:,} aggregate rows "
        "(15 min, hour, day, month)",
        f"- build: {report.seconds:.1f} s (target < 60 s: {verdict}) → {build_rate:,.0f} readings/s "
        "including generation, aggregates, model files and networks",
        f"- baseline, same run: raw sqlite3 executemany of the same {raw_rows:,} rows: {raw_seconds:.1f} s → "
        f"{raw_rate:,.0f} rows/s",
        f"- ratio build / raw executemany: {build_rate / raw_rate:.2f} (the build also generates the data and "
        "writes the aggregates)",
        f"- peak memory (max RSS): {rss_peak / 1024:.0f} MiB ({rss_before / 1024:.0f} MiB before the build)",
        f"- database file: {size / 2**20:.0f} MiB",
    ]
    if args.no_record:
        print("\n".join(lines))
    else:
        print(record("demo_build", lines))


if __name__ == "__main__":
    main()
