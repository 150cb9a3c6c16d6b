"""Benchmark: leak detection and localisation on EPANET example networks with tanks and pumps.

For each network (Net1: one tank, one pump; Net3: three tanks, two pumps, two reservoirs; both ship
with wntr), random scenarios are simulated with ``simulate_scenario`` (5 % demand noise, 5 % roughness
error, 5-min readings) on the sensors of ``place_sensors`` (pressures, source flows, tank levels and
customer meters, flows of pumps and switched pipes), then ``detect_leaks`` runs after a leak-free
training window with the smallest leak of interest (``minimum_flow``) set to the smallest leak
simulated, and ``score_events`` scores the examined period. Leaks are 1–5 % of the network's mean
demand.

With ``--demo-plants`` the six demo plants' supply networks (``build_park``) are run instead,
with the protocol of ``docs/leaks.md``: ten 6-day scenarios per plant, two training days, three
leaks of 2–20 m³/h, default detector settings, the sensors of ``place_sensors``.

    python benchmarks/leak_networks.py [--networks Net1 Net3] [--scenarios 6] [--days 9] [--train 3]
                                       [--leaks 3] [--demo-plants] [--no-record]
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
    parser.add_argument(
        "--demo-plants", action="store_true", help="the six demo plants instead (docs/leaks.md)"
    )
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    if args.demo_plants:
        demo_plants(args.no_record)
        return
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


def demo_plants(no_record: bool) -> None:
    """Ten 6-day scenarios per demo plant, three 2–20 m³/h leaks each, two training days."""
    from shuixiao.demo import DemoConfig, build_park
    from shuixiao.leaks import network_from_text

    park = build_park(DemoConfig(enterprises=6, days=1))
    lines: list[str] = []
    for enterprise in park.enterprises:
        net = network_from_text(park.networks[enterprise.id], name=enterprise.id)
        sensors = place_sensors(net)
        totals = run_scenarios(
            net,
            sensors,
            scenarios=10,
            days=6.0,
            train_days=2.0,
            leaks=3,
            flow_range=(2.0, 20.0),
            settings=DetectorSettings(training=dt.timedelta(days=2)),
        )
        kinds = {k: sum(1 for s in sensors.values() if s.type == k) for k in ("pressure", "flow", "demand")}
        lines += [
            "",
            f"**{enterprise.id}** ({len(net.junctions)} junctions, {net.total_length / 1000:.1f} km; sensors {kinds};"
            " 10 scenarios × 6 d, 2 d training, 3 leaks of 2–20 m³/h each)",
            "",
            *totals.lines(),
        ]
    print("\n".join(lines))
    if not no_record:
        record("Leak detection on the demo plants' networks, random scenarios", lines)


if __name__ == "__main__":
    main()
