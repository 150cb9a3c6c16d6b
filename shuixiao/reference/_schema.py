"""The schemas of the reference tables: one pydantic model per kind of table.

Every entry carries its provenance (``standard``, ``edition``, ``clause``,
``confidence``, ``source``) next to its ``value`` and ``unit``, as the design
rule of ``shared/reference/standards.md`` §0 asks: a value flagged [S] or [U]
can then be corrected in the data file without touching code.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "CRITERION_KINDS",
    "Confidence",
    "CriterionEntry",
    "ParameterEntry",
    "QuotaEntry",
    "ReferenceEntry",
    "SectorEntry",
    "TargetEntry",
    "VariantEntry",
]

Confidence = Literal["C", "S", "U"]
"""C confirmed in the cited source; S secondary source only; U unconfirmed: verify before using it as a rule."""

QuotaLevel = Literal["leading", "advanced", "general", "existing", "new"]
Operator = Literal[">", ">=", "<", "<=", "=="]

CRITERION_KINDS = ("indicator", "quota", "fact", "tier", "metering")
"""How a tier criterion is judged: an indicator against a threshold, the quota grade, a fact the
caller states, another tier, or the metering-rate requirements of GB/T 24789."""


class ReferenceEntry(BaseModel):
    """Fields every reference value has.

    Parameters
    ----------
    id : str
        Identifier, unique in its file, e.g. ``crude_steel.intake_2020``.
    standard : str
        The standard or policy document that states the value.
    edition : str
        Its edition, year or document number, e.g. ``2022`` or ``工信部联节〔2022〕72号``.
    clause : str
        Clause, table or section where the value is printed.
    unit : str
        Unit of ``value`` (``%``, ``m³/t``, ``1`` for a pure number, ``bool`` for a yes/no fact).
    confidence : {'C', 'S', 'U'}
        Confirmed, secondary or unconfirmed (``shared/reference/standards.md`` §0).
    source : str
        URL or seed file the value was taken from.
    note : str, optional
        Anything a reader must know: how a table layout was read, what to verify.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str = Field(min_length=1)
    standard: str = Field(min_length=1)
    edition: str = Field(min_length=1)
    clause: str = Field(min_length=1)
    unit: str = Field(min_length=1)
    confidence: Confidence
    source: str = Field(min_length=1)
    note: str | None = None


class TargetEntry(ReferenceEntry):
    """A target or a baseline figure of a policy document (table kind ``targets``).

    Parameters
    ----------
    region : str
        ``national`` or the GB/T 2260 code of the region, e.g. ``430000`` for Hunan.
    quantity : str
        What the value measures: ``intake_per_product`` (a baseline average),
        ``expected_decline`` (per cent below the baseline), ``expected_intake_per_product``
        (an expected value given directly), ``intake_per_value_added_decline``, ``reuse_rate``,
        ``non_conventional_use``, counts of tiers, and so on.
    year : int
        The year the value refers to (2020 for a baseline, 2025 for a target).
    value : float
        The value. [unit]
    baseline_year : int, optional
        The year a decline is measured from.
    sector : str, optional
        Sector key (``steel``, ``petrochemical``, ``textile``, ``paper``, ``food``, ``nonferrous``).
    product, product_name, product_unit : str, optional
        Product key (as in :attr:`shuixiao.model.Product.benchmark_product`), its Chinese name and
        production unit; required for per-product quantities.
    """

    region: str = Field(min_length=1)
    quantity: str = Field(min_length=1)
    year: int = Field(ge=1990, le=2100)
    value: float
    baseline_year: int | None = None
    sector: str | None = None
    product: str | None = None
    product_name: str | None = None
    product_unit: str | None = None

    @model_validator(mode="after")
    def _product_fields(self) -> TargetEntry:
        """Per-product quantities name the product and use m³ per product unit."""
        if self.quantity in {"intake_per_product", "expected_intake_per_product", "expected_decline"}:
            if not (self.product and self.product_name and self.product_unit):
                raise ValueError(
                    f"quantity {self.quantity} is per product: give product, product_name and product_unit"
                )
        if self.quantity in {"intake_per_product", "expected_intake_per_product"}:
            expected = f"m³/{self.product_unit}"
            if self.unit != expected:
                raise ValueError(f"unit must be {expected!r} for product unit {self.product_unit!r}")
        if self.quantity.endswith("decline") and self.unit != "%":
            raise ValueError("a decline is given in %")
        return self


class QuotaEntry(ReferenceEntry):
    """One level of a water-intake quota (table kind ``quotas``, GB/T 18916 and provincial quotas).

    Parameters
    ----------
    product : str
        Product key.
    level : {'leading', 'advanced', 'general', 'existing', 'new'}
        领跑值 / 先进值 / 通用值, or the two levels of older editions (现有 / 新建企业).
    value : float
        Largest intake per unit product allowed at this level. [unit]
    variant : str, optional
        Plant configuration the row applies to (e.g. ``coking_cold_rolling``).
    sector : str, optional
        Sector key.
    region : str
        ``national`` or a GB/T 2260 code for provincial quotas.
    status : {'current', 'superseded'}
        Superseded rows are kept for history and never used for grading.
    """

    product: str = Field(min_length=1)
    level: QuotaLevel
    value: float = Field(gt=0)
    variant: str | None = None
    sector: str | None = None
    region: str = "national"
    status: Literal["current", "superseded"] = "current"


class ParameterEntry(ReferenceEntry):
    """A numeric parameter: a tolerance, a requirement, a default (table kind ``parameters``).

    Parameters
    ----------
    quantity : str
        What the value is, e.g. ``closure_tolerance`` or ``equipping_rate``.
    value : float
        The value. [unit]
    level : int, optional
        Metering level 1, 2 or 3 (GB/T 24789) the value applies to.
    scope : str, optional
        What the value applies to, e.g. ``unit`` or ``enterprise``.
    """

    quantity: str = Field(min_length=1)
    value: float
    level: int | None = Field(default=None, ge=1, le=3)
    scope: str | None = None


class CriterionEntry(ReferenceEntry):
    """One criterion of a tier (table kind ``criteria``).

    Parameters
    ----------
    tier : {'water_saving', 'benchmark', 'leader'}
        节水型企业, 节水标杆, 水效领跑者.
    kind : {'indicator', 'quota', 'fact', 'tier', 'metering'}
        How the criterion is judged (see :data:`CRITERION_KINDS`).
    description : str
        The requirement in words (Chinese, with English).
    value : float or bool or str
        Threshold (``indicator``), quota level to reach (``quota``), expected truth (``fact``),
        tier required (``tier``) or ``true`` (``metering``).
    group : str
        ``all`` (every such criterion must be met) or ``any:<name>`` (one of the group suffices).
    sector : str, optional
        Sector key the criterion applies to; none means every sector.
    indicator : str, optional
        Indicator name for ``indicator`` criteria.
    operator : {'>', '>=', '<', '<=', '=='}, optional
        Comparison ``indicator <operator> value``.
    fact : str, optional
        Name of the fact for ``fact`` criteria.
    """

    tier: Literal["water_saving", "benchmark", "leader"]
    kind: Literal["indicator", "quota", "fact", "tier", "metering"]
    description: str = Field(min_length=1)
    value: float | bool | str
    group: str = "all"
    sector: str | None = None
    indicator: str | None = None
    operator: Operator | None = None
    fact: str | None = None

    @model_validator(mode="after")
    def _kind_fields(self) -> CriterionEntry:
        """Each kind carries the fields it is judged by."""
        if not (self.group == "all" or (self.group.startswith("any:") and len(self.group) > 4)):
            raise ValueError(f"group must be 'all' or 'any:<name>', not {self.group!r}")
        if self.kind == "indicator":
            if self.indicator is None or self.operator is None:
                raise ValueError("an indicator criterion needs indicator and operator")
            if isinstance(self.value, bool) or not isinstance(self.value, int | float):
                raise ValueError("an indicator criterion needs a numeric value")
        elif self.kind == "quota":
            if self.value not in ("leading", "advanced", "general"):
                raise ValueError(
                    "a quota criterion's value is the level to reach: leading, advanced or general"
                )
        elif self.kind == "fact":
            if self.fact is None or not isinstance(self.value, bool):
                raise ValueError("a fact criterion needs fact and a true/false value")
        elif self.kind == "tier":
            if self.value not in ("water_saving", "benchmark", "leader") or self.value == self.tier:
                raise ValueError(
                    "a tier criterion's value is another tier: water_saving, benchmark or leader"
                )
        elif self.value is not True:  # metering
            raise ValueError("a metering criterion's value is true")
        return self


class SectorEntry(ReferenceEntry):
    """A sector and the GB/T 4754-2017 codes that belong to it (table kind ``sectors``).

    Parameters
    ----------
    sector : str
        Sector key, e.g. ``steel``.
    name : str
        Chinese name of the sector.
    value : list of str
        GB/T 4754 code prefixes (division, group or class) in the sector.
    """

    sector: str = Field(min_length=1)
    name: str = Field(min_length=1)
    value: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _codes(self) -> SectorEntry:
        """Codes are 2–4 digits."""
        for code in self.value:
            if not (code.isdigit() and 2 <= len(code) <= 4):
                raise ValueError(f"{code!r} is not a GB/T 4754 code (2–4 digits)")
        return self


class VariantEntry(ReferenceEntry):
    """One dimension of a quota's plant configuration, and how a water-system model shows it
    (table kind ``variants``).

    A quota with variants (``crude_steel``: with or without coking, with or without cold
    rolling) is chosen from the model: the dimension is *present* when a unit's Chinese or
    English name contains one of the words in ``value`` (case-insensitive), *absent* otherwise;
    the words of all dimensions, in ``position`` order and joined by ``_``, name the variant.

    Parameters
    ----------
    product : str
        Product key whose quota rows have variants.
    dimension : str
        What the dimension is, e.g. ``coking``.
    position : int
        Place of this dimension's word in the variant key (0 first).
    present, absent : str
        The word for a plant with and without it, e.g. ``coking`` and ``no_coking``.
    value : list of str
        Words in unit names that show the plant has it, e.g. ``焦化``, ``coking``.
    """

    product: str = Field(min_length=1)
    dimension: str = Field(min_length=1)
    position: int = Field(ge=0)
    present: str = Field(min_length=1)
    absent: str = Field(min_length=1)
    value: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _words(self) -> VariantEntry:
        """The two words differ and no unit-name word is blank."""
        if self.present == self.absent:
            raise ValueError("present and absent must differ")
        if any(not w.strip() for w in self.value):
            raise ValueError("unit-name words must not be blank")
        return self
