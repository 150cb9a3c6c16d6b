"""Meter series engine: totalizer interval volumes and calendar aggregation.

Pure numpy/pandas; shared by the demo generator and by ingestion.
"""

from shuixiao.series.aggregate import (
    Aggregate,
    Reset,
    TotalizerIntervals,
    accumulate,
    accumulate_groups,
    aggregate,
    aggregate_by_bucket,
    bucket_starts,
    duration_seconds,
    iso_duration,
    resolutions,
    totalizer_intervals,
    utc_offsets,
)

__all__ = [
    "Aggregate",
    "Reset",
    "TotalizerIntervals",
    "accumulate",
    "accumulate_groups",
    "aggregate",
    "aggregate_by_bucket",
    "bucket_starts",
    "duration_seconds",
    "iso_duration",
    "resolutions",
    "totalizer_intervals",
    "utc_offsets",
]
