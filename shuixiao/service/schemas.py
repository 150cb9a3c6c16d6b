"""Request and response bodies of ``/api/v1`` (pydantic models, named as in the house style).

Times are ISO 8601 with the offset of the instance's time zone (Asia/Shanghai
by default); quantities are in the canonical unit of their quantity
(``docs/units.md``), named in each meter's ``canonical_unit``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AggregatePublic",
    "ApiTokenCreate",
    "ApiTokenPublic",
    "AuditEntryPublic",
    "DeviceTokenCreate",
    "DeviceTokenPublic",
    "EnterpriseDetail",
    "EnterprisePublic",
    "FlowPublic",
    "GrantCreate",
    "GrantPublic",
    "Health",
    "IngestRecordResult",
    "IngestResult",
    "LatestValue",
    "LoginRequest",
    "MePublic",
    "MeterEventPublic",
    "MeterPublic",
    "Page",
    "ParkPublic",
    "ProductPublic",
    "QuarantinePublic",
    "ReadingPublic",
    "RegionPublic",
    "ReplayPublic",
    "ReplayRequest",
    "SitePublic",
    "UnitPublic",
    "UserCreate",
    "UserPublic",
    "UserUpdate",
    "WaterPlanMonth",
    "WaterPlanPublic",
    "WaterPlanSet",
    "WaterPlansSet",
]

T = TypeVar("T")
QualityName = Literal["good", "estimated", "suspect", "bad"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, how many match in all, and the page's window."""

    items: list[T]
    total: int = Field(description="items matching the filters, over all pages")
    limit: int
    offset: int


class Health(BaseModel):
    """The service answers and its database is at the expected schema."""

    status: Literal["ok"]
    version: str
    schema_revision: str | None


class LoginRequest(_Model):
    """Credentials for ``POST /api/v1/session/login``."""

    login: str = Field(max_length=256)
    password: str = Field(max_length=1024)


class UserPublic(BaseModel):
    """A user account (never its password)."""

    id: int
    login: str
    name: str
    role: str
    scope_kind: str
    scope_id: str | None
    language: str
    active: bool
    created: dt.datetime
    last_login: dt.datetime | None


class MePublic(BaseModel):
    """The principal of the request; ``csrf_token`` is the session's anti-forgery token (cookie logins)."""

    user: UserPublic
    csrf_token: str | None
    enterprises: list[str] = Field(description="ids of the enterprises this principal may read")


class UserCreate(_Model):
    """A new user; the password must meet the policy (``shuixiao/data/service.yaml``)."""

    login: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")
    name: str = Field(min_length=1, max_length=200)
    password: str = Field(max_length=1024)
    role: str
    scope_kind: Literal["platform", "region", "park", "enterprise"]
    scope_id: str | None = None
    language: Literal["zh", "en"] = "zh"


class UserUpdate(_Model):
    """Changes to a user; omitted fields stay.  A new password ends the user's sessions."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    language: Literal["zh", "en"] | None = None
    active: bool | None = None
    password: str | None = Field(default=None, max_length=1024)
    role: str | None = None
    scope_kind: Literal["platform", "region", "park", "enterprise"] | None = None
    scope_id: str | None = None


class ApiTokenCreate(_Model):
    """A new API token acting as ``login``; ``days`` until it expires (never when omitted)."""

    login: str
    name: str = Field(min_length=1, max_length=200)
    days: int | None = Field(default=None, ge=1, le=3650)


class ApiTokenPublic(BaseModel):
    """An API token; ``token`` is shown once, when it is issued."""

    id: int
    login: str
    name: str
    created: dt.datetime
    created_by: str
    expires: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used: dt.datetime | None
    token: str | None = None


class DeviceTokenCreate(_Model):
    """A new device token for ``enterprise``, optionally bound to a gateway/device id and a set of meters."""

    name: str = Field(min_length=1, max_length=200)
    enterprise: str
    device: str | None = None
    meters: list[str] | None = None
    days: int | None = Field(default=None, ge=1, le=3650)


class DeviceTokenPublic(BaseModel):
    """A device token; ``token`` is shown once, when it is issued."""

    id: int
    name: str
    enterprise: str
    device: str | None
    meters: list[str] | None
    created: dt.datetime
    created_by: str
    expires: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used: dt.datetime | None
    token: str | None = None


class GrantCreate(_Model):
    """Grant a service provider (by login) access to the enterprise."""

    provider: str
    note: str | None = Field(default=None, max_length=2000)


class GrantPublic(BaseModel):
    """A grant; active while ``revoked_at`` is null."""

    id: int
    enterprise: str
    provider: str
    granted_by: str
    granted_at: dt.datetime
    revoked_by: str | None
    revoked_at: dt.datetime | None
    note: str | None


class AuditEntryPublic(BaseModel):
    """One entry of the audit log."""

    id: int
    at: dt.datetime
    actor: str | None
    action: str
    target: str | None
    enterprise: str | None
    detail: dict[str, Any]
    client_ip: str | None
    outcome: str


class RegionPublic(BaseModel):
    """A region (GB/T 2260 code)."""

    id: str
    name: str
    name_en: str | None
    admin_code: str
    parent: str | None


class ParkPublic(BaseModel):
    """An industrial park."""

    id: str
    name: str
    name_en: str | None
    region: str


class EnterprisePublic(BaseModel):
    """An enterprise in a list."""

    id: str
    name: str
    name_en: str | None
    park: str | None
    region: str
    industry_code: str
    credit_code: str
    n_units: int
    n_flows: int
    n_meters: int


class SitePublic(BaseModel):
    """A site of an enterprise; latitude and longitude in WGS 84 [°]."""

    id: str
    name: str
    address: str | None
    latitude: float | None
    longitude: float | None


class UnitPublic(BaseModel):
    """A water unit; ``design_flow`` [m³/h]."""

    id: str
    name: str
    name_en: str | None
    kind: str
    level: int | None
    parent: str | None
    site: str | None
    source_type: str | None
    treatment_type: str | None
    design_flow: float | None


class FlowPublic(BaseModel):
    """A flow between units (``to_unit`` null: leaves the system); ``design_flow`` [m³/h]."""

    id: str
    from_unit: str
    to_unit: str | None
    category: str
    design_flow: float | None
    name: str | None


class ProductPublic(BaseModel):
    """A product of an enterprise."""

    id: str
    name: str
    name_en: str | None
    unit: str
    benchmark_product: str | None


class LatestValue(BaseModel):
    """The newest stored reading of a meter [canonical unit]."""

    ts: dt.datetime
    value: float
    quality: QualityName


class MeterPublic(BaseModel):
    """A meter with its newest reading (null when it has none)."""

    id: str
    name: str | None
    kind: str
    quantity: str
    unit: str = Field(description="the unit the meter reports in")
    canonical_unit: str = Field(description="the unit of stored values")
    level: int
    flow: str | None
    water_unit: str | None
    accuracy_class: float | None
    installed: dt.date | None
    calibrated: dt.date | None
    device: str | None
    register_max: float | None
    model: str | None
    latest: LatestValue | None = None


class EnterpriseDetail(EnterprisePublic):
    """An enterprise with its water system."""

    employees: int | None
    sites: list[SitePublic]
    units: list[UnitPublic]
    flows: list[FlowPublic]
    meters: list[MeterPublic]
    products: list[ProductPublic]


class ReadingPublic(BaseModel):
    """A stored reading [canonical unit]."""

    ts: dt.datetime
    value: float
    quality: QualityName
    origin: str


class AggregatePublic(BaseModel):
    """An interval aggregate [canonical unit]: sum for volumes, mean otherwise; ``count`` readings."""

    start: dt.datetime
    value: float
    minimum: float
    maximum: float
    count: int
    quality: QualityName


class MeterEventPublic(BaseModel):
    """An event of a meter (replacement, rollover, ...)."""

    meter: str
    ts: dt.datetime
    kind: str
    detail: dict[str, Any]


class QuarantinePublic(BaseModel):
    """A quarantined record with the reason of its latest attempt."""

    id: int
    enterprise: str | None
    meter: str | None
    origin: str
    source: str
    received: dt.datetime
    payload: str
    reason: str
    message: str
    replayed_at: dt.datetime | None


class ReplayRequest(_Model):
    """Which quarantined records of an enterprise to run again (all waiting ones when no filter)."""

    enterprise: str
    ids: list[int] | None = None
    reason: str | None = None


class ReplayPublic(BaseModel):
    """The outcome of a replay."""

    examined: int
    accepted: int
    duplicate: int
    rejected: int
    not_replayable: int
    reasons: dict[str, int]


class IngestRecordResult(BaseModel):
    """The outcome of one record, in the order sent."""

    status: Literal["accepted", "duplicate", "rejected"]
    reason: str | None = None
    message: str = ""
    quarantine_id: int | None = None


class IngestResult(BaseModel):
    """The outcome of an ingestion request, sent only after the commit."""

    accepted: int
    duplicate: int
    rejected: int
    results: list[IngestRecordResult]


class WaterPlanPublic(BaseModel):
    """A monthly water-use plan (计划用水) in force, or one version of its history; ``volume`` [m³]."""

    enterprise: str
    month: str = Field(description="the local calendar month, YYYY-MM")
    source_type: str | None = Field(description="the kind of source the plan covers; null: the whole intake")
    volume: float = Field(description="planned intake of the month [m³]")
    unit: Literal["m³"] = "m³"
    authority: str | None = Field(description="issuing water authority (下达单位)")
    document: str | None = Field(description="document number of the plan (文号)")
    note: str | None
    revision: int = Field(description="1 when first set, one more per revision")
    set_at: dt.datetime = Field(description="when this version was entered")
    set_by: str = Field(description="login of who entered it")


class WaterPlanSet(_Model):
    """A month's plan to set; setting it again revises it (every version is kept)."""

    volume: float = Field(gt=0, allow_inf_nan=False, description="planned intake of the month, in `unit`")
    unit: str = Field(
        default="m³",
        max_length=16,
        description="a unit of volume: m³ (default), m3, 万m³, t, 吨, kL, L …; stored in m³",
    )
    source_type: str | None = Field(
        default=None,
        max_length=32,
        description="surface, groundwater, municipal, … for a plan of one kind of source; null: the whole intake",
    )
    authority: str | None = Field(
        default=None, max_length=200, description="issuing water authority (下达单位)"
    )
    document: str | None = Field(default=None, max_length=200, description="document number (文号)")
    note: str | None = Field(default=None, max_length=2000)


class WaterPlanMonth(WaterPlanSet):
    """The plan of one month, in a request that sets several (e.g. a year's)."""

    month: str = Field(max_length=16, description="the month, YYYY-MM")


class WaterPlansSet(_Model):
    """Plans of several months (e.g. a year's) set in one transaction: all of them or none."""

    plans: list[WaterPlanMonth] = Field(min_length=1, description="each (month, source_type) once")
