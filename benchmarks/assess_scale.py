"""Benchmark: assessments at the scale of issue 5 — a 500-meter enterprise and a region of 1,000 enterprises.

Targets (issue 5, "Performance"):

* monthly balance, reconciliation and indicators for one enterprise with 500 meters and a year of
  15-min data: < 2 s;
* a region of 1,000 generated enterprises: < 60 s on 2 cores, with the ratio to a plain SQL
  aggregation of the same volumes in the same run.

Data, all from the demo generator (``shuixiao.demo``), written to a temporary SQLite store as the
demo build writes it (readings, aggregates at every resolution, meter events, monthly records):

* **the 500-meter enterprise** — the generator cycles its six plant templates; every sixth plant
  is a steel works with its own size (0.5–1.6 × the first), registers, noise and meter faults.
  ``--lines`` of them (38 meters each) are joined as the production lines of one integrated steel
  base: ids prefixed ``L01-`` …, one crude-steel product whose monthly output is the sum of the
  lines'.  A year of 15-min readings.  Its intake per tonne stays that of the demo steel works
  (about the national 2020 average of 2.5 m³/t, seed 001).
* **the region** — ``--parks`` demo parks of ``--enterprises`` plants each (steel, refinery, dyeing,
  paper, beer, aluminium in turn; sizes 0.5–1.6 ×), one seed per park, in the demo's city of
  Hunan.  A year of *daily* register readings (the assessment reads the daily and monthly
  aggregates, which are the same rows whatever the reading interval; 15-min data for 1,000
  plants would be 1.2 × 10⁹ readings).

Timed, in the same run, each against its baseline:

* the 500-meter enterprise: each of the twelve monthly assessments of 2025 (``assess_enterprise``:
  period volumes, balance with inferred and design-estimated flows, reconciliation with
  gross-error tests, indicators, benchmarks, tiers, findings), timed month by month and judged
  month by month (the target is met when every month's best time is under 2 s; the process's
  CPU time is printed too, as the wall time on a shared machine is not), and the year's
  assessment; baseline: reading the same monthly and daily aggregate rows through
  ``Store.read_aggregates``;
* the region: ``assess_region`` of the province for 2025 (every enterprise assessed, totals,
  targets) in one process and with ``--workers`` processes, alternately, so that both see the
  load, the one-process run with its CPU time; the target is judged on the faster; baseline: one plain SQL ``SUM`` of the year's
  monthly volumes of the same flow meters.

    python benchmarks/assess_scale.py [--lines 14] [--parks 5] [--enterprises 200] [--workers 2] [--db DIR] [--no-record]

``--db DIR`` keeps the built databases in DIR and reuses them in later runs (the build is not timed).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from _machine import record

from shuixiao.assess import assess_enterprise, assess_region, local_period
from shuixiao.assess.volumes import flow_meters
from shuixiao.demo import DemoConfig, EnterpriseData, build_park, simulate
from shuixiao.model import Enterprise, Park, ProductionRecord, ValueAddedRecord
from shuixiao.storage import Store
from shuixiao.units import to_canonical

STEEL_EVERY = 6
"""The generator's templates cycle; plant 0, 6, 12 … is a steel works."""
BASE_ID = "dongting-steel-base"


# --- building ---------------------------------------------------------------------------------------


def write_data(store: Store, enterprise_id: str, data: EnterpriseData, prefix: str = "") -> int:
    """Write one simulated plant's readings, aggregates and events under meter ids ``prefix + id``."""
    keys = store.meter_keys(enterprise_id)
    meters = {m.id: m for m in data.enterprise.meters}
    rows = 0
    with store.bulk() as writer:
        for s in data.series:
            m = meters[s.meter_id]
            value = to_canonical(s.value, m.unit, m.quantity)
            rows += writer.write_readings(keys[prefix + s.meter_id], s.ts, value, s.quality, s.origin)
        for a in data.aggregates:
            rows += writer.write_aggregates(
                keys[prefix + a.meter_id],
                a.resolution,
                a.start,
                a.value,
                a.minimum,
                a.maximum,
                a.count,
                a.quality,
            )
    for e in data.events:
        store.add_meter_event(
            enterprise_id, prefix + e.meter_id, dt.datetime.fromtimestamp(e.ts, dt.UTC), e.kind, e.detail
        )
    return rows


def _line(enterprise: Enterprise, k: int) -> Enterprise:
    """Steel works ``enterprise`` as line ``k`` of the base: every id prefixed, names numbered."""
    p = f"L{k:02d}-"
    units = tuple(
        dataclasses.replace(
            u,
            id=p + u.id,
            parent=p + u.parent if u.parent else None,
            name=f"{k}号线{u.name}",
            name_en=f"Line {k} {u.name_en}" if u.name_en else None,
        )
        for u in enterprise.units
    )
    flows = tuple(
        dataclasses.replace(
            f,
            id=p + f.id,
            from_unit=p + f.from_unit,
            to_unit=p + f.to_unit if f.to_unit else None,
            name=f"{k}号线{f.name}" if f.name else None,
        )
        for f in enterprise.flows
    )
    meters = tuple(
        dataclasses.replace(
            m,
            id=p + m.id,
            flow=p + m.flow if m.flow else None,
            water_unit=p + m.water_unit if m.water_unit else None,
        )
        for m in enterprise.meters
    )
    energy = tuple(dataclasses.replace(e, water_unit=p + e.water_unit) for e in enterprise.energy)
    return dataclasses.replace(enterprise, units=units, flows=flows, meters=meters, energy=energy)


def join_lines(lines: list[Enterprise]) -> Enterprise:
    """One enterprise whose water system is every line's; production and value added summed per month."""
    first = lines[0]
    production: dict[tuple[str, object, object], float] = {}
    value_added: dict[tuple[object, object], float] = {}
    product = first.products[0].id
    for e in lines:
        for r in e.production:
            key = (product, r.start, r.end)
            production[key] = production.get(key, 0.0) + r.quantity
        for v in e.value_added:
            value_added[(v.start, v.end)] = value_added.get((v.start, v.end), 0.0) + v.value
    return dataclasses.replace(
        first,
        id=BASE_ID,
        name="洞庭钢铁基地",
        name_en="Dongting integrated steel base",
        employees=sum(e.employees or 0 for e in lines),
        units=tuple(u for e in lines for u in e.units),
        flows=tuple(f for e in lines for f in e.flows),
        meters=tuple(m for e in lines for m in e.meters),
        energy=tuple(x for e in lines for x in e.energy),
        production=tuple(ProductionRecord(p, s, t, q) for (p, s, t), q in production.items()),
        value_added=tuple(ValueAddedRecord(s, t, v) for (s, t), v in value_added.items()),
    )


def build_base(store: Store, lines: int) -> tuple[int, int]:
    """Simulate ``lines`` steel works for 2025 at 15 min and store them as one enterprise; return meters, rows."""
    config = DemoConfig(enterprises=STEEL_EVERY * (lines - 1) + 1, days=365, interval=900)
    park = build_park(config)
    steel = [e for i, e in enumerate(park.enterprises) if i % STEEL_EVERY == 0]
    store.save_model(park.regions, (park.park,), ())
    skeleton = join_lines([_line(e, k + 1) for k, e in enumerate(steel)])
    store.save_enterprise(skeleton)
    rows = 0
    final: list[Enterprise] = []
    for i, data in enumerate(simulate(park, config)):
        if i % STEEL_EVERY:
            continue
        k = i // STEEL_EVERY + 1
        rows += write_data(store, BASE_ID, data, prefix=f"L{k:02d}-")
        final.append(_line(data.enterprise, k))
    store.save_enterprise(join_lines(final), replace=True)
    return len(skeleton.meters), rows


def build_region(store: Store, parks: int, enterprises: int) -> tuple[int, int, int]:
    """Store ``parks`` demo parks of ``enterprises`` plants (daily readings of 2025); return plants, meters, rows."""
    count = meters = rows = 0
    for k in range(parks):
        config = DemoConfig(enterprises=enterprises, days=365, interval=86400, seed=2025 + k)
        park = build_park(config)
        suffix = f"-{k + 1}" if k else ""
        p = Park(
            park.park.id + suffix,
            f"{park.park.name}{'第' + str(k + 1) + '片区' if k else ''}",
            park.park.region,
        )
        store.save_model(park.regions, (p,), ())
        for data in simulate(park, config):
            e = dataclasses.replace(data.enterprise, id=data.enterprise.id + suffix, park=p.id)
            store.save_enterprise(e)
            rows += write_data(store, e.id, data)
            count += 1
            meters += len(e.meters)
    return count, meters, rows


@contextmanager
def databases(directory: str | None) -> Iterator[Path]:
    if directory:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        yield path
    else:
        with tempfile.TemporaryDirectory() as tmp:
            yield Path(tmp)


# --- timing -----------------------------------------------------------------------------------------


def read_baseline(store: Store, ids: list[str], periods: list[tuple[object, object]]) -> tuple[float, int]:
    """Seconds to read every flow meter's P1M and P1D aggregates of the periods, and the rows read."""
    started = time.perf_counter()
    rows = 0
    for eid in ids:
        e = store.load_enterprise(eid)
        for m in flow_meters(e):
            for start, end in periods:
                rows += len(store.read_aggregates(eid, m.id, "P1M", start, end))  # type: ignore[arg-type]
                rows += len(store.read_aggregates(eid, m.id, "P1D", start, end))  # type: ignore[arg-type]
    return time.perf_counter() - started, rows


def sql_baseline(db: Path, store: Store, ids: list[str], start: int, end: int) -> tuple[float, int]:
    """Seconds for one plain SQL sum of the year's monthly volumes of the flow meters of ``ids``."""
    keys = []
    for eid in ids:
        wanted = {m.id for m in flow_meters(store.load_enterprise(eid))}
        keys += [k for m, k in store.meter_keys(eid).items() if m in wanted]
    connection = sqlite3.connect(db)
    connection.execute("CREATE TEMP TABLE wanted (key INTEGER PRIMARY KEY)")
    connection.executemany("INSERT INTO wanted VALUES (?)", [(k,) for k in keys])
    started = time.perf_counter()
    result = connection.execute(
        "SELECT meter_key, SUM(value), SUM(count) FROM aggregates JOIN wanted ON meter_key = wanted.key "
        "WHERE resolution = 'P1M' AND start >= ? AND start < ? GROUP BY meter_key",
        (start, end),
    ).fetchall()
    seconds = time.perf_counter() - started
    connection.close()
    return seconds, len(result)


def best(times: list[float]) -> str:
    return f"best {min(times):.2f} s of {len(times)} (all: {', '.join(f'{t:.2f}' for t in times)})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=14, help="steel works joined (38 meters each); 14 → 532")
    parser.add_argument("--parks", type=int, default=5, help="demo parks in the region")
    parser.add_argument("--enterprises", type=int, default=200, help="plants per park (at most 200)")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions of each case")
    parser.add_argument("--workers", type=int, default=2, help="processes of the parallel region assessment")
    parser.add_argument("--skip", choices=("enterprise", "region"), help="leave one case out")
    parser.add_argument("--db", metavar="DIR", help="keep (and reuse) the built databases in DIR")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args()
    lines: list[str] = []
    year_start, year_end = local_period(2025)
    months = [local_period(2025, m) for m in range(1, 13)]
    with databases(args.db) as directory:
        if args.skip != "enterprise":
            db = directory / f"base-{args.lines}.db"
            fresh = not db.exists()
            with Store.open(f"sqlite:///{db}") as store:
                store.upgrade()
                if fresh:
                    t0 = time.perf_counter()
                    n_meters, n_rows = build_base(store, args.lines)
                    built = f"built in {time.perf_counter() - t0:.0f} s, not timed"
                else:
                    n_meters, n_rows = len(store.load_enterprise(BASE_ID).meters), 0
                    built = "reused from an earlier run"
                e = store.load_enterprise(BASE_ID)
                assess_enterprise(store, BASE_ID, *months[0])  # loads tables, scipy
                per_month: list[list[float]] = [[] for _ in months]
                cpu_month: list[list[float]] = [[] for _ in months]
                yearly = []
                for _ in range(args.repeat):
                    results = []
                    for k, (s, t) in enumerate(months):
                        t0, c0 = time.perf_counter(), time.process_time()
                        results.append(assess_enterprise(store, BASE_ID, s, t))
                        per_month[k].append(time.perf_counter() - t0)
                        cpu_month[k].append(time.process_time() - c0)
                    t0 = time.perf_counter()
                    year = assess_enterprise(store, BASE_ID, year_start, year_end)
                    yearly.append(time.perf_counter() - t0)
                month_best = [min(t) for t in per_month]
                month_cpu = [min(t) for t in cpu_month]
                read = [read_baseline(store, [BASE_ID], months) for _ in range(args.repeat)]
                read_s, read_rows = min(r[0] for r in read), read[0][1]
            r = year.reconciliation
            lines += [
                f"- 500-meter enterprise: {args.lines} demo steel works joined as one steel base: {n_meters} meters "
                f"({len(flow_meters(e))} flow meters), {len(e.units)} units, {len(e.flows)} flows; a year of 15-min "
                f"readings{f' ({n_rows:,} rows with the aggregates)' if n_rows else ''} ({built})",
                f"- the twelve monthly assessments of 2025, each month's best of {args.repeat}: "
                f"{', '.join(f'{m:.2f}' for m in month_best)} s; mean {sum(month_best) / 12:.3f} s, slowest "
                f"{max(month_best):.3f} s (target < 2 s a month: "
                f"{'met' if max(month_best) < 2 else f'NOT met in {sum(m >= 2 for m in month_best)} of 12 months'}); "
                f"CPU time of the process: mean {sum(month_cpu) / 12:.3f} s, slowest {max(month_cpu):.3f} s a month",
                f"- the year's assessment: {best(yearly)}; intake {year.indicators['intake'].value:,.0f} m³, reuse rate "
                f"{year.indicators['reuse_rate'].value:.2f} %, crude steel "
                f"{next(iter(year.indicators.intake_per_product.values())).value:.2f} m³/t (quota variant "
                f"{year.benchmarks[0].variant}, read from the model); reconciliation "
                f"{'γ = ' + format(r.initial_test.statistic, '.1f') + ' vs ' + format(r.initial_test.critical, '.1f') if r else 'not run'}"
                f"; months reconciled: {sum(1 for x in results if x.reconciliation is not None)}/12",
                f"- baseline, same run: read the same {read_rows:,} monthly and daily aggregate rows through the store: "
                f"{read_s:.2f} s → ratio {sum(month_best) / read_s:.1f}",
            ]
        if args.skip != "region":
            db = directory / f"region-{args.parks}x{args.enterprises}.db"
            fresh = not db.exists()
            with Store.open(f"sqlite:///{db}") as store:
                store.upgrade()
                if fresh:
                    t0 = time.perf_counter()
                    n_ent, n_meters, n_rows = build_region(store, args.parks, args.enterprises)
                    built = f"built in {time.perf_counter() - t0:.0f} s, not timed"
                else:
                    summaries = store.list_enterprises()
                    n_ent, n_meters, n_rows = len(summaries), sum(s.n_meters for s in summaries), 0
                    built = "reused from an earlier run"
                province = next(r for r in store.list_regions() if r.parent is None)
                ids = [s.id for s in store.list_enterprises()]
                timings: dict[int, list[float]] = {1: [], args.workers: []}
                cpu: list[float] = []
                for _ in range(args.repeat):
                    for workers in timings:  # alternately, so that both see the same load
                        t0, c0 = time.perf_counter(), time.process_time()
                        progress = assess_region(store, province.id, 2025, workers=workers)
                        timings[workers].append(time.perf_counter() - t0)
                        if workers == 1:
                            cpu.append(time.process_time() - c0)
                single, parallel = min(timings[1]), min(timings[args.workers])
                sql = [
                    sql_baseline(db, store, ids, int(year_start.timestamp()), int(year_end.timestamp()))
                    for _ in range(args.repeat)
                ]
                sql_s, sql_meters = min(s[0] for s in sql), sql[0][1]
            status = {}
            for t in progress.targets:
                if t.subject is None:
                    status[t.status] = status.get(t.status, 0) + 1
            lines += [
                f"- region: {args.parks} demo parks × {args.enterprises} plants = {n_ent} enterprises, {n_meters:,} "
                f"meters, a year of daily readings{f' ({n_rows:,} rows with the aggregates)' if n_rows else ''} ({built})",
                f"- assess_region of {province.name} for 2025 ({len(progress.enterprises)} enterprises, "
                f"{len(progress.targets)} targets; headline targets by status: "
                f"{', '.join(f'{k} {v}' for k, v in sorted(status.items()))}): one process {best(timings[1])}, "
                f"its CPU time {min(cpu):.1f} s; "
                f"workers={args.workers} ({os.cpu_count()} CPUs) {best(timings[args.workers])} → speed-up "
                f"{single / parallel:.2f} (target < 60 s: {'met' if min(single, parallel) < 60 else 'NOT met'})",
                f"- baseline, same run: one plain SQL SUM of the year's monthly volumes of the {sql_meters:,} flow meters: "
                f"{sql_s * 1000:.0f} ms → ratio {min(single, parallel) / sql_s:,.0f}",
            ]
    if args.no_record:
        print("\n".join(lines))
    else:
        print(record("assess_scale", lines))


if __name__ == "__main__":
    main()
