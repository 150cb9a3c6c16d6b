"""Pipe-network leak monitoring and diagnosis (管网漏损监测与智能诊断).

An engine: numpy, pandas and scipy, with ``wntr`` (EPANET 2.2) imported only inside the
functions that run hydraulics.  Its parts:

* :mod:`~shuixiao.leaks.losses` — the loss model: IWA water balance, UARL and ILI,
  minimum night flow, and the volume, cost and pumping CO₂ of a leak;
* :mod:`~shuixiao.leaks.network` — a network read from an INP file, with BattLeDIM pipe
  distances;
* :mod:`~shuixiao.leaks.scenarios` — leak scenarios with ground truth on any network;
* :mod:`~shuixiao.leaks.detect` — detection (CUSUM on residuals of learned normal
  behaviour, after subtracting the hydraulic model's expectation on networks with tanks and
  pumps) and localisation (correlation with simulated leak signatures);
* :mod:`~shuixiao.leaks.score` — the BattLeDIM 2020 score and plain rates;
* :mod:`~shuixiao.leaks.zones` — district-metered areas cut out by the flow meters, and
  each zone's water balance, minimum night flow and ILI;
* :mod:`~shuixiao.leaks.files` — the sensor, readings, truth and events files.

See ``docs/leaks.md``.

Example
-------
>>> from importlib import resources
>>> from shuixiao.leaks import read_network, unavoidable_real_losses
>>> net = read_network(resources.files("wntr").joinpath("library/networks/Net1.inp"))
>>> len(net.junctions), round(net.total_length)
(9, 19364)
"""

from shuixiao.leaks._records import Candidate, Leak, LeakEvent, Sensor
from shuixiao.leaks.detect import (
    DetectionResult,
    DetectorSettings,
    Sensitivity,
    detect_leaks,
    sensitivity_matrix,
)
from shuixiao.leaks.files import (
    EVENTS_FORMAT,
    interval_readings,
    read_events,
    read_readings,
    read_sensors,
    read_truth,
    to_long,
    write_events,
    write_readings,
    write_sensors,
    write_truth,
)
from shuixiao.leaks.losses import (
    IwaWaterBalance,
    LeakImpact,
    NightFlowAnalysis,
    infrastructure_leakage_index,
    iwa_water_balance,
    leak_defaults,
    leak_impact,
    minimum_night_flow,
    night_day_factor,
    night_flow_analysis,
    pumping_specific_energy,
    unavoidable_background_leakage,
    unavoidable_real_losses,
)
from shuixiao.leaks.network import Location, PipeNetwork, network_from_text, read_network
from shuixiao.leaks.scenarios import (
    Scenario,
    ScenarioSettings,
    place_sensors,
    random_leaks,
    simulate_scenario,
)
from shuixiao.leaks.score import DetectionScore, ScoreReport, ScoringSettings, score_events
from shuixiao.leaks.zones import (
    BoundaryMeter,
    TankStorage,
    UnmeteredLink,
    Zone,
    ZoneBalance,
    Zoning,
    district_metered_areas,
    zone_balance,
)

__all__ = [
    "EVENTS_FORMAT",
    "BoundaryMeter",
    "Candidate",
    "DetectionResult",
    "DetectionScore",
    "DetectorSettings",
    "IwaWaterBalance",
    "Leak",
    "LeakEvent",
    "LeakImpact",
    "Location",
    "NightFlowAnalysis",
    "PipeNetwork",
    "Scenario",
    "ScenarioSettings",
    "ScoreReport",
    "ScoringSettings",
    "Sensitivity",
    "Sensor",
    "TankStorage",
    "UnmeteredLink",
    "Zone",
    "ZoneBalance",
    "Zoning",
    "detect_leaks",
    "district_metered_areas",
    "infrastructure_leakage_index",
    "interval_readings",
    "iwa_water_balance",
    "leak_defaults",
    "leak_impact",
    "minimum_night_flow",
    "network_from_text",
    "night_day_factor",
    "night_flow_analysis",
    "place_sensors",
    "pumping_specific_energy",
    "random_leaks",
    "read_events",
    "read_network",
    "read_readings",
    "read_sensors",
    "read_truth",
    "score_events",
    "sensitivity_matrix",
    "simulate_scenario",
    "to_long",
    "unavoidable_background_leakage",
    "unavoidable_real_losses",
    "write_events",
    "write_readings",
    "write_sensors",
    "write_truth",
    "zone_balance",
]
