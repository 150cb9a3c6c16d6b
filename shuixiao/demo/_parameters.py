"""Reference numbers of the demo park, each with its source.

Everything the generator needs that is not the structure of a plant lives
here: national averages it calibrates against, the cooling-tower evaporation
coefficient, the synthetic climate of 岳阳, holidays, meter types and energy
intensities.  Values marked *synthetic* are choices made for a believable demo,
not measurements.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

# ---------------------------------------------------------------------------
# Targets table of the Industrial Water-Efficiency Action Plan (工业水效提升行动计划, MIIT et al. 2022,
# seed 001, 表 重点行业主要产品水效提升预期目标): 2020 national average intake per unit product.
# value: m³ per product unit; the unit is the product's.
NATIONAL_INTAKE_2020: Final[dict[str, tuple[float, str, str]]] = {
    # key: (value, product unit, 中文产品名)
    "crude_steel": (2.5, "t", "粗钢"),
    "petroleum_refining": (0.6, "t", "石油炼制"),
    "ethylene": (9.0, "t", "乙烯"),
    "woven_dyed_fabric": (1.6, "100m", "机织印染布"),
    "containerboard": (24.0, "t", "箱纸板"),
    "corrugating_medium": (22.0, "t", "瓦楞原纸"),
    "beer": (4.5, "kL", "啤酒"),
    "primary_aluminium": (2.5, "t", "电解原铝液"),
}
"""2020 national average intake per unit product (seed 001 targets table). [m³/product unit]"""

NATIONAL_INTAKE_PER_VALUE_ADDED_2020: Final[float] = 32.9
"""2020 national water use per 10⁴ CNY industrial value added (2020 中国水资源公报, China Water
Resources Bulletin; seed 000 gives 58.3 for 2015 and 28.2 for 2021). [m³/万元]"""

# ---------------------------------------------------------------------------
# Cooling towers.
# GB 50050 / GB/T 50102 design formula Q_e = k·Δt·Q_r; k by entering-air temperature, interpolated
# linearly and held constant outside the table (shared/reference/standards.md §7.5, flagged [U]).
EVAPORATION_K_TABLE: Final[tuple[tuple[float, float], ...]] = (
    (-10.0, 0.0008),
    (0.0, 0.0010),
    (10.0, 0.0012),
    (20.0, 0.0014),
    (30.0, 0.0015),
    (40.0, 0.0016),
)
"""(air temperature [°C], k [1/°C]) pairs of the GB evaporation coefficient."""

GBT50050_PH_RANGE: Final[tuple[float, float]] = (6.8, 9.5)
"""GB/T 50050-2017 open recirculating cooling water pH range (standards.md §7.6, [U]). [pH]"""

# ---------------------------------------------------------------------------
# Synthetic climate of 岳阳 (Yueyang, Hunan), subtropical monsoon.  Rounded to resemble the city's
# climate normals (annual mean about 17 °C, January about 5 °C, July about 29 °C, about 1 300 mm of
# rain, wettest April to June); synthetic, not observations.
CLIMATE_ANNUAL_MEAN: Final[float] = 17.0
"""Annual mean air temperature. [°C]"""
CLIMATE_SEASONAL_AMPLITUDE: Final[float] = 12.0
"""Half the difference between July and January mean temperatures. [°C]"""
CLIMATE_COLDEST_DAY: Final[int] = 15
"""Day of the year of the coldest daily mean (mid January). [d]"""
CLIMATE_DIURNAL_AMPLITUDE: Final[float] = 3.8
"""Half the typical daily temperature range on a dry day. [°C]"""
CLIMATE_WARMEST_HOUR: Final[float] = 15.0
"""Local hour of the daily maximum. [h]"""
CLIMATE_ANOMALY_SD: Final[float] = 2.6
"""Standard deviation of the day-to-day weather anomaly. [°C]"""
CLIMATE_ANOMALY_PERSISTENCE: Final[float] = 0.72
"""Lag-one-day autocorrelation of the weather anomaly. [unitless]"""
CLIMATE_MONTHLY_RAIN: Final[tuple[float, ...]] = (
    60.0, 85.0, 125.0, 170.0, 190.0, 215.0, 140.0, 115.0, 70.0, 80.0, 70.0, 40.0,
)  # fmt: skip
"""Mean monthly rainfall, January to December. [mm]"""
CLIMATE_MONTHLY_WET_DAYS: Final[tuple[float, ...]] = (
    11.0, 12.0, 15.0, 15.0, 15.0, 14.0, 11.0, 11.0, 9.0, 10.0, 9.0, 8.0,
)  # fmt: skip
"""Mean number of days with rain, January to December. [d]"""

# ---------------------------------------------------------------------------
# Calendar.  Spring Festival (春节) dates from the Chinese calendar; plants that stop for the festival
# stop from two days before to the number of days given in their template.
SPRING_FESTIVAL: Final[dict[int, dt.date]] = {
    2020: dt.date(2020, 1, 25),
    2021: dt.date(2021, 2, 12),
    2022: dt.date(2022, 2, 1),
    2023: dt.date(2023, 1, 22),
    2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 3),
}
"""Spring Festival (正月初一) by year; other years fall back to 5 February."""

NATIONAL_DAY: Final[tuple[int, int]] = (10, 1)
"""National Day (国庆节), month and day; the holiday lasts seven days."""

TIMEZONE: Final[str] = "Asia/Shanghai"
"""Local time zone of the park."""

# ---------------------------------------------------------------------------
# Identity of the park (GB/T 2260 administrative division codes).
PROVINCE: Final[tuple[str, str, str, str]] = ("hunan", "湖南省", "430000", "Hunan Province")
"""(id, name, GB/T 2260 code, English name) of the province."""
CITY: Final[tuple[str, str, str, str]] = ("yueyang", "岳阳市", "430600", "Yueyang City")
"""(id, name, GB/T 2260 code, English name) of the city."""
PARK: Final[tuple[str, str, str]] = (
    "dongting-park",
    "洞庭滨湖绿色工业园（示范）",
    "Dongting Lakeside Green Industrial Park (demo)",
)
"""(id, name, English name) of the fictional park."""
PARK_LOCATION: Final[tuple[float, float]] = (29.42, 113.18)
"""WGS 84 latitude and longitude of the park's centre, near 岳阳. [°]"""

CREDIT_CODE_PREFIX: Final[str] = "91"
"""GB 32100-2015: 登记管理部门码 9 (工商) and 机构类别码 1 (企业)."""

BRANDS: Final[tuple[tuple[str, str], ...]] = (
    ("荣湖", "Ronghu"),
    ("云港", "Yungang"),
    ("锦澜", "Jinlan"),
    ("碧湖", "Bihu"),
    ("洞泉", "Dongquan"),
    ("银湖", "Yinhu"),
    ("南津", "Nanjin"),
    ("鹿洲", "Luzhou"),
    ("芦湾", "Luwan"),
    ("金沙", "Jinsha"),
    ("松阳", "Songyang"),
    ("白鹭", "Bailu"),
)
"""Fictional trade names (字号) with their romanisation; the first six name the six templates."""

# ---------------------------------------------------------------------------
# Energy of the water systems (standards.md §10.2): pumping 0.002725·H/η kWh/m³ [C];
# conventional treatment ≈ 0.36 kWh/m³ [C]; low-salinity RO ≤ 1 kWh/m³ [C]; municipal WWTP ≈ 0.3 [U].
ENERGY_INTENSITY: Final[dict[str, float]] = {
    "intake_pumping": 0.002725 * 45.0 / 0.72,  # H = 45 m, η = 0.72
    "clarification": 0.36,
    "recirculation": 0.002725 * 35.0 / 0.75,  # circulating pumps, H = 35 m, η = 0.75, plus fans below
    "tower_fans": 0.035,
    "ultrafiltration": 0.15,
    "reverse_osmosis": 0.9,
    "wastewater_plant": 0.45,
    "demineralisation": 0.25,
}
"""Specific electricity of water processes. [kWh/m³]"""

# ---------------------------------------------------------------------------
# Variability (synthetic): standard deviations of the fluctuations laid over the designed flows.
VARIATION: Final[dict[str, float]] = {
    "output_monthly": 0.03,  # month-to-month output of a plant [share]
    "output_daily": 0.02,  # day-to-day output [share]
    "output_hourly": 0.012,  # smooth hourly output [share]
    "rate_smooth": 0.025,  # smooth hourly fluctuation of a demand [share]
    "rate_white": 0.008,  # interval-to-interval fluctuation of a demand [share]
    "domestic_smooth": 0.05,  # domestic use, smooth [share]
    "domestic_white": 0.03,  # domestic use, interval to interval [share]
    "leak_background": 0.05,  # day-to-day background leakage [share]
    "heat_load": 0.02,  # cooling-tower heat load [share]
    "recirculation": 0.004,  # circulating-pump flow [share]
    "cycles": 0.04,  # blowdown-valve hunting around the target cycles [share]
    "tank_level": 0.08,  # day-to-day level of a scheduled tank [m]
    "air_temperature": 0.3,  # smooth hourly air-temperature wobble [°C]
    "value_added_price": 0.04,  # monthly price effect on value added [share]
}
"""Fluctuations of the simulated plants (synthetic)."""

# ---------------------------------------------------------------------------
# Water-quality and pressure signals (synthetic but typical values).
COOLING_PH_SETPOINT: Final[float] = 8.25
"""Circulating-water pH held by acid dosing, inside GB/T 50050 6.8–9.5. [pH]"""
COOLING_PH_WOBBLE: Final[float] = 0.08
"""Standard deviation of the controlled pH. [pH]"""
COOLING_TURBIDITY: Final[tuple[float, float, float]] = (4.5, 1.5, 0.6)
"""Circulating-water turbidity: base [NTU], fluctuation [NTU], rise per cm of rain in the last
24 h [NTU/cm] (GB/T 50050 limit 20 NTU)."""
DRY_SEASON_SALINITY: Final[float] = 0.1
"""Relative rise of make-up conductivity in mid January (low river flow). [unitless]"""
PERMEATE_CONDUCTIVITY: Final[tuple[float, float]] = (28.0, 0.02)
"""RO permeate conductivity at 15 °C [µS/cm] and its rise per °C, as salt passage grows with
temperature [1/°C]."""
REUSE_TURBIDITY: Final[tuple[float, float]] = (0.12, 0.04)
"""Reuse-water turbidity after UF/RO: base and fluctuation. [NTU]"""
SUPPLY_HEAD: Final[tuple[float, float]] = (46.0, 6.0)
"""Supply-header head at no flow and its drop at design flow (pump curve). [m]"""


@dataclass(frozen=True)
class MeterType:
    """A kind of instrument the demo installs.

    Parameters
    ----------
    code : str
        Prefix of device serial numbers.
    model : str
        Description written to :attr:`shuixiao.model.Meter.model`.
    accuracy_class : float or None
        Maximum permissible error. [% of reading]
    resolution : float
        Smallest step of the reported value. [meter unit]
    noise : float
        Standard deviation of the reading noise: relative for flows, absolute in the
        canonical unit otherwise (relative to 1 500 µS/cm for conductivity). [unitless or canonical unit]
    """

    code: str
    model: str
    accuracy_class: float | None
    resolution: float
    noise: float


# Accuracy classes: GB/T 778.1-2018 (= ISO 4064-1) water meters class 1 and 2; electromagnetic flowmeters
# 0.5 (JJG 1033); open-channel and large ultrasonic meters 2.5 (standards.md §2.4, [U]).
METER_TYPES: Final[dict[str, MeterType]] = {
    "emf": MeterType("EMF", "电磁流量计 electromagnetic flowmeter", 0.5, 0.01, 0.004),
    "ultrasonic": MeterType("USF", "超声波流量计 ultrasonic flowmeter", 1.0, 0.01, 0.006),
    "woltman": MeterType("WLT", "螺翼式水表 Woltman water meter, class 2", 2.0, 0.1, 0.0),
    "class1": MeterType("WMC", "智能远传水表 smart water meter, class 1", 1.0, 0.001, 0.0),
    "channel": MeterType("OCF", "明渠流量计 open-channel flowmeter", 2.5, 0.1, 0.01),
    "rate": MeterType("VFR", "涡街流量计 vortex flowmeter (rate output)", 1.0, 0.01, 0.01),
    "ph": MeterType("PHA", "在线pH计 online pH analyser", None, 0.01, 0.03),
    "cond": MeterType("ECA", "在线电导率仪 online conductivity analyser", None, 1.0, 8.0),
    "turb": MeterType("TBA", "在线浊度仪 online turbidimeter", None, 0.01, 0.15),
    "pressure": MeterType("PTX", "压力变送器 pressure transmitter", None, 0.001, 1.5),
    "level": MeterType("LTX", "超声波液位计 ultrasonic level transmitter", None, 0.01, 0.01),
}
"""Instrument types, keyed by the name templates use."""

CALIBRATION_PERIOD_DAYS: Final[int] = 730
"""Verification period of meters above DN50, JJG 162 (standards.md §2.5, [C]). [d]"""
