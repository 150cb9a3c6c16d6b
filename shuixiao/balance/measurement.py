"""Period volumes of flows, where they come from, and how uncertain they are.

A :class:`Measurement` is one volume [m³] of one flow over the balance period
with its standard uncertainty, given directly or through the meter's accuracy
class (maximum permissible error, MPE, in % of reading).  The MPE is read as
the half-width of a rectangular distribution (GUM [1]_ §4.3.7), so the standard
uncertainty is ``u = MPE·|V|/√3``; the divisor is a reference parameter
(``balance.yaml``: ``mpe_divisor``) and can be set to 2 to read the MPE as an
expanded uncertainty with k = 2 instead.

References
----------
.. [1] JCGM 100:2008, *Evaluation of measurement data — Guide to the expression of
   uncertainty in measurement* (GUM), BIPM, 2008, §4.3.7.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.model import Enterprise, FlowCategory, MeterKind
from shuixiao.reference import parameter

__all__ = [
    "Measurement",
    "Provenance",
    "combine_provenance",
    "estimate_from_design",
    "measurements_from_meters",
    "standard_uncertainty",
]


class Provenance(StrEnum):
    """Where a value comes from, from best to worst.

    ``measured``
        read by a meter (possibly adjusted by reconciliation);
    ``inferred``
        computed from the unit balance equations and other values;
    ``estimated``
        an engineer's estimate (design flow, pump curve, rule of thumb);
    ``missing``
        neither measured nor estimated and not determined by the balances.
    """

    MEASURED = "measured"
    INFERRED = "inferred"
    ESTIMATED = "estimated"
    MISSING = "missing"


_RANK = {Provenance.MEASURED: 0, Provenance.INFERRED: 1, Provenance.ESTIMATED: 2, Provenance.MISSING: 3}


def combine_provenance(items: Iterable[Provenance]) -> Provenance:
    """Return the provenance of a value computed from ``items``: the worst of them.

    The order is measured < inferred < estimated < missing.  A value computed
    from nothing (an empty sum, exactly 0) counts as measured.

    Examples
    --------
    >>> combine_provenance([Provenance.MEASURED, Provenance.ESTIMATED]).value
    'estimated'
    >>> combine_provenance([]).value
    'measured'
    """
    worst = Provenance.MEASURED
    for item in items:
        if _RANK[item] > _RANK[worst]:
            worst = item
    return worst


@dataclass(frozen=True)
class Measurement:
    """The volume of one flow over the balance period.

    Parameters
    ----------
    flow : str
        Identifier of the flow.
    value : float
        Volume over the period. [m³]  NaN means "no value" and is ignored.
    uncertainty : float, optional
        Standard uncertainty of ``value``. [m³]
    accuracy_class : float, optional
        Maximum permissible error of the meter, used when ``uncertainty`` is not given.
        [% of reading]
    provenance : Provenance
        ``measured`` or ``estimated``.
    meter : str, optional
        The meter that measured it (named when reconciliation suspects it).

    Raises
    ------
    InvalidInputError
        For a negative or infinite volume, a negative uncertainty or accuracy class, or a
        provenance other than measured or estimated.
    """

    flow: str
    value: float
    uncertainty: float | None = None
    accuracy_class: float | None = None
    provenance: Provenance = Provenance.MEASURED
    meter: str | None = None

    def __post_init__(self) -> None:
        """Refuse values that cannot be right."""
        name = self.meter or self.flow
        if not math.isnan(self.value) and not (0.0 <= self.value < math.inf):
            raise InvalidInputError(f"{name}: volume {self.value} m³ is not ≥ 0 and finite")
        if self.uncertainty is not None and not (0.0 <= self.uncertainty < math.inf):
            raise InvalidInputError(f"{name}: uncertainty {self.uncertainty} m³ must be ≥ 0")
        if self.accuracy_class is not None and not (0.0 <= self.accuracy_class < math.inf):
            raise InvalidInputError(f"{name}: accuracy class {self.accuracy_class} % must be ≥ 0")
        try:
            provenance = Provenance(self.provenance)
        except ValueError:
            provenance = Provenance.MISSING
        if provenance not in (Provenance.MEASURED, Provenance.ESTIMATED):
            raise InvalidInputError(f"{name}: an input is measured or estimated, not {self.provenance}")
        object.__setattr__(self, "provenance", provenance)  # accept the plain string too


def standard_uncertainty(
    measurement: Measurement,
    *,
    mpe_divisor: float | None = None,
    default_accuracy_class: float | None = None,
    estimate_relative_uncertainty: float | None = None,
) -> float:
    """Return the standard uncertainty of a measurement. [m³]

    In order: the measurement's own ``uncertainty``; its ``accuracy_class`` as
    ``u = MPE/100·|V|/d``; for an estimate without either, ``r·|V|``; for a
    measured value without either, the default accuracy class.

    Parameters
    ----------
    measurement : Measurement
    mpe_divisor : float, optional
        ``d``: √3 for a rectangular distribution (GUM §4.3.7), 2 for an expanded uncertainty
        with k = 2. [unitless]  Default: the ``mpe_divisor`` reference parameter (√3).
    default_accuracy_class : float, optional
        MPE assumed for a measured value without one. [%]  Default: the reference parameter (2 %).
    estimate_relative_uncertainty : float, optional
        ``r`` for an estimate without an uncertainty. [unitless]  Default: the reference parameter (0.10).

    Returns
    -------
    float
        Standard uncertainty. [m³]

    Notes
    -----
    .. math:: u = \\frac{\\mathrm{MPE}}{100}\\,\\frac{|V|}{d}

    Examples
    --------
    >>> round(standard_uncertainty(Measurement("f1", 1000.0, accuracy_class=2.0)), 3)
    11.547
    >>> standard_uncertainty(Measurement("f1", 1000.0, uncertainty=5.0))
    5.0
    >>> round(standard_uncertainty(Measurement("f1", 1000.0, accuracy_class=2.0), mpe_divisor=2.0), 3)
    10.0
    """
    m = measurement
    if m.uncertainty is not None:
        return m.uncertainty
    if m.accuracy_class is None and m.provenance is Provenance.ESTIMATED:
        r = (
            estimate_relative_uncertainty
            if estimate_relative_uncertainty is not None
            else parameter("estimate_relative_uncertainty").value
        )
        return r * abs(m.value)
    d = mpe_divisor if mpe_divisor is not None else parameter("mpe_divisor").value
    mpe = (
        m.accuracy_class
        if m.accuracy_class is not None
        else (
            default_accuracy_class
            if default_accuracy_class is not None
            else parameter("default_accuracy_class").value
        )
    )
    # GUM §4.3.7: rectangular distribution of half-width a has u = a/√3
    return mpe / 100.0 * abs(m.value) / d


def measurements_from_meters(enterprise: Enterprise, volumes: Mapping[str, float]) -> list[Measurement]:
    """Return measurements from period volumes of the enterprise's flow meters.

    Each meter's flow and accuracy class come from the model.

    Parameters
    ----------
    enterprise : Enterprise
    volumes : mapping of str to float
        Volume each meter measured over the period, keyed by meter id. [m³]

    Raises
    ------
    NotFoundError
        If a meter does not exist or measures no flow.

    Examples
    --------
    >>> from shuixiao.model import Enterprise, Flow, FlowCategory, Meter, MeterKind
    >>> e = Enterprise("e", "示例", "x", "3120", "r",
    ...     flows=(Flow("f", "a", "b", FlowCategory.FRESH),),
    ...     meters=(Meter("FT-1", MeterKind.TOTALIZER, "volume", "m³", 1, flow="f", accuracy_class=0.5),))
    >>> measurements_from_meters(e, {"FT-1": 120.0})
    [Measurement(flow='f', value=120.0, uncertainty=None, accuracy_class=0.5, provenance=<Provenance.MEASURED: 'measured'>, meter='FT-1')]
    """
    meters = {m.id: m for m in enterprise.meters}
    result = []
    for meter_id, volume in volumes.items():
        meter = meters.get(meter_id)
        if meter is None:
            raise NotFoundError(f"enterprise {enterprise.id} has no meter {meter_id!r}")
        if meter.flow is None or meter.kind not in (MeterKind.TOTALIZER, MeterKind.RATE):
            raise NotFoundError(f"meter {meter_id!r} measures no flow volume")
        result.append(
            Measurement(meter.flow, float(volume), accuracy_class=meter.accuracy_class, meter=meter_id)
        )
    return result


def estimate_from_design(
    enterprise: Enterprise,
    hours: float,
    flows: Iterable[str],
    *,
    relative_uncertainty: float | None = None,
) -> list[Measurement]:
    """Return estimates of flows from their design rate: ``V = Q_design · t``.

    Water-balance tests estimate flows they cannot measure from design data:
    circulation from the pump rating, drift from the tower design.  Flows
    without a design rate are skipped.

    Parameters
    ----------
    enterprise : Enterprise
    hours : float
        Length of the balance period. [h]
    flows : iterable of str
        The flows to estimate.
    relative_uncertainty : float, optional
        Relative standard uncertainty of each estimate. [unitless]
        Default: the ``estimate_relative_uncertainty`` reference parameter (0.10).

    Raises
    ------
    NotFoundError
        If a flow does not exist.
    InvalidInputError
        If ``hours`` is not positive.
    """
    if not hours > 0:
        raise InvalidInputError(f"the period must last more than 0 h, not {hours}")
    r = (
        relative_uncertainty
        if relative_uncertainty is not None
        else parameter("estimate_relative_uncertainty").value
    )
    by_id = {f.id: f for f in enterprise.flows}
    result = []
    for flow_id in flows:
        flow = by_id.get(flow_id)
        if flow is None:
            raise NotFoundError(f"enterprise {enterprise.id} has no flow {flow_id!r}")
        if flow.design_flow is None or flow.category in (FlowCategory.LEAKAGE,):
            continue
        volume = flow.design_flow * hours
        result.append(Measurement(flow_id, volume, uncertainty=r * volume, provenance=Provenance.ESTIMATED))
    return result
