"""Benchmark: analysis time of leak detection and localisation per day of 5-min data.

For each network (a demo plant's supply network; L-Town with the BattLeDIM sensors when its INP is
available), one scenario of ``--days`` days with two leaks is simulated, then timed:

* the leak signatures (``sensitivity_matrix``; computed once per network and sensor set, then cached);
* ``detect_leaks`` on the readings with the signatures given (detection and localisation; on a network
  with tanks this includes the model baseline, hydraulic snapshots of groups of similar instants);

against a baseline measured in the same run: one plain EPANET 2.2 extended-period simulation of the
same network over the same days at the same 5-min step (wntr's ``EpanetSimulator``). The issue's target
is one year of 5-min data from ~35 sensors on L-Town in under 10 minutes on 2 cores; the year figure is
the signatures plus the per-day detection time extrapolated linearly (an upper bound: the model
baseline solves one snapshot per group of similar instants, and a longer period adds fewer groups per
day). Wall and CPU times are both given: the CPU time, children included, is what a shared machine
does not inflate.

    python benchmarks/leak_time.py [--days 14] [--inp L-TOWN.inp | epyt-*.whl] [--no-record]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time

from _machine import record
from leak_common import T0, battledim_sensors, l_town

from shuixiao.leaks import (
    DetectorSettings,
    PipeNetwork,
    Sensor,
    detect_leaks,
    network_from_text,
    place_sensors,
    random_leaks,
    sensitivity_matrix,
    simulate_scenario,
)


def epanet_baseline(net: PipeNetwork, days: float) -> float:
    """Seconds of one EPANET extended-period run of ``days`` at 5-min steps (wntr EpanetSimulator)."""
    import tempfile

    import wntr

    wn = net.model()
    wn.options.time.duration = int(days * 86400)
    wn.options.time.hydraulic_timestep = 300
    wn.options.time.report_timestep = 300
    wn.options.quality.parameter = "NONE"
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        wntr.sim.EpanetSimulator(wn).run_sim(file_prefix=os.path.join(folder, "run"))
        return time.perf_counter() - started


def measure(net: PipeNetwork, sensors: dict[str, Sensor], days: float, train: float) -> list[str]:
    """Time signatures, detection and the baseline on one scenario; return result lines."""
    leaks = random_leaks(
        net,
        2,
        start=T0 + dt.timedelta(days=train, hours=2),
        end=T0 + dt.timedelta(days=days),
        seed=7,
        flow_range=(5.0, 20.0),
    )
    scenario = simulate_scenario(net, sensors, leaks, start=T0, days=days, seed=7)
    started, cpu = time.perf_counter(), cpu_seconds()
    signatures = sensitivity_matrix(net, sensors)
    signature_s, signature_cpu = time.perf_counter() - started, cpu_seconds() - cpu
    settings = DetectorSettings(training=dt.timedelta(days=train))
    started, cpu = time.perf_counter(), cpu_seconds()
    result = detect_leaks(net, sensors, scenario.readings, settings=settings, sensitivity=signatures)
    detect_s, detect_cpu = time.perf_counter() - started, cpu_seconds() - cpu
    started, cpu = time.perf_counter(), cpu_seconds()
    baseline_s = min(epanet_baseline(net, days) for _ in range(2))
    baseline_cpu = (cpu_seconds() - cpu) / 2
    per_day = detect_s / days
    year = signature_s + per_day * 365
    year_cpu = signature_cpu + detect_cpu / days * 365
    monitored = sum(1 for s in sensors.values() if s.type != "demand")
    return [
        f"- {net.name}: {len(net.junctions)} junctions, {monitored} pressure/flow/level sensors and"
        f" {len(sensors) - monitored} customer meters, {days:g} days of 5-min readings"
        f" ({len(scenario.readings)} instants), {len(result.events)} events",
        f"  - signatures (once per network and sensor set): {signature_s:.1f} s wall,"
        f" {signature_cpu:.1f} s CPU (all processes)",
        f"  - detection and localisation: {detect_s:.1f} s wall = {per_day:.2f} s per day of data,"
        f" {detect_cpu:.1f} s CPU",
        f"  - a year extrapolated (linearly, an upper bound: the grouped model baseline needs fewer new"
        f" snapshots as days add up), signatures included: {year / 60:.1f} min wall,"
        f" {year_cpu / 60:.1f} min CPU",
        f"  - baseline, one EPANET run of the same {days:g} days: {baseline_s:.2f} s wall,"
        f" {baseline_cpu:.2f} s CPU; detection / baseline = {detect_s / baseline_s:.1f}× wall,"
        f" {detect_cpu / baseline_cpu:.1f}× CPU",
    ]


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the signature workers). [s]"""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=14.0)
    parser.add_argument("--train", type=float, default=4.0)
    parser.add_argument("--inp", help="L-TOWN.inp, or the epyt wheel; default: the installed epyt package")
    parser.add_argument("--skip-l-town", action="store_true")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    from shuixiao.demo import DemoConfig, build_park

    park = build_park(DemoConfig(enterprises=1, days=1))
    steel = network_from_text(park.networks["ronghu-steel"], name="ronghu-steel")
    lines = measure(steel, place_sensors(steel), args.days, args.train)
    print("\n".join(lines), flush=True)
    if not args.skip_l_town:
        town = l_town(args.inp)
        more = measure(town, battledim_sensors(town), args.days, args.train)
        print("\n".join(more), flush=True)
        lines += more
    if not args.no_record:
        record("Leak analysis time per day of 5-min data", lines)


if __name__ == "__main__":
    main()
