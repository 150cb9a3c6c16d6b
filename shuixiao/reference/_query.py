"""Look-ups across the reference tables: targets per product, quotas, parameters, tiers, sectors."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from shuixiao.errors import NotFoundError
from shuixiao.reference._load import load_table, table_names
from shuixiao.reference._schema import (
    CriterionEntry,
    ParameterEntry,
    QuotaEntry,
    SectorEntry,
    TargetEntry,
    VariantEntry,
)

__all__ = [
    "ProductTarget",
    "parameter",
    "product_target",
    "product_targets",
    "quota_variants",
    "quotas",
    "sectors_of",
    "target_entries",
    "tier_criteria",
    "variant_rules",
]


@dataclass(frozen=True)
class ProductTarget:
    """A product's row of a targets table: the 2020 average and the 2025 expectation.

    Parameters
    ----------
    product : str
        Product key.
    name : str
        Chinese product name.
    product_unit : str
        Production unit (``t``, ``kL``, ``100m``).
    region : str
        ``national`` or a GB/T 2260 code.
    baseline : TargetEntry or None
        The 2020 average intake per unit product. [m³/product unit]
    decline : TargetEntry or None
        Expected decline by 2025. [%]
    expected_value : TargetEntry or None
        An expected 2025 intake per unit product printed directly instead of a decline. [m³/product unit]
    """

    product: str
    name: str
    product_unit: str
    region: str
    baseline: TargetEntry | None
    decline: TargetEntry | None
    expected_value: TargetEntry | None

    @property
    def expected(self) -> float:
        """The expected 2025 intake per unit product, NaN when the table gives neither. [m³/product unit]

        ``baseline × (1 − decline/100)``, or the value printed directly.
        """
        if self.expected_value is not None:
            return self.expected_value.value
        if self.baseline is not None and self.decline is not None:
            return self.baseline.value * (1.0 - self.decline.value / 100.0)
        return math.nan


def target_entries() -> list[TargetEntry]:
    """Return the entries of every ``targets`` table, in table-name and file order."""
    result: list[TargetEntry] = []
    for name in table_names():
        table = load_table(name)
        if table.table == "targets":
            result += table.entries
    return result


def product_targets(region: str = "national") -> list[ProductTarget]:
    """Return every product row of the targets tables of ``region``, in file order.

    Parameters
    ----------
    region : str
        ``national`` (seed 001, the Action Plan) or ``430000`` (Hunan, seed 003).

    Examples
    --------
    >>> [t.product for t in product_targets("430000")][:3]
    ['crude_steel', 'petroleum_refining', 'ammonia_anthracite']
    """
    rows: dict[str, dict[str, TargetEntry]] = {}
    for entry in target_entries():
        if entry.region != region or entry.product is None:
            continue
        rows.setdefault(entry.product, {})[entry.quantity] = entry
    result = []
    for product, by_quantity in rows.items():
        first = next(iter(by_quantity.values()))
        assert first.product_name is not None and first.product_unit is not None
        result.append(
            ProductTarget(
                product=product,
                name=first.product_name,
                product_unit=first.product_unit,
                region=region,
                baseline=by_quantity.get("intake_per_product"),
                decline=by_quantity.get("expected_decline"),
                expected_value=by_quantity.get("expected_intake_per_product"),
            )
        )
    return result


def product_target(product: str, region: str = "national") -> ProductTarget:
    """Return the targets-table row of ``product`` in ``region``.

    Raises
    ------
    NotFoundError
        If the region's table has no such product.

    Examples
    --------
    >>> t = product_target("crude_steel")
    >>> t.baseline.value, t.decline.value, round(t.expected, 3)
    (2.5, 10.0, 2.25)
    """
    for row in product_targets(region):
        if row.product == product:
            return row
    raise NotFoundError(f"no {region} target for product {product!r}")


def quotas(
    product: str,
    *,
    variant: str | None = None,
    region: str = "national",
    include_superseded: bool = False,
) -> list[QuotaEntry]:
    """Return the quota entries of ``product`` (every variant unless one is named).

    Parameters
    ----------
    product : str
        Product key, e.g. ``crude_steel``.
    variant : str, optional
        Plant configuration, e.g. ``no_coking_no_cold_rolling``.
    region : str
        ``national`` or a GB/T 2260 code.
    include_superseded : bool
        Also return rows of superseded editions.

    Examples
    --------
    >>> [(q.level, q.value) for q in quotas("crude_steel", variant="no_coking_no_cold_rolling")]
    [('general', 3.6), ('advanced', 2.1)]
    """
    result = []
    for name in table_names():
        table = load_table(name)
        if table.table != "quotas":
            continue
        for q in table.entries:
            assert isinstance(q, QuotaEntry)
            if q.product != product or q.region != region:
                continue
            if variant is not None and q.variant != variant:
                continue
            if q.status == "superseded" and not include_superseded:
                continue
            result.append(q)
    return result


def parameter(
    quantity: str, *, table: str = "balance", level: int | None = None, scope: str | None = None
) -> ParameterEntry:
    """Return the parameter ``quantity`` of a parameters table.

    Parameters
    ----------
    quantity : str
        E.g. ``closure_tolerance``.
    table : str
        Table name, e.g. ``balance`` or ``metering_gbt24789``.
    level : int, optional
        Metering level the value applies to.
    scope : str, optional
        E.g. ``unit`` or ``enterprise``.

    Raises
    ------
    NotFoundError
        If no entry matches.

    Examples
    --------
    >>> parameter("closure_tolerance", scope="enterprise").value
    0.1
    >>> parameter("equipping_rate", table="metering_gbt24789", level=2).value
    95.0
    """
    for entry in load_table(table).entries:
        assert isinstance(entry, ParameterEntry)
        if entry.quantity == quantity and entry.level == level and entry.scope == scope:
            return entry
    raise NotFoundError(f"reference table {table!r} has no {quantity!r} (level={level}, scope={scope})")


def tier_criteria(tier: str, sectors: Iterable[str] = ()) -> list[CriterionEntry]:
    """Return the criteria of ``tier`` that apply to an enterprise in ``sectors``.

    Criteria without a sector apply to everyone; sector criteria only to their sector.

    Examples
    --------
    >>> len(tier_criteria("water_saving", ["steel"])) > len(tier_criteria("water_saving"))
    True
    """
    wanted = set(sectors)
    result = []
    for entry in load_table("tiers").entries:
        assert isinstance(entry, CriterionEntry)
        if entry.tier == tier and (entry.sector is None or entry.sector in wanted):
            result.append(entry)
    return result


def sectors_of(industry_code: str) -> frozenset[str]:
    """Return the sector keys of a GB/T 4754-2017 industry code (every sector whose prefix matches).

    Examples
    --------
    >>> sorted(sectors_of("2511"))
    ['petrochemical', 'refining']
    >>> sorted(sectors_of("3120"))
    ['steel']
    """
    result = set()
    for entry in load_table("sectors").entries:
        assert isinstance(entry, SectorEntry)
        if any(industry_code.startswith(code) for code in entry.value):
            result.add(entry.sector)
    return frozenset(result)


def quota_variants(product: str) -> tuple[str, ...]:
    """Return the plant configurations the current quota rows of ``product`` distinguish, sorted.

    Examples
    --------
    >>> quota_variants("crude_steel")[:2]
    ('coking_cold_rolling', 'coking_no_cold_rolling')
    >>> quota_variants("beer")
    ()
    """
    return tuple(sorted({q.variant for q in quotas(product) if q.variant is not None}))


def variant_rules(product: str) -> list[VariantEntry]:
    """Return the rules that read ``product``'s quota variant from a model, in ``position`` order.

    Empty when the model cannot show the configuration (the caller must be told the variant).

    Examples
    --------
    >>> [r.dimension for r in variant_rules("crude_steel")]
    ['coking', 'cold_rolling']
    """
    result = [
        e
        for name in table_names()
        if (table := load_table(name)).table == "variants"
        for e in table.entries
        if e.product == product
    ]
    return sorted(result, key=lambda e: e.position)
