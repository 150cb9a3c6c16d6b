"""The loss model: IWA water balance, UARL and ILI, minimum night flow, and what a leak costs.

For an industrial plant the IWA/AWWA terms map as follows: the *system input volume* is
what the level-1 meters measure into the supply network; *authorised consumption* is what
the units draw (metered by their level-2/3 meters, or estimated); *billed* consumption is
water sold on (外供水量) and is usually zero inside a plant, so that non-revenue water
equals the water losses plus the unit draws.  *Apparent losses* are meter errors
(from the accuracy class) and unrecorded draws; *real losses* (漏失水量) are the rest.

References
----------
.. [1] A. O. Lambert, T. G. Brown, M. Takizawa and D. Weimer, "A review of performance
   indicators for real losses from water supply systems," *J. Water Supply: Res. Technol.
   – AQUA*, 48(6), 227–237, 1999, :doi:`10.2166/aqua.1999.0025`.
.. [2] A. O. Lambert, "Ten years experience in using the UARL formula to calculate
   Infrastructure Leakage Index," IWA Water Loss 2009, Cape Town, 2009.
.. [3] J. Thornton, R. Sturm and G. Kunkel, *Water Loss Control*, 2nd ed., McGraw-Hill,
   2008, ch. 7 (water balance, Table 7.2, §7.5) and ch. 16 (night flows).
.. [4] IWA Water Loss Specialist Group, standard water balance, as summarised at
   https://www.nrwconsultant.com/water-balance-calcuations and
   https://leakssuitelibrary.com/iwa-water-balance.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
import yaml

from shuixiao.errors import InvalidInputError

__all__ = [
    "IwaWaterBalance",
    "LeakImpact",
    "NightFlowAnalysis",
    "infrastructure_leakage_index",
    "iwa_water_balance",
    "leak_defaults",
    "leak_impact",
    "minimum_night_flow",
    "night_day_factor",
    "night_flow_analysis",
    "pumping_specific_energy",
    "unavoidable_background_leakage",
    "unavoidable_real_losses",
]

Number = TypeVar("Number", float, npt.NDArray[np.float64], pd.Series)

_G = 9.80665  # standard gravity [m/s²]
_RHO = 1000.0  # density of water [kg/m³]


# --- water balance -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IwaWaterBalance:
    """The IWA/AWWA water balance of a period; every field in m³.

    Parameters
    ----------
    system_input_volume : float
        Water put into the network. [m³]
    billed_authorised_consumption : float
        Billed metered plus billed unmetered consumption. [m³]
    unbilled_authorised_consumption : float
        Unbilled metered plus unbilled unmetered consumption. [m³]
    apparent_losses : float
        Unauthorised consumption, customer metering inaccuracies and data errors. [m³]
    real_losses : float
        Leaks, bursts and overflows up to the customer meters (CARL for a year). [m³]
    """

    system_input_volume: float
    billed_authorised_consumption: float
    unbilled_authorised_consumption: float
    apparent_losses: float
    real_losses: float

    @property
    def authorised_consumption(self) -> float:
        """Billed plus unbilled authorised consumption. [m³]"""
        return self.billed_authorised_consumption + self.unbilled_authorised_consumption

    @property
    def water_losses(self) -> float:
        """System input volume less authorised consumption. [m³]"""
        return self.apparent_losses + self.real_losses

    @property
    def revenue_water(self) -> float:
        """Billed authorised consumption. [m³]"""
        return self.billed_authorised_consumption

    @property
    def non_revenue_water(self) -> float:
        """System input volume less billed authorised consumption. [m³]"""
        return self.unbilled_authorised_consumption + self.water_losses


def iwa_water_balance(
    system_input_volume: float,
    *,
    billed_metered: float = 0.0,
    billed_unmetered: float = 0.0,
    unbilled_metered: float = 0.0,
    unbilled_unmetered: float = 0.0,
    unauthorised_consumption: float = 0.0,
    metering_inaccuracies: float = 0.0,
    data_handling_errors: float = 0.0,
) -> IwaWaterBalance:
    """Compute the IWA/AWWA standard water balance, real losses as the remainder.

    Parameters
    ----------
    system_input_volume : float
        Water put into the network in the period. [m³]
    billed_metered, billed_unmetered : float
        Billed authorised consumption (for a plant: water supplied to third parties). [m³]
    unbilled_metered, unbilled_unmetered : float
        Unbilled authorised consumption (for a plant: the units' own draws). [m³]
    unauthorised_consumption, metering_inaccuracies, data_handling_errors : float
        The components of apparent losses. [m³]

    Returns
    -------
    IwaWaterBalance

    Raises
    ------
    InvalidInputError
        If a volume is negative or not finite.

    Notes
    -----
    .. math::

        V_{RL} = V_{SI} - (V_{BAC} + V_{UAC}) - V_{AL}, \\qquad
        V_{NRW} = V_{SI} - V_{BAC}

    (IWA standard balance; Thornton et al. 2008, §7.4).  Real losses come out negative
    when the inputs do not close; the value is returned as it is, so that the error shows.

    Examples
    --------
    >>> b = iwa_water_balance(1000.0, unbilled_metered=900.0, metering_inaccuracies=20.0)
    >>> b.real_losses, b.non_revenue_water
    (80.0, 1000.0)
    """
    values = {
        "system_input_volume": system_input_volume,
        "billed_metered": billed_metered,
        "billed_unmetered": billed_unmetered,
        "unbilled_metered": unbilled_metered,
        "unbilled_unmetered": unbilled_unmetered,
        "unauthorised_consumption": unauthorised_consumption,
        "metering_inaccuracies": metering_inaccuracies,
        "data_handling_errors": data_handling_errors,
    }
    for name, value in values.items():
        if not (math.isfinite(value) and value >= 0):
            raise InvalidInputError(f"{name} must be a finite volume ≥ 0 m³, not {value}")
    billed = billed_metered + billed_unmetered
    unbilled = unbilled_metered + unbilled_unmetered
    apparent = unauthorised_consumption + metering_inaccuracies + data_handling_errors
    # IWA standard water balance: real losses are what input leaves unexplained
    real = system_input_volume - billed - unbilled - apparent
    return IwaWaterBalance(system_input_volume, billed, unbilled, apparent, real)


# --- UARL, ILI, background leakage ----------------------------------------------------------------


def _result(value: Any) -> Any:
    """Plain float for scalar results, arrays and Series unchanged."""
    if isinstance(value, pd.Series):
        return value
    array = np.asarray(value, dtype=np.float64)
    return float(array) if array.ndim == 0 else array


def unavoidable_real_losses(
    mains_length: Number,
    connections: Number,
    private_length: Number,
    pressure: Number,
    *,
    check_validity: bool = True,
) -> Number:
    """Unavoidable Annual Real Losses (UARL) of Lambert et al. (1999), as a daily volume.

    Parameters
    ----------
    mains_length : float, array or Series
        Length of mains, :math:`L_m`. [km]
    connections : float, array or Series
        Number of service connections, :math:`N_c`. [unitless]
    private_length : float, array or Series
        Total length of private pipe from the property line to the customer meters,
        :math:`L_p`. [km]
    pressure : float, array or Series
        Average operating pressure, :math:`P`. [m]
    check_validity : bool
        Return NaN outside the range the formula was derived for (below).

    Returns
    -------
    float, array or Series
        UARL per day; multiply by 365 for the annual volume. [m³/d]

    Notes
    -----
    .. math::

        \\mathrm{UARL}\\;[\\mathrm{L/d}] = (18\\,L_m + 0.8\\,N_c + 25\\,L_p)\\,P

    Lambert et al. 1999; the US form of the same coefficients is 5.4 gal/mi/d/psi,
    0.15 gal/connection/d/psi and 7.5 gal/mi/d/psi (Thornton et al. 2008, Table 7.2).
    Valid for more than 5 000 connections, more than 20 connections per km of mains and
    25–100 m of pressure (Lambert et al. 1999); these limits were relaxed later (Lambert 2009), but the relaxed values
    are not confirmed.  A plant network is far below 5 000 connections: pass
    ``check_validity=False`` for a screening value and say so.

    Examples
    --------
    >>> round(unavoidable_real_losses(1000.0, 50_000, 0.0, 50.0), 1)  # m³/d
    2900.0
    >>> unavoidable_real_losses(5.0, 24, 0.0, 40.0)
    nan
    """
    # Lambert et al. (1999), UARL [L/d] = (18 Lm + 0.8 Nc + 25 Lp) × P, P in m
    value: Any = (18.0 * mains_length + 0.8 * connections + 25.0 * private_length) * pressure / 1000.0
    if check_validity:
        with np.errstate(divide="ignore", invalid="ignore"):
            density = np.asarray(connections, dtype=np.float64) / np.asarray(mains_length, dtype=np.float64)
        valid = (
            (np.asarray(connections) > 5000)
            & (density > 20)
            & (np.asarray(pressure) >= 25)
            & (np.asarray(pressure) <= 100)
        )
        value = value * np.where(valid, 1.0, np.nan)
    result: Number = _result(value)
    return result


def infrastructure_leakage_index(current_real_losses: Number, unavoidable: Number) -> Number:
    """Infrastructure Leakage Index, ILI = CARL / UARL.

    Parameters
    ----------
    current_real_losses : float, array or Series
        Real losses from the water balance (CARL), over any period. [m³]
    unavoidable : float, array or Series
        UARL over the same period, e.g. :func:`unavoidable_real_losses` × days. [m³]

    Returns
    -------
    float, array or Series
        ILI; NaN where UARL is not positive. [unitless]

    Notes
    -----
    Lambert et al. 1999; Thornton et al. 2008, §7.6.  Both volumes must cover the
    same period (the IWA definition uses annual volumes).

    Examples
    --------
    >>> infrastructure_leakage_index(2 * 365 * 2900.0, 365 * 2900.0)
    2.0
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        denominator = np.where(np.asarray(unavoidable) > 0, unavoidable, np.nan)
        value = current_real_losses / denominator
    result: Number = _result(value)
    return result


def unavoidable_background_leakage(
    mains_length: Number,
    connections: Number,
    private_length: Number,
    pressure: Number,
    *,
    condition_factor: float = 1.0,
    exponent: float = 1.5,
) -> Number:
    """Unavoidable background leakage (UBL): the undetectable small leaks of a network.

    Parameters
    ----------
    mains_length : float, array or Series
        Length of mains. [km]
    connections : float, array or Series
        Number of service connections. [unitless]
    private_length : float, array or Series
        Length of private pipe up to the customer meters. [km]
    pressure : float, array or Series
        Pressure at the time considered (e.g. at minimum night flow). [m]
    condition_factor : float
        Infrastructure condition factor (ICF): actual over unavoidable background
        leakage; 1 for a network in good condition. [unitless]
    exponent : float
        FAVAD exponent N1 of background leakage. [unitless]

    Returns
    -------
    float, array or Series
        Background leakage flow. [m³/h]

    Notes
    -----
    .. math::

        Q_{UBL}\\;[\\mathrm{L/h}] = \\mathrm{ICF}\\,(20\\,L_m + 1.25\\,N_c + 33\\,L_p)
        \\left(\\frac{P}{50}\\right)^{N_1}

    The rates at 50 m are the background components of the UARL (Lambert et al. 1999
    and Thornton et al. 2008, Table 7.2 in US units: 9.6 L/km/d/m, 0.6 L/connection/d/m and
    16 L/km/d/m); N1 = 1.5 for background leakage (Lambert 2009).

    Examples
    --------
    >>> round(unavoidable_background_leakage(10.0, 1000, 0.0, 50.0), 3)  # m³/h
    1.45
    """
    if not condition_factor >= 0:
        raise InvalidInputError(f"condition_factor must be ≥ 0, not {condition_factor}")
    # Lambert (2009), UBL at 50 m: 20 L/km/h mains, 1.25 L/conn/h, 33 L/km/h private pipe; FAVAD N1
    rate = 20.0 * mains_length + 1.25 * connections + 33.0 * private_length
    with np.errstate(invalid="ignore"):
        value = condition_factor * rate * (np.maximum(pressure, 0.0) / 50.0) ** exponent / 1000.0
    result: Number = _result(value)
    return result


# --- minimum night flow --------------------------------------------------------------------------


def _parse_clock(text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError as err:
        raise InvalidInputError(f"{text!r} is not a time of day; write e.g. 02:00") from err


def _local(series: pd.Series, timezone: str | None) -> pd.Series:
    if not isinstance(series.index, pd.DatetimeIndex):
        raise InvalidInputError("the series needs a DatetimeIndex")
    if timezone is None:
        return series
    if series.index.tz is None:
        raise InvalidInputError("give the timestamps with a UTC offset to convert them to local time")
    return series.tz_convert(timezone)


def _in_window(index: pd.DatetimeIndex, start: dt.time, end: dt.time) -> npt.NDArray[np.bool_]:
    clock = index.time
    if start <= end:
        return np.array([start <= c < end for c in clock], dtype=bool)
    return np.array([c >= start or c < end for c in clock], dtype=bool)


def minimum_night_flow(
    flow: pd.Series,
    *,
    window: tuple[str, str] = ("02:00", "04:00"),
    averaging: dt.timedelta = dt.timedelta(hours=1),
    timezone: str | None = None,
) -> pd.Series:
    """Minimum night flow (MNF) of every night.

    Parameters
    ----------
    flow : pandas.Series
        Inflow into the zone or plant network, indexed by time. [m³/h]
    window : tuple of str
        Night window in local time, start inclusive, end exclusive (``("23:00", "05:00")``
        spans midnight; the night is then dated by its end).
    averaging : datetime.timedelta
        Flows are first averaged over this trailing period (UKWIR 99/WM/08/21 reports the
        minimum rolling hour); ``timedelta(0)`` takes single readings.
    timezone : str, optional
        IANA zone of the local time, e.g. ``"Asia/Shanghai"``; default: the timestamps'
        own wall-clock time.

    Returns
    -------
    pandas.Series
        MNF per night, indexed by the date of the night's end. [m³/h]

    Notes
    -----
    The MNF is the most meaningful flow for leakage: customer use is lowest while pressure
    and leak flow are highest (Thornton et al. 2008, §5.2 and ch. 16).  Plants that run around
    the clock use water at night too; subtract it (``legitimate_night_use`` of
    :func:`night_flow_analysis`) from the plant's unit meters rather than assume it.

    Examples
    --------
    >>> t = pd.date_range("2025-01-01", periods=48, freq="1h", tz="Asia/Shanghai")
    >>> q = pd.Series(10.0 + 5.0 * (t.hour >= 6), index=t)
    >>> minimum_night_flow(q).tolist()
    [10.0, 10.0]
    """
    start, end = (_parse_clock(w) for w in window)
    local = _local(flow.astype(np.float64), timezone).sort_index()
    if averaging > dt.timedelta(0):
        local = local.rolling(pd.Timedelta(averaging), min_periods=1).mean()
    index = pd.DatetimeIndex(local.index)
    inside = _in_window(index, start, end)
    night = local[inside]
    if night.empty:
        return pd.Series(dtype=np.float64, name="minimum_night_flow")
    nights = pd.DatetimeIndex(night.index)
    if start <= end:
        dates = nights.date
    else:  # a night spanning midnight is dated by its morning
        evening = np.array([t >= start for t in nights.time], dtype=np.int64)
        dates = (nights + pd.to_timedelta(evening, unit="D")).date
    out = night.groupby(dates).min()
    out.index = pd.Index(out.index, name="night")
    out.name = "minimum_night_flow"
    return out


def night_day_factor(
    pressure: pd.Series,
    *,
    window: tuple[str, str] = ("02:00", "04:00"),
    exponent: float = 1.0,
    timezone: str | None = None,
) -> pd.Series:
    """Night-day (hour-day) factor of every day: pressure-weighted hours of night-rate leakage.

    Parameters
    ----------
    pressure : pandas.Series
        Average-zone-point pressure, indexed by time. [m]
    window : tuple of str
        The MNF window in local time (start inclusive, end exclusive, within one day).
    exponent : float
        FAVAD exponent N1 of leak flow to pressure; 1 for mixed networks, 0.5 for rigid
        pipes, 1.5 for background leakage. [unitless]
    timezone : str, optional
        IANA zone of the local time; default: the timestamps' wall-clock time.

    Returns
    -------
    pandas.Series
        NDF per calendar day; NaN for days without all 24 hours. [h/d]

    Notes
    -----
    .. math::

        \\mathrm{NDF} = \\sum_{h=1}^{24} \\left(\\frac{P_h}{P_{MNF}}\\right)^{N_1} \\cdot 1\\,\\mathrm{h}

    with :math:`P_h` the hourly mean pressure and :math:`P_{MNF}` the mean pressure in the
    night window (definition: managenrw.co.za, "Hour-Day Factor"; FAVAD, Lambert 2009).
    Daily real losses ≈ net night flow × NDF.

    Examples
    --------
    >>> t = pd.date_range("2025-01-01", periods=24, freq="1h", tz="Asia/Shanghai")
    >>> night_day_factor(pd.Series(40.0, index=t)).tolist()
    [24.0]
    """
    start, end = (_parse_clock(w) for w in window)
    if end <= start:
        raise InvalidInputError("the night window for the night-day factor must lie within one day")
    local = _local(pressure.astype(np.float64), timezone).sort_index()
    hourly = local.resample("1h").mean()
    index = pd.DatetimeIndex(hourly.index)
    inside = _in_window(index, start, end)
    frame = pd.DataFrame({"p": hourly.to_numpy(), "night": inside, "day": index.date}, index=index)
    out = {}
    for day, group in frame.groupby("day"):
        p_night = float(group.loc[group["night"], "p"].mean())
        complete = len(group) == 24 and group["p"].notna().all()
        if not complete or not p_night > 0:
            out[day] = float("nan")
            continue
        # hour-day factor: Σ_h (P_h / P_MNF)^N1 over the 24 hours of the day
        out[day] = float(((group["p"].clip(lower=0.0) / p_night) ** exponent).sum())
    result = pd.Series(out, name="night_day_factor", dtype=np.float64)
    result.index = pd.Index(result.index, name="day")
    return result


@dataclass(frozen=True)
class NightFlowAnalysis:
    """Result of :func:`night_flow_analysis`; flows in m³/h, volumes in m³/d.

    Parameters
    ----------
    minimum_night_flow : float
        MNF. [m³/h]
    legitimate_night_use : float
        Authorised use during the MNF hour. [m³/h]
    net_night_flow : float
        MNF less legitimate night use: leakage at night. [m³/h]
    night_day_factor : float
        Hours of night-rate leakage per day. [h/d]
    real_losses : float
        Daily real losses, net night flow × NDF. [m³/d]
    background_leakage : float
        Background (undetectable) leakage at night, NaN when not given. [m³/h]
    burst_leakage : float
        Net night flow less background leakage, at least 0: reported and unreported
        bursts, the part leak detection can find. [m³/h]
    """

    minimum_night_flow: float
    legitimate_night_use: float
    net_night_flow: float
    night_day_factor: float
    real_losses: float
    background_leakage: float
    burst_leakage: float


def night_flow_analysis(
    minimum_night_flow: float,
    legitimate_night_use: float,
    night_day_factor: float = 24.0,
    *,
    background_leakage: float | None = None,
) -> NightFlowAnalysis:
    """Split a minimum night flow into legitimate use, background and burst leakage.

    Parameters
    ----------
    minimum_night_flow : float
        MNF, e.g. from :func:`minimum_night_flow`. [m³/h]
    legitimate_night_use : float
        Household, non-household and exceptional night use during the MNF hour; in a plant,
        the units' metered draws at that hour. [m³/h]
    night_day_factor : float
        From :func:`night_day_factor`; 24 when pressure does not vary. [h/d]
    background_leakage : float, optional
        Background leakage at night pressure, e.g. :func:`unavoidable_background_leakage`
        times an infrastructure condition factor. [m³/h]

    Returns
    -------
    NightFlowAnalysis

    Raises
    ------
    InvalidInputError
        For negative or non-finite inputs.

    Notes
    -----
    .. math::

        \\mathrm{NNF} = \\mathrm{MNF} - Q_{legit}, \\qquad
        V_{RL,day} = \\mathrm{NNF} \\cdot \\mathrm{NDF}, \\qquad
        Q_{burst} = \\max(0, \\mathrm{NNF} - Q_{bg})

    Thornton et al. 2008, ch. 16 (legitimate night use has household, non-household and
    exceptional parts); bursts and background estimates (BABE) after Lambert 2009.

    Examples
    --------
    Worked example of a zone with 1 066 connections, MNF 2.5 L/s, legitimate night flow
    4.08 L/connection/h and an hour-day factor of 17.97 h/d (rouslenz.blogspot.com, 2009):

    >>> a = night_flow_analysis(2.5 * 3.6, 4.08 * 1066 / 1000, 17.97)
    >>> round(a.real_losses, 1)  # m³/d; the source rounds to 83.5
    83.6
    """
    for name, value in (
        ("minimum_night_flow", minimum_night_flow),
        ("legitimate_night_use", legitimate_night_use),
        ("night_day_factor", night_day_factor),
    ):
        if not (math.isfinite(value) and value >= 0):
            raise InvalidInputError(f"{name} must be a finite number ≥ 0, not {value}")
    net = minimum_night_flow - legitimate_night_use
    background = float("nan") if background_leakage is None else float(background_leakage)
    if background_leakage is not None and not background >= 0:
        raise InvalidInputError(f"background_leakage must be ≥ 0 m³/h, not {background_leakage}")
    burst = max(0.0, net - background) if background_leakage is not None else float("nan")
    # daily real losses = net night flow × night-day factor (Thornton et al. 2008, ch. 16)
    return NightFlowAnalysis(
        minimum_night_flow,
        legitimate_night_use,
        net,
        night_day_factor,
        net * night_day_factor,
        background,
        burst,
    )


# --- what a leak costs ---------------------------------------------------------------------------


@cache
def _defaults() -> dict[str, dict[str, Any]]:
    text = resources.files("shuixiao.data").joinpath("leak_defaults.yaml").read_text("utf-8")
    data: dict[str, dict[str, Any]] = yaml.safe_load(text)
    return data


def leak_defaults() -> dict[str, dict[str, Any]]:
    """The default factors of :func:`leak_impact` with their units, source and confidence.

    Returns
    -------
    dict
        ``{"specific_energy": {"value", "units", "source", "confidence"}, "grid_factor": …}`` from ``shuixiao/data/leak_defaults.yaml``.

    Examples
    --------
    >>> leak_defaults()["grid_factor"]["units"]
    'kgCO₂/kWh'
    """
    return {k: dict(v) for k, v in _defaults().items()}


def pumping_specific_energy(head: Number, efficiency: Number) -> Number:
    """Electricity to pump a cubic metre of water against a head.

    Parameters
    ----------
    head : float, array or Series
        Pump head. [m]
    efficiency : float, array or Series
        Wire-to-water efficiency of the pump set, in (0, 1]. [unitless]

    Returns
    -------
    float, array or Series
        Specific energy; NaN where the efficiency is outside (0, 1]. [kWh/m³]

    Notes
    -----
    .. math:: E = \\frac{\\rho g H}{3.6 \\times 10^6\\,\\eta} = 0.002725\\,\\frac{H}{\\eta}

    (``shared/reference/standards.md`` §10.2.)

    Examples
    --------
    >>> round(pumping_specific_energy(50.0, 0.70), 3)
    0.195
    """
    eta = np.where((np.asarray(efficiency) > 0) & (np.asarray(efficiency) <= 1), efficiency, np.nan)
    # E = ρ g H / (3.6e6 η): J/m³ to kWh/m³
    result: Number = _result(_RHO * _G * head / 3.6e6 / eta)
    return result


@dataclass(frozen=True)
class LeakImpact:
    """Water, money and CO₂ lost to a leak.

    Parameters
    ----------
    volume : float
        Water lost. [m³]
    cost : float
        Value of the water at the tariff. [CNY]
    energy : float
        Electricity spent pumping the lost water. [kWh]
    emissions : float
        CO₂ of that electricity. [kgCO₂]
    tariff, specific_energy, grid_factor : float
        The factors used: [CNY/m³], [kWh/m³], [kgCO₂/kWh].
    """

    volume: float
    cost: float
    energy: float
    emissions: float
    tariff: float
    specific_energy: float
    grid_factor: float


def leak_impact(
    flow: float,
    hours: float,
    *,
    tariff: float,
    specific_energy: float | None = None,
    grid_factor: float | None = None,
) -> LeakImpact:
    """Volume, cost and pumping CO₂ of a leak of constant flow.

    Parameters
    ----------
    flow : float
        Leak flow. [m³/h]
    hours : float
        How long it ran. [h]
    tariff : float
        The enterprise's price of the water, including the sewage charge (水价 + 污水处理费), from
        its water bill; prices differ too much between cities for a default. [CNY/m³]
    specific_energy : float, optional
        Electricity per m³ supplied, e.g. :func:`pumping_specific_energy`. [kWh/m³]
    grid_factor : float, optional
        CO₂ emission factor of the electricity. [kgCO₂/kWh]

    Returns
    -------
    LeakImpact
        ``specific_energy`` and ``grid_factor`` not given come from :func:`leak_defaults`.

    Notes
    -----
    :math:`V = Q t`, cost :math:`= c\\,V`, :math:`E = e\\,V`, :math:`\\mathrm{CO_2} = f\\,E`.

    Examples
    --------
    >>> i = leak_impact(5.0, 24.0, tariff=4.0, specific_energy=0.2, grid_factor=0.5)
    >>> i.volume, i.cost, i.energy, i.emissions
    (120.0, 480.0, 24.0, 12.0)
    """
    defaults = _defaults()
    factors = {
        "tariff": tariff,
        "specific_energy": specific_energy
        if specific_energy is not None
        else float(defaults["specific_energy"]["value"]),
        "grid_factor": grid_factor if grid_factor is not None else float(defaults["grid_factor"]["value"]),
    }
    for name, value in {"flow": flow, "hours": hours, **factors}.items():
        if not (math.isfinite(value) and value >= 0):
            raise InvalidInputError(f"{name} must be a finite number ≥ 0, not {value}")
    volume = flow * hours
    energy = volume * factors["specific_energy"]
    return LeakImpact(
        volume,
        volume * factors["tariff"],
        energy,
        energy * factors["grid_factor"],
        factors["tariff"],
        factors["specific_energy"],
        factors["grid_factor"],
    )
