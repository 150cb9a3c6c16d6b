"""The demo park (示范园区): a fictional industrial park near 岳阳, Hunan, with six enterprises.

Pure generation, no database: :func:`build_park` returns the structure (regions,
park, enterprise water systems with their meters, EPANET supply networks) and
:func:`simulate` yields, one enterprise at a time, a period of meter readings,
their aggregates, meter events and the ground truth, all deterministic in
:attr:`DemoConfig.seed`.  See ``docs/demo-park.md``.

Example
-------
>>> from shuixiao.demo import DemoConfig, build_park, simulate
>>> config = DemoConfig(enterprises=1, days=2)
>>> park = build_park(config)
>>> data = next(simulate(park, config))
>>> data.enterprise.id, len(data.series) == len(data.enterprise.meters)
('ronghu-steel', True)
"""

from shuixiao.demo._park import build_park, enterprise_ids
from shuixiao.demo._records import (
    DemoConfig,
    DemoPark,
    EnterpriseData,
    MeterAggregate,
    MeterEvent,
    MeterSeries,
)
from shuixiao.demo._simulate import simulate
from shuixiao.series import resolutions

__all__ = [
    "DemoConfig",
    "DemoPark",
    "EnterpriseData",
    "MeterAggregate",
    "MeterEvent",
    "MeterSeries",
    "build_park",
    "enterprise_ids",
    "resolutions",
    "simulate",
]
