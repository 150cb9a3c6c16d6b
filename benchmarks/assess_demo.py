"""Benchmark: assess a demo enterprise and the whole demo park for a year from the store; write its report.

Builds the demo park into a temporary SQLite store, then times, for the year 2025 in Asia/Shanghai:

* ``assess_enterprise`` of the steel works (volumes from the aggregates, balance, design estimates,
  reconciliation, indicators, benchmarks, tiers, findings);
* ``assess_park`` of all enterprises;
* the water-balance test report of the steel works in HTML, XLSX and PDF (issue target < 10 s);

against two baselines measured in the same run on the same store: reading the same monthly and daily
aggregates through ``Store.read_aggregates`` (what the assessment must read at least), and one plain
SQL ``SUM`` of the year's monthly volumes per meter.

    python benchmarks/assess_demo.py [--enterprises 6] [--days 365] [--no-record]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from _machine import record

from shuixiao.assess import assess_enterprise, assess_park, local_period, water_tariff
from shuixiao.assess.volumes import flow_meters
from shuixiao.demo import DemoConfig
from shuixiao.demo.build import build_demo
from shuixiao.report import write_report
from shuixiao.storage import Store

VARIANTS = {"crude_steel": "no_coking_no_cold_rolling"}


def read_baseline(store: Store, enterprises: list[str], start: object, end: object) -> tuple[float, int]:
    """Seconds to read every flow meter's P1M and P1D aggregates of the period, and the rows read."""
    started = time.perf_counter()
    rows = 0
    for eid in enterprises:
        e = store.load_enterprise(eid)
        for m in flow_meters(e):
            rows += len(store.read_aggregates(eid, m.id, "P1M", start, end))  # type: ignore[arg-type]
            rows += len(store.read_aggregates(eid, m.id, "P1D", start, end))  # type: ignore[arg-type]
    return time.perf_counter() - started, rows


def sql_baseline(db: Path, keys: list[int], start: int, end: int) -> tuple[float, int]:
    """Seconds for one plain SQL sum of the monthly volumes of the given meters over the period."""
    connection = sqlite3.connect(db)
    marks = ", ".join("?" for _ in keys)
    started = time.perf_counter()
    result = connection.execute(
        "SELECT meter_key, SUM(value), SUM(count) FROM aggregates "
        f"WHERE meter_key IN ({marks}) AND resolution = 'P1M' AND start >= ? AND start < ? GROUP BY meter_key",
        (*keys, start, end),
    ).fetchall()
    seconds = time.perf_counter() - started
    connection.close()
    return seconds, len(result)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--enterprises", type=int, default=6)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args()
    config = DemoConfig(enterprises=args.enterprises, days=args.days)

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "shuixiao.db"
        with Store.open(f"sqlite:///{db}") as store:
            store.upgrade()
            built = build_demo(store, config, Path(tmp) / "demo")
            start, end = local_period(2025)
            if args.days < 365:
                import datetime as dt

                end = start + dt.timedelta(days=args.days)
            ids = [s.id for s in store.list_enterprises()]
            park_id = store.list_parks()[0].id

            t0 = time.perf_counter()
            steel = assess_enterprise(store, "ronghu-steel", start, end, variants=VARIANTS)
            t_cold = time.perf_counter() - t0  # includes loading the reference tables and scipy
            t0 = time.perf_counter()
            steel = assess_enterprise(store, "ronghu-steel", start, end, variants=VARIANTS)
            t_enterprise = time.perf_counter() - t0
            read_one, rows_one = read_baseline(store, ["ronghu-steel"], start, end)

            t0 = time.perf_counter()
            park = assess_park(store, park_id, start, end, variants=VARIANTS)
            t_park = time.perf_counter() - t0
            read_all, rows_all = read_baseline(store, ids, start, end)
            keys = [
                k
                for eid in ids
                for m, k in store.meter_keys(eid).items()
                if m in {x.id for x in flow_meters(store.load_enterprise(eid))}
            ]
            sql_seconds, sql_meters = sql_baseline(db, keys, int(start.timestamp()), int(end.timestamp()))

            tariff = water_tariff(store, steel.enterprise)
            timings = {}
            for fmt in ("html", "xlsx", "pdf"):
                t0 = time.perf_counter()
                write_report(steel, Path(tmp) / f"report.{fmt}", language="zh", tariff=tariff)
                timings[fmt] = time.perf_counter() - t0
    report_total = sum(timings.values())
    span = "the year 2025" if args.days >= 365 else f"{args.days} days"
    meters_one = len(steel.volumes.meters)
    meters_all = sum(len(a.volumes.meters) for a in park.enterprises)
    lines = [
        f"- demo: {built.enterprises} enterprises, {built.meters} meters, {args.days} days, 15 min "
        f"(built in {built.seconds:.1f} s, not timed below)",
        f"- assess one enterprise (steel works, {meters_one} flow meters, {len(steel.enterprise.flows)} flows), "
        f"{span}: {t_enterprise:.2f} s (first call, loading reference tables and scipy: {t_cold:.2f} s)",
        f"- baseline, same run: read its {rows_one:,} monthly and daily aggregate rows through the store: "
        f"{read_one:.2f} s → ratio {t_enterprise / read_one:.1f}",
        f"- assess the whole park ({len(park.enterprises)} enterprises, {meters_all} flow meters), {span}: "
        f"{t_park:.2f} s",
        f"- baseline, same run: read the park's {rows_all:,} aggregate rows through the store: {read_all:.2f} s → "
        f"ratio {t_park / read_all:.1f}; one plain SQL SUM of the monthly volumes of its {sql_meters} flow meters: "
        f"{sql_seconds * 1000:.1f} ms → ratio {t_park / sql_seconds:,.0f}",
        f"- water-balance test report of the steel works: HTML {timings['html']:.2f} s, XLSX {timings['xlsx']:.2f} s, "
        f"PDF {timings['pdf']:.2f} s; all three {report_total:.2f} s (target < 10 s: "
        f"{'met' if report_total < 10 else 'NOT met'})",
    ]
    if args.no_record:
        print("\n".join(lines))
    else:
        print(record("assess_demo", lines))


if __name__ == "__main__":
    main()
