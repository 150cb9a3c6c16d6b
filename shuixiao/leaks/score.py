"""Scoring detected leaks against the ground truth: the BattLeDIM 2020 rules and plain rates.

The BattLeDIM rules are those of the competition's scoring code, which defines them
(``KIOS-Research/BattLeDIM``: ``Scoring Algorithm/Scoring_Algorithm.m`` and
``functions/scoring_function.m``; ``shared/reference/leak.md`` §1.2):

* detections dated before the evaluation period are ignored; the rest are taken in
  chronological order;
* a detection at :math:`t_d` of location *d* matches leak *j* when
  :math:`t_{0,j} \\le t_d \\le t_{end,j}` and the pipe distance :math:`x \\le x_{max} = 300` m
  (:meth:`PipeNetwork.distance`);
* among the matched leaks not yet detected, the closest is credited with
  :math:`\\text{score} = c_w \\sum_{t \\ge t_d} Q_j(t)\\,\\Delta t - (x/x_{max})\\,c_c` —
  the water saved from the detection to the end of the period at :math:`c_w` = 0.80 €/m³,
  less the crew's search cost scaled by distance, :math:`c_c` = 500 €;
* a detection matching only leaks already detected is a repeat and scores 0;
* any other detection is a false positive and scores :math:`-c_c`;
* TP is the number of leaks detected, FN the rest.  There is no maximum delay.

Beyond the competition score the report gives the detection rate (a detection during the
leak, at any distance, as LDIMBenchmark counts it), false alarms per month, times to
detection and localisation distances.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from shuixiao.errors import InvalidInputError
from shuixiao.leaks._records import Leak, LeakEvent
from shuixiao.leaks.network import Location, PipeNetwork

__all__ = ["DetectionScore", "ScoreReport", "ScoringSettings", "score_events"]

_DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class ScoringSettings:
    """Parameters of the BattLeDIM score (``Scoring_Algorithm.m``).

    Parameters
    ----------
    max_distance : float
        Largest pipe distance of a true detection, ``xmax``. [m]
    water_cost : float
        Value of the water saved, ``costWater``. [€/m³]
    crew_cost : float
        Cost of a repair crew's search, ``costCrew``. [€]
    step : int
        Time step of the water-saved sum when leak flows come from the shape model. [s]
    """

    max_distance: float = 300.0
    water_cost: float = 0.80
    crew_cost: float = 500.0
    step: int = 300


@dataclass(frozen=True)
class DetectionScore:
    """How one detection scored.

    Parameters
    ----------
    detected : datetime.datetime
        Time of the detection.
    location : Location or None
        The detection's best candidate.
    outcome : {"true", "repeat", "false", "ignored"}
        True positive, repeated detection of a detected leak, false positive, or ignored
        (before the evaluation period).
    leak : str or None
        Id of the leak credited (true positives) or repeated.
    distance : float
        Pipe distance to the credited leak. [m]
    score : float
        Points of the detection. [€]
    water_saved : float
        Water saved by a true detection. [m³]
    """

    detected: dt.datetime
    location: Location | None
    outcome: Literal["true", "repeat", "false", "ignored"]
    leak: str | None = None
    distance: float = float("nan")
    score: float = 0.0
    water_saved: float = 0.0


@dataclass(frozen=True)
class ScoreReport:
    """Scores of a set of detections.

    Parameters
    ----------
    total : float
        BattLeDIM total score. [€]
    true_positives, false_positives, false_negatives, repeats : int
        BattLeDIM counts.
    detections : tuple of DetectionScore
        Every detection, chronologically.
    leaks : int
        Number of leaks in the truth.
    detected_in_time : dict of str to float
        Leak id → pipe distance of the first detection during the leak, at any distance
        (the detection rate's numerator). [m]
    delays : dict of str to float
        Leak id → time from the leak's start to that detection. [h]
    period_days : float
        Length of the evaluation period. [d]
    false_alarms : int
        Detections during no leak at all.
    """

    total: float
    true_positives: int
    false_positives: int
    false_negatives: int
    repeats: int
    detections: tuple[DetectionScore, ...]
    leaks: int
    detected_in_time: dict[str, float] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    period_days: float = float("nan")
    false_alarms: int = 0

    @property
    def detection_rate(self) -> float:
        """Share of leaks with a detection during the leak. [unitless]"""
        return len(self.detected_in_time) / self.leaks if self.leaks else float("nan")

    @property
    def false_alarms_per_month(self) -> float:
        """Detections during no leak, per 30.44 days. [1/month]"""
        if not self.period_days > 0:
            return float("nan")
        return self.false_alarms / (self.period_days / _DAYS_PER_MONTH)

    @property
    def median_delay(self) -> float:
        """Median time to detection of the leaks detected in time. [h]"""
        return float(np.median(list(self.delays.values()))) if self.delays else float("nan")

    @property
    def median_distance(self) -> float:
        """Median localisation distance of the leaks detected in time. [m]"""
        values = list(self.detected_in_time.values())
        return float(np.median(values)) if values else float("nan")

    def within(self, distance: float) -> int:
        """Number of leaks detected in time whose localisation is within ``distance`` [m]."""
        return sum(1 for d in self.detected_in_time.values() if d <= distance)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary (numbers rounded)."""

        def r(value: float, digits: int = 2) -> float | None:
            return round(value, digits) if math.isfinite(value) else None

        return {
            "score_eur": r(self.total),
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "false_negatives": self.false_negatives,
            "repeats": self.repeats,
            "leaks": self.leaks,
            "detection_rate": r(self.detection_rate, 4),
            "false_alarms": self.false_alarms,
            "false_alarms_per_month": r(self.false_alarms_per_month, 3),
            "median_time_to_detection_h": r(self.median_delay, 3),
            "median_localisation_distance_m": r(self.median_distance, 1),
            "within_300_m": self.within(300.0),
            "period_days": r(self.period_days, 3),
            "per_leak": {
                k: {"distance_m": r(v, 1), "delay_h": r(self.delays[k], 3)}
                for k, v in self.detected_in_time.items()
            },
            "detections": [
                {
                    "detected": d.detected.isoformat(),
                    **(d.location.to_dict() if d.location else {}),
                    "outcome": d.outcome,
                    "leak": d.leak,
                    "distance_m": r(d.distance, 1),
                    "score_eur": r(d.score),
                }
                for d in self.detections
            ],
        }


def _water_saved(
    leak: Leak, detected: dt.datetime, horizon: dt.datetime, flows: pd.Series | None, step: int
) -> float:
    """Leak volume from ``detected`` to ``horizon``. [m³]"""
    if flows is not None:
        index = pd.DatetimeIndex(flows.index)
        if len(index) > 1:
            dt_h = float(np.median(np.diff(index.as_unit("ns").asi8))) / 1e9 / 3600.0
            mask = np.asarray((index >= pd.Timestamp(detected)) & (index < pd.Timestamp(horizon)))
            return float(np.nansum(flows.to_numpy(dtype=np.float64)[mask])) * dt_h
    if horizon <= detected:
        return 0.0
    times = pd.date_range(
        pd.Timestamp(detected), pd.Timestamp(horizon), freq=pd.Timedelta(seconds=step), inclusive="left"
    )
    return float(leak.flow(times).sum()) * step / 3600.0


def score_events(
    truth: Sequence[Leak],
    events: Sequence[LeakEvent],
    network: PipeNetwork,
    *,
    period: tuple[dt.datetime, dt.datetime],
    leak_flows: pd.DataFrame | None = None,
    settings: ScoringSettings | None = None,
) -> ScoreReport:
    """Score detections against the true leaks.

    Parameters
    ----------
    truth : sequence of Leak
    events : sequence of LeakEvent
        Each scores at its ``detected`` time with its best candidate; an event without
        candidates can only be a false positive.
    network : PipeNetwork
        For pipe distances.
    period : tuple of datetime.datetime
        Evaluation period [start, end); a leak without an end lasts until its end.
    leak_flows : pandas.DataFrame, optional
        Actual flow of every leak (columns: leak ids) [m³/h]; the shape model
        :meth:`Leak.flow` is used when absent.
    settings : ScoringSettings, optional

    Returns
    -------
    ScoreReport

    Examples
    --------
    >>> import datetime as dt
    >>> from importlib import resources
    >>> from shuixiao.leaks import Leak, LeakEvent, Candidate, Location, read_network
    >>> net = read_network(resources.files("wntr").joinpath("library/networks/Net3.inp"))
    >>> t0 = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    >>> leak = Leak(Location("pipe", "123"), t0, None, 10.0, id="L1")
    >>> hit = LeakEvent(t0, t0 + dt.timedelta(hours=1), None, 9.0, (Candidate(Location("pipe", "123"), 0.9),))
    >>> report = score_events([leak], [hit], net, period=(t0, t0 + dt.timedelta(days=1)))
    >>> report.true_positives, report.false_positives, round(report.total, 2)  # 23 h × 10 m³/h × 0.8 €
    (1, 0, 184.0)
    """
    settings = settings or ScoringSettings()
    begin, horizon = period
    if begin.tzinfo is None or horizon.tzinfo is None:
        raise InvalidInputError("give the period with UTC offsets")
    if horizon <= begin:
        raise InvalidInputError("the period's end must be after its start")
    ids = [leak.id or f"L{i + 1}" for i, leak in enumerate(truth)]
    if len(set(ids)) != len(ids):
        raise InvalidInputError("leak ids in the truth must be unique")
    for leak in truth:
        network.location(leak.location.kind, leak.location.id)

    ordered = sorted(events, key=lambda e: e.detected)
    detected: list[int] = []
    scores: list[DetectionScore] = []
    for event in ordered:
        when = event.detected
        where = event.best
        if when < begin:
            scores.append(DetectionScore(when, where, "ignored"))
            continue
        distances = [
            network.distance(leak.location, where) if where is not None else math.inf for leak in truth
        ]
        matched = [
            j
            for j, leak in enumerate(truth)
            if leak.start <= when <= (leak.end or horizon) and distances[j] <= settings.max_distance
        ]
        if not matched:
            scores.append(DetectionScore(when, where, "false", score=-settings.crew_cost))
            continue
        fresh = [j for j in matched if j not in detected]
        if not fresh:
            j = min(matched, key=lambda k: distances[k])
            scores.append(DetectionScore(when, where, "repeat", ids[j], distances[j]))
            continue
        j = min(fresh, key=lambda k: distances[k])  # the closest leak not yet detected
        detected.append(j)
        flows = leak_flows[ids[j]] if leak_flows is not None and ids[j] in leak_flows else None
        saved = _water_saved(truth[j], when, horizon, flows, settings.step)
        value = saved * settings.water_cost - distances[j] / settings.max_distance * settings.crew_cost
        scores.append(DetectionScore(when, where, "true", ids[j], distances[j], value, saved))

    # detection during the leak at any distance: each detection credits the closest active leak
    in_time: dict[str, float] = {}
    delays: dict[str, float] = {}
    false_alarms = 0
    for event in ordered:
        when, where = event.detected, event.best
        if when < begin:
            continue
        active = [j for j, leak in enumerate(truth) if leak.start <= when <= (leak.end or horizon)]
        if not active:
            false_alarms += 1
            continue
        open_ = [j for j in active if ids[j] not in in_time]
        if not open_:
            continue
        distance = {
            j: network.distance(truth[j].location, where) if where is not None else math.inf for j in open_
        }
        j = min(open_, key=lambda k: distance[k])
        in_time[ids[j]] = distance[j]
        delays[ids[j]] = (when - truth[j].start).total_seconds() / 3600.0

    true_positives = sum(1 for s in scores if s.outcome == "true")
    return ScoreReport(
        total=round(sum(s.score for s in scores), 2),
        true_positives=true_positives,
        false_positives=sum(1 for s in scores if s.outcome == "false"),
        false_negatives=len(truth) - true_positives,
        repeats=sum(1 for s in scores if s.outcome == "repeat"),
        detections=tuple(scores),
        leaks=len(truth),
        detected_in_time=in_time,
        delays=delays,
        period_days=(horizon - begin).total_seconds() / 86400.0,
        false_alarms=false_alarms,
    )
