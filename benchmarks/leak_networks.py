"""Benchmark: leak detection and localisation on EPANET example networks with tanks and pumps.

For each network (Net1: one tank, one pump; Net3: three tanks, two pumps, two reservoirs; both ship
with wntr), random scenarios are simulated with ``simulate_scenario`` (5 % demand noise, 5 % roughness
error, 5-min readings) on the sensors of ``place_sensors`` (pressures, source flows, tank levels and
customer meters, flows of pumps and switched pipes), then ``detect_leaks`` runs after a leak-free
training window with the smallest leak of interest (``minimum_flow``) set to the smallest leak
simulated, and ``score_events`` scores the examined period. Leaks are 1–5 % of the network's mean
demand.

    python benchmarks/leak_networks.py [--networks Net1 Net3] [--scenarios 6] [--days 9] [--train 3]
                                       [--leaks 3] [--no-record]
"""

from __future__ import annotations

import argparse
import datetime as dt

from _machine import record
from leak_common import run_scenarios, wntr_network

from shuixiao.leaks import DetectorSettings, place_sensors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", nargs="+", default=["Net1", "Net3"])
    parser.add_argument("--scenarios", type=int, default=6)
    parser.add_argument("--days", type=float, default=9.0)
    parser.add_argument("--train", type=float, default=3.0)
    parser.add_argument("--leaks", type=int, default=3)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    lines = []
    for name in args.networks:
        net = wntr_network(name)
        sensors = place_sensors(net)
        demand = sum(net.demand(j) for j in net.junctions)
        flows = (0.01 * demand, 0.05 * demand)
        settings = DetectorSettings(training=dt.timedelta(days=args.train), minimum_flow=round(flows[0], 1))
        totals = run_scenarios(
            net,
            sensors,
            scenarios=args.scenarios,
            days=args.days,
            train_days=args.train,
            leaks=args.leaks,
            flow_range=flows,
            settings=settings,
        )
        kinds = {k: sum(1 for s in sensors.values() if s.type == k) for k in ("pressure", "flow", "demand")}
        lines += [
            "",
            f"**{name}** ({len(net.junctions)} junctions, {len(net.sources)} sources; sensors {kinds};"
            f" {args.scenarios} scenarios × {args.days:g} d, {args.train:g} d training,"
            f" {args.leaks} leaks of {flows[0]:.0f}–{flows[1]:.0f} m³/h each, minimum_flow"
            f" {settings.minimum_flow:g} m³/h)",
            "",
            *totals.lines(),
        ]
    text = "\n".join(lines)
    print(text)
    if not args.no_record:
        record("Leak detection on networks with tanks and pumps (Net1, Net3)", lines)


if __name__ == "__main__":
    main()
