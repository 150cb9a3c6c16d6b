"""Benchmark: BattLeDIM-style leak detection and localisation on L-Town, scored like BattLeDIM 2020.

The BattLeDIM 2019 SCADA data (pressures, AMR demands) are published on Zenodo only (record 4017659)
and no package on the registries this project reaches carries them; ``epyt`` (PyPI) ships the official
``L-TOWN.inp``. So this benchmark regenerates scenarios on L-Town with ``simulate_scenario``: the BattLeDIM
sensor layout (33 pressures, flows at PUMP_1, p227 and p235, the level of T1, customer meters on the
AMR nodes n1–n45 and n343–n389 present in the model), random leaks of 5–28 m³/h (the 2019 peak range;
``--flow-range`` for others),
5-min readings, and scores the detections of ``detect_leaks`` with ``score_events`` (BattLeDIM rules).
The same run also scores them as the command line does: ``shuixiao leak detect`` then ``shuixiao leak
score`` on the files of the first scenario.

Published figures to compare with (shared/reference/leak.md §1.3): LILA, 3rd of BattLeDIM 2020, found
18 of the 19 new 2019 leaks (median time to detection 25 min), localised 17 of 19 within 300 m with a
median of 136 m; the ideal score for 2019 is €523,154.

    python benchmarks/leak_battledim.py [--inp L-TOWN.inp | epyt-*.whl] [--scenarios 4] [--days 10]
                                        [--train 4] [--leaks 2] [--leak-free-days 30]
                                        [--flow-range 5 28] [--no-cli-check] [--no-record]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _machine import record
from leak_common import T0, battledim_sensors, l_town, run_scenarios

from shuixiao.leaks import random_leaks, simulate_scenario, write_readings, write_sensors, write_truth

SHUIXIAO = str(Path(sys.executable).with_name("shuixiao"))  # the console script of this environment


def cli_check(
    net_path: Path, sensors: dict, days: float, train: float, leaks: int, flows: tuple[float, float]
) -> list[str]:
    """Run ``shuixiao leak detect`` and ``shuixiao leak score`` on one scenario's files."""
    from shuixiao.leaks import read_network

    net = read_network(net_path)
    truth = random_leaks(
        net,
        leaks,
        start=T0 + dt.timedelta(days=train, hours=2),
        end=T0 + dt.timedelta(days=days),
        seed=100,
        flow_range=flows,
    )
    scenario = simulate_scenario(net, sensors, truth, start=T0, days=days, seed=100)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        write_sensors(sensors, out / "sensors.yaml")
        write_readings(scenario.readings, out / "readings.csv")
        write_truth(scenario.leaks, out / "truth.yaml", period=(T0 + dt.timedelta(days=train), scenario.end))
        started = time.perf_counter()
        subprocess.run(
            [
                SHUIXIAO,
                "leak",
                "detect",
                "--network",
                str(net_path),
                "--sensors",
                str(out / "sensors.yaml"),
                "--readings",
                str(out / "readings.csv"),
                "--out",
                str(out / "events.json"),
                "--train-days",
                f"{train:g}",
            ],
            check=True,
        )
        seconds = time.perf_counter() - started
        scored = subprocess.run(
            [
                SHUIXIAO,
                "leak",
                "score",
                "--truth",
                str(out / "truth.yaml"),
                "--events",
                str(out / "events.json"),
                "--network",
                str(net_path),
                "--json",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    report = json.loads(scored.stdout)
    keep = {
        k: report[k]
        for k in ("score_eur", "true_positives", "false_positives", "detection_rate")
        if k in report
    }
    return [
        f"- command line on a fresh scenario (seed 100): `leak detect` {seconds:.0f} s, `leak score` {keep}"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inp", help="L-TOWN.inp, or the epyt wheel; default: the installed epyt package")
    parser.add_argument("--scenarios", type=int, default=4)
    parser.add_argument("--days", type=float, default=10.0)
    parser.add_argument("--train", type=float, default=4.0)
    parser.add_argument("--leaks", type=int, default=2)
    parser.add_argument(
        "--leak-free-days",
        type=float,
        default=30.0,
        help="days of one more, leak-free scenario (false alarms)",
    )
    parser.add_argument(
        "--flow-range",
        type=float,
        nargs=2,
        default=(5.0, 28.0),
        metavar=("LOW", "HIGH"),
        help="peak leak flows, log-uniform [m³/h] (default: the 2019 range 5–28)",
    )
    parser.add_argument(
        "--no-cli-check",
        action="store_true",
        help="skip the command-line run (its CSV of a long scenario is large)",
    )
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    flows = (float(args.flow_range[0]), float(args.flow_range[1]))
    net = l_town(args.inp)
    sensors = battledim_sensors(net)
    totals = run_scenarios(
        net,
        sensors,
        scenarios=args.scenarios,
        days=args.days,
        train_days=args.train,
        leaks=args.leaks,
        flow_range=flows,
        leak_free_days=args.leak_free_days,
    )
    cli: list[str] = []
    if not args.no_cli_check:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "L-TOWN.inp"
            path.write_text(net.inp_text, encoding="utf-8")
            cli = cli_check(path, sensors, args.days, args.train, args.leaks, flows)
    kinds = {k: sum(1 for s in sensors.values() if s.type == k) for k in ("pressure", "flow", "demand")}
    lines = [
        "",
        f"L-Town ({len(net.junctions)} junctions, {net.total_length / 1000:.1f} km; sensors {kinds}, the"
        f" pressures including the level of T1); {args.scenarios} regenerated scenarios × {args.days:g} d,"
        f" {args.train:g} d training, {args.leaks} leaks of {flows[0]:g}–{flows[1]:g} m³/h each; one leak-free scenario of"
        f" {args.train:g} + {args.leak_free_days:g} d (seed 1000) for false alarms. Not the BattLeDIM data"
        " (Zenodo only): nominal demands with 5 % noise, 5 % roughness error.",
        "",
        *totals.lines(),
        *cli,
        "- published (real 2019 data): LILA 18/19 detected, 17/19 within 300 m, median 136 m;"
        " ideal 2019 score €523,154",
    ]
    print("\n".join(lines))
    if not args.no_record:
        record("Leak detection on L-Town, BattLeDIM layout, regenerated scenarios", lines)


if __name__ == "__main__":
    main()
