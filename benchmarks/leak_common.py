"""Shared harness of the leak benchmarks: networks, the BattLeDIM sensor layout, scenario runs.

Not a benchmark itself; ``leak_networks.py``, ``leak_battledim.py`` and ``leak_time.py`` use it.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
import zipfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from shuixiao.leaks import (
    DetectorSettings,
    PipeNetwork,
    Sensitivity,
    Sensor,
    detect_leaks,
    random_leaks,
    read_network,
    score_events,
    sensitivity_matrix,
    simulate_scenario,
)

CST = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2025, 1, 1, tzinfo=CST)

# BattLeDIM 2020 sensor layout (KIOS-Research/BattLeDIM: Dataset Generator/dataset_configuration.yalm,
# shared/reference/leak.md §1.1): 33 pressure sensors, flows at PUMP_1, p227, p235, the level of T1
BATTLEDIM_PRESSURE = (
    "n1 n4 n31 n54 n105 n114 n163 n188 n215 n229 n288 n296 n332 n342 n410 n415 n429 n458 n469 "
    "n495 n506 n516 n519 n549 n613 n636 n644 n679 n722 n726 n740 n752 n769"
).split()
BATTLEDIM_FLOW = ("PUMP_1", "p227", "p235")
BATTLEDIM_AMR = [f"n{i}" for i in range(1, 46)] + [f"n{i}" for i in range(343, 390)]


def wntr_network(name: str) -> PipeNetwork:
    """One of the networks shipped with wntr (Net1, Net3, …)."""
    return read_network(resources.files("wntr").joinpath(f"library/networks/{name}.inp"))


def l_town(path: str | None) -> PipeNetwork:
    """L-Town from ``path``: an INP file, or the epyt wheel that ships it (``epyt/networks/L-TOWN.inp``)."""
    if path is None:
        try:
            return read_network(resources.files("epyt").joinpath("networks/L-TOWN.inp"))  # type: ignore[arg-type]
        except ModuleNotFoundError:
            raise SystemExit(
                "L-Town is needed: pip install epyt, or pass --inp with L-TOWN.inp or the epyt wheel"
            ) from None
    file = Path(path)
    if file.suffix == ".whl":
        with zipfile.ZipFile(file) as wheel:
            text = wheel.read("epyt/networks/L-TOWN.inp").decode("utf-8", errors="replace")
        target = Path("/tmp") / "L-TOWN.inp"
        target.write_text(text, encoding="utf-8")
        file = target
    net = read_network(file)
    net.name = "L-TOWN"
    return net


def battledim_sensors(net: PipeNetwork) -> dict[str, Sensor]:
    """The BattLeDIM sensors: pressures, three flows, the tank level, AMR meters present in the model."""
    sensors: dict[str, Sensor] = {f"P-{n}": Sensor("pressure", node=n) for n in BATTLEDIM_PRESSURE}
    sensors |= {f"Q-{k}": Sensor("flow", link=k) for k in BATTLEDIM_FLOW}
    sensors |= {f"L-{t}": Sensor("pressure", node=t) for t in net.sources if net.node_kind(t) == "tank"}
    sensors |= {
        f"D-{n}": Sensor("demand", node=n) for n in BATTLEDIM_AMR if net.has_node(n) and net.demand(n) > 0
    }
    return sensors


@dataclass
class Totals:
    """Sums over the scenarios of one network."""

    leaks: int = 0
    detected: int = 0
    within_300: int = 0
    false_alarms: int = 0
    days: float = 0.0
    leak_free_days: float = 0.0
    leak_free_alarms: int = 0
    true_positives: int = 0
    false_positives: int = 0
    score: float = 0.0
    distances: list[float] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)
    simulate_s: float = 0.0
    detect_s: float = 0.0
    signatures_s: float = 0.0

    def lines(self) -> list[str]:
        median = statistics.median(self.distances) if self.distances else float("nan")
        delay = statistics.median(self.delays) if self.delays else float("nan")
        per_month = self.false_alarms / self.days * 30.0 if self.days else float("nan")
        return [
            f"- detected during the leak: {self.detected}/{self.leaks}"
            f" ({self.detected / max(self.leaks, 1):.0%}); within 300 m: {self.within_300}",
            f"- median localisation distance of the detections: {median:.0f} m; median delay {delay:.2f} h",
            f"- false alarms: {self.false_alarms} in {self.days:.0f} examined days ({per_month:.2f} per month)"
            + (
                f"; of these, {self.leak_free_alarms} in the {self.leak_free_days:.0f} days of the leak-free scenario"
                if self.leak_free_days
                else ""
            ),
            f"- BattLeDIM: TP {self.true_positives}, FP {self.false_positives}, score €{self.score:,.0f}",
            f"- time: signatures {self.signatures_s:.1f} s, simulation {self.simulate_s:.1f} s,"
            f" detection {self.detect_s:.1f} s",
        ]


def run_scenarios(
    net: PipeNetwork,
    sensors: dict[str, Sensor],
    *,
    scenarios: int,
    days: float,
    train_days: float,
    leaks: int,
    flow_range: tuple[float, float],
    settings: DetectorSettings | None = None,
    verbose: bool = True,
    leak_free_days: float = 0.0,
) -> Totals:
    """Simulate ``scenarios`` random scenarios, detect and score each; return the sums.

    With ``leak_free_days``, one more scenario without leaks (seed 1000) of ``train_days`` plus
    that many days is examined for false alarms only (they count in the false alarms and the
    examined days, not in the BattLeDIM figures).
    """
    totals = Totals()
    started = time.perf_counter()
    signatures: Sensitivity = sensitivity_matrix(net, sensors)
    totals.signatures_s = time.perf_counter() - started
    train = dt.timedelta(days=train_days)
    if leak_free_days > 0:
        started = time.perf_counter()
        quiet = simulate_scenario(net, sensors, [], start=T0, days=train_days + leak_free_days, seed=1000)
        totals.simulate_s += time.perf_counter() - started
        started = time.perf_counter()
        result = detect_leaks(
            net,
            sensors,
            quiet.readings,
            settings=settings or DetectorSettings(training=train),
            sensitivity=signatures,
        )
        totals.detect_s += time.perf_counter() - started
        report = score_events([], result.events, net, period=(T0 + train, quiet.end))
        totals.false_alarms += report.false_alarms
        totals.days += report.period_days
        totals.leak_free_alarms = report.false_alarms
        totals.leak_free_days = report.period_days
        if verbose:
            print(
                f"{net.name} leak-free {report.period_days:.0f} days: {report.false_alarms} false alarms",
                flush=True,
            )
    for seed in range(scenarios):
        truth = random_leaks(
            net,
            leaks,
            start=T0 + train + dt.timedelta(hours=2),
            end=T0 + dt.timedelta(days=days),
            seed=seed,
            flow_range=flow_range,
        )
        started = time.perf_counter()
        scenario = simulate_scenario(net, sensors, truth, start=T0, days=days, seed=seed)
        totals.simulate_s += time.perf_counter() - started
        started = time.perf_counter()
        result = detect_leaks(
            net,
            sensors,
            scenario.readings,
            settings=settings or DetectorSettings(training=train),
            sensitivity=signatures,
        )
        totals.detect_s += time.perf_counter() - started
        report = score_events(
            scenario.leaks,
            result.events,
            net,
            period=(T0 + train, scenario.end),
            leak_flows=scenario.leak_flows,
        )
        totals.leaks += report.leaks
        totals.detected += len(report.detected_in_time)
        totals.within_300 += report.within(300.0)
        totals.false_alarms += report.false_alarms
        totals.days += report.period_days
        totals.true_positives += report.true_positives
        totals.false_positives += report.false_positives
        totals.score += report.total
        totals.distances += list(report.detected_in_time.values())
        totals.delays += list(report.delays.values())
        if verbose:
            print(
                f"{net.name} seed {seed}: {len(report.detected_in_time)}/{report.leaks} detected,"
                f" {report.false_alarms} false alarms, distances {sorted(report.detected_in_time.values())}",
                flush=True,
            )
    return totals
