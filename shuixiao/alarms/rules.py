"""Alarm rules: the defaults of ``shuixiao/data/alarm_rules.yaml``, overrides, and which meter gets what.

:func:`load_rules` reads the versioned data file into a :class:`RuleSet` (every parameter with
its units, source and confidence; values converted to canonical units).  An enterprise can
override a rule for all its meters or for one (:class:`RuleOverride`: enabled, severity,
escalation timeout, parameters); :func:`resolve_rules` combines the defaults with the overrides
into the :class:`ResolvedRule` each meter (or the enterprise) is checked with.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

import yaml

from shuixiao.alarms._model import Severity, _severity
from shuixiao.errors import InvalidInputError, NotFoundError, UnitError
from shuixiao.model import Enterprise, FlowCategory, Meter, MeterKind, UnitKind
from shuixiao.units import QUANTITIES, quantity_of, to_canonical

__all__ = [
    "ENTERPRISE_KINDS",
    "KIND_PARAMS",
    "METER_KINDS",
    "MeterSelector",
    "Param",
    "ResolvedRule",
    "RuleDefinition",
    "RuleOverride",
    "RuleSet",
    "format_duration",
    "load_rules",
    "override_params",
    "parse_duration",
    "resolve_rules",
]

METER_KINDS: Final = ("offline", "stuck", "rate_of_change", "threshold", "quality_excursion")
"""Rule kinds checked per meter."""
ENTERPRISE_KINDS: Final = ("balance_closure", "leak_suspected", "water_plan", "quota_pace")
"""Rule kinds checked once per enterprise."""

_LIMIT_PARAMS = frozenset({"high", "low", "deadband", "deadband_fraction", "minimum_duration"})
KIND_PARAMS: Final[dict[str, frozenset[str]]] = {
    "offline": frozenset({"intervals", "interval"}),
    "stuck": frozenset({"intervals", "tolerance", "history", "minimum_history", "max_repeat_share"}),
    "rate_of_change": frozenset({"sigmas", "history", "minimum_history", "max_rate", "clear_after"}),
    "threshold": _LIMIT_PARAMS,
    "quality_excursion": _LIMIT_PARAMS,
    "balance_closure": frozenset({"tolerance"}),
    "leak_suspected": frozenset({"critical_flow", "start_tolerance"}),
    "water_plan": frozenset({"warning", "critical", "minimum_days"}),
    "quota_pace": frozenset({"minimum_days"}),
}
"""The parameters each rule kind understands."""

_CONFIDENCE: Final = frozenset({"C", "S", "U", "R"})
_DURATION = re.compile(
    r"^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
_SPECIAL_UNITS: Final = frozenset({"s", "1", "canonical"})


def parse_duration(value: object) -> float:
    """Return a duration in seconds from a number of seconds or an ISO 8601 duration.

    ``P1D`` is 86 400 s (a day of the alarm clock, not of the calendar).

    Raises
    ------
    InvalidInputError
        If ``value`` is neither.

    Examples
    --------
    >>> parse_duration("PT1H30M"), parse_duration("P1D"), parse_duration(900), parse_duration("PT0S")
    (5400.0, 86400.0, 900.0, 0.0)
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif (
        isinstance(value, str)
        and (match := _DURATION.match(value.strip().upper()))
        and value.strip() not in ("P", "PT")
    ):
        days, hours, minutes, secs = (float(g) if g else 0.0 for g in match.groups())
        seconds = days * 86_400 + hours * 3600 + minutes * 60 + secs
    else:
        raise InvalidInputError(
            f"{value!r} is not a duration; give seconds or ISO 8601 such as PT15M, PT2H or P1D"
        )
    if not (math.isfinite(seconds) and seconds >= 0):
        raise InvalidInputError(f"a duration must be ≥ 0 s, not {value!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """Return ``seconds`` as a short ISO 8601 duration.

    Examples
    --------
    >>> format_duration(5400), format_duration(86400), format_duration(0)
    ('PT1H30M', 'P1D', 'PT0S')
    """
    whole = round(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    time = "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
    text = f"P{f'{days}D' if days else ''}{'T' + time if time else ''}"
    return text if text != "P" else "PT0S"


@dataclass(frozen=True)
class Param:
    """A rule parameter with where its value comes from.

    Parameters
    ----------
    name : str
    value : float or None
        In canonical units (seconds for durations); None when not set.
    units : str
        ``s``, ``1``, or ``canonical`` (the canonical unit of the meter's quantity; units of a
        single quantity in the data file are converted to its canonical unit).
    source : str
        Where the value comes from.
    confidence : str
        C confirmed, S secondary, U unconfirmed, R rationale.
    by_quantity : dict of str to float or None
        Values that replace ``value`` for a quantity.
    """

    name: str
    value: float | None
    units: str
    source: str
    confidence: str
    by_quantity: dict[str, float | None] = field(default_factory=dict)

    def for_quantity(self, quantity: str | None) -> float | None:
        """The value for a meter of ``quantity``."""
        if quantity is not None and quantity in self.by_quantity:
            return self.by_quantity[quantity]
        return self.value


@dataclass(frozen=True)
class MeterSelector:
    """Which meters a rule applies to; an empty field matches every meter.

    Parameters
    ----------
    kinds : frozenset of str
        :class:`~shuixiao.model.MeterKind` values.
    quantities : frozenset of str
    unit_kinds : frozenset of str
        :class:`~shuixiao.model.UnitKind` of the water unit the meter is on (``water_unit``).
    flow_to_kinds : frozenset of str
        :class:`~shuixiao.model.UnitKind` of the unit the measured flow goes to (an outfall).
        A meter matches the place when it matches ``unit_kinds`` or ``flow_to_kinds``.
    flow_categories : frozenset of str
        :class:`~shuixiao.model.FlowCategory` of the flow the meter measures.
    """

    kinds: frozenset[str] = frozenset()
    quantities: frozenset[str] = frozenset()
    unit_kinds: frozenset[str] = frozenset()
    flow_to_kinds: frozenset[str] = frozenset()
    flow_categories: frozenset[str] = frozenset()

    def matches(self, enterprise: Enterprise, meter: Meter) -> bool:
        """True when ``meter`` of ``enterprise`` is selected."""
        if self.kinds and meter.kind.value not in self.kinds:
            return False
        if self.quantities and meter.quantity not in self.quantities:
            return False
        flow = next((f for f in enterprise.flows if f.id == meter.flow), None) if meter.flow else None
        if self.flow_categories and (flow is None or flow.category.value not in self.flow_categories):
            return False
        if self.unit_kinds or self.flow_to_kinds:
            kinds = {u.id: u.kind.value for u in enterprise.units}
            on = kinds.get(meter.water_unit or "")
            to = kinds.get(flow.to_unit or "") if flow else None
            if on not in self.unit_kinds and to not in self.flow_to_kinds:
                return False
        return True


@dataclass(frozen=True)
class RuleDefinition:
    """A default rule of the data file.

    Parameters
    ----------
    id : str
    kind : str
        One of :data:`METER_KINDS` or :data:`ENTERPRISE_KINDS`.
    name_zh, name_en : str
        What it watches.
    severity : Severity
    escalate_after : float or None
        [s]
    rationale : str
    selector : MeterSelector
    params : dict of str to Param
    """

    id: str
    kind: str
    name_zh: str
    name_en: str
    severity: Severity
    escalate_after: float | None
    rationale: str
    selector: MeterSelector
    params: dict[str, Param]

    @property
    def per_meter(self) -> bool:
        """True for rules checked per meter."""
        return self.kind in METER_KINDS


@dataclass(frozen=True)
class RuleSet:
    """The rules of one data file.

    Parameters
    ----------
    version : int
    interval : float
        Reporting interval assumed when a meter's cannot be told from its readings. [s]
    rules : dict of str to RuleDefinition
        In the order of the file.
    first_window : float
        Window of an enterprise's first check. [s]
    delivery : dict of str to Param
        Notification retry settings: ``retry_base``, ``retry_cap`` [s], ``max_attempts``,
        ``timeout`` [s].
    """

    version: int
    interval: float
    rules: dict[str, RuleDefinition]
    first_window: float = 86_400.0
    delivery: dict[str, Param] = field(default_factory=dict)

    def rule(self, rule_id: str) -> RuleDefinition:
        """The rule ``rule_id``.

        Raises
        ------
        NotFoundError
            If there is none; the message lists the rules.
        """
        if rule_id not in self.rules:
            raise NotFoundError(f"no alarm rule {rule_id!r}; the rules are {', '.join(self.rules)}")
        return self.rules[rule_id]


_UNSET: Any = object()


@dataclass(frozen=True)
class RuleOverride:
    """An enterprise's change to a default rule, for all its meters (``meter`` None) or for one.

    Parameters
    ----------
    rule : str
        Rule id.
    meter : str or None
    enabled : bool or None
        None: as the defaults (or the enterprise-wide override) say.
    severity : Severity or None
    params : dict of str to float or None
        Parameter values in canonical units (seconds for durations); None unsets a default.
    escalate_after : float or None
        [s]; only used when ``escalate_after_set`` is True (so that None can mean "never").
    escalate_after_set : bool
    """

    rule: str
    meter: str | None = None
    enabled: bool | None = None
    severity: Severity | None = None
    params: dict[str, float | None] = field(default_factory=dict)
    escalate_after: float | None = None
    escalate_after_set: bool = False


@dataclass(frozen=True)
class ResolvedRule:
    """A rule as it applies to one meter (or to the enterprise).

    Parameters
    ----------
    definition : RuleDefinition
    meter : Meter or None
    enabled : bool
    severity : Severity
    escalate_after : float or None
        [s]
    params : dict of str to float or None
        Canonical units; durations in seconds.
    """

    definition: RuleDefinition
    meter: Meter | None
    enabled: bool
    severity: Severity
    escalate_after: float | None
    params: dict[str, float | None]

    @property
    def id(self) -> str:
        """The rule id."""
        return self.definition.id

    @property
    def kind(self) -> str:
        """The rule kind."""
        return self.definition.kind


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Read alarm rules from ``path``, or the defaults shipped in ``shuixiao/data/alarm_rules.yaml``.

    Raises
    ------
    InvalidInputError
        If the file is not in the layout described at its top; the message names the entry.

    Examples
    --------
    >>> rules = load_rules()
    >>> rules.rule("offline").params["intervals"].value, rules.interval
    (4.0, 900.0)
    >>> rules.rule("quality.discharge.ph").params["high"].value
    9.0
    """
    if path is None:
        text = resources.files("shuixiao.data").joinpath("alarm_rules.yaml").read_text("utf-8")
        where = "shuixiao/data/alarm_rules.yaml"
    else:
        where = str(path)
        try:
            text = Path(path).read_text("utf-8")
        except OSError as err:
            raise InvalidInputError(f"cannot read the alarm rules file {where}: {err.strerror}") from err
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise InvalidInputError(f"{where} is not YAML: {err}") from err
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        raise InvalidInputError(f"{where} needs `version`, `interval` and a `rules` list")
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidInputError(f"{where}: `version` must be a whole number")
    interval = _param("interval", document.get("interval"), None, f"{where}: interval")
    if interval.value is None or interval.units != "s" or not interval.value > 0:
        raise InvalidInputError(f"{where}: interval needs a duration > 0 (units s)")
    first = _param("first_window", document.get("first_window"), None, f"{where}: first_window")
    if first.value is None or first.units != "s" or not first.value > 0:
        raise InvalidInputError(f"{where}: first_window needs a duration > 0 (units s)")
    raw_delivery = document.get("delivery")
    names = {"retry_base", "retry_cap", "max_attempts", "timeout"}
    if not isinstance(raw_delivery, dict) or set(raw_delivery) != names:
        raise InvalidInputError(f"{where}: delivery needs exactly {', '.join(sorted(names))}")
    delivery = {n: _param(n, raw_delivery[n], None, f"{where}: delivery.{n}") for n in sorted(names)}
    for name, setting in delivery.items():
        if setting.value is None or not setting.value > 0:
            raise InvalidInputError(f"{where}: delivery.{name} must be > 0")
    rules: dict[str, RuleDefinition] = {}
    for n, entry in enumerate(document["rules"]):
        rule = _rule(entry, f"{where}: rules[{n}]")
        if rule.id in rules:
            raise InvalidInputError(f"{where}: rules[{n}]: rule id {rule.id!r} appears twice")
        rules[rule.id] = rule
    return RuleSet(version, interval.value, rules, first.value, delivery)


def _rule(entry: Any, where: str) -> RuleDefinition:
    if not isinstance(entry, dict):
        raise InvalidInputError(f"{where} must be a mapping")
    required = {"id", "kind", "name", "severity", "escalate_after", "rationale", "meters", "params"}
    missing = required - entry.keys()
    if missing:
        raise InvalidInputError(f"{where} lacks {', '.join(sorted(missing))}")
    rule_id, kind = entry["id"], entry["kind"]
    if not isinstance(rule_id, str) or not rule_id:
        raise InvalidInputError(f"{where}.id must be a non-empty string")
    where = f"{where} ({rule_id})"
    if kind not in KIND_PARAMS:
        raise InvalidInputError(f"{where}.kind {kind!r} is unknown; use one of {', '.join(KIND_PARAMS)}")
    name = entry["name"]
    if not isinstance(name, dict) or not all(isinstance(name.get(k), str) for k in ("zh", "en")):
        raise InvalidInputError(f"{where}.name needs zh and en")
    try:
        severity = _severity(entry["severity"])
    except InvalidInputError as err:
        raise InvalidInputError(f"{where}.severity: {err}") from None
    escalate = entry["escalate_after"]
    escalate_after = None if escalate is None else _duration(escalate, f"{where}.escalate_after")
    selector = _selector(entry["meters"], f"{where}.meters")
    if kind in ENTERPRISE_KINDS and selector != MeterSelector():
        raise InvalidInputError(f"{where}.meters must be empty for an enterprise rule ({kind})")
    quantity = next(iter(selector.quantities)) if len(selector.quantities) == 1 else None
    raw = entry["params"]
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{where}.params must be a mapping")
    unknown = set(raw) - KIND_PARAMS[kind]
    if unknown:
        raise InvalidInputError(
            f"{where}.params: {', '.join(sorted(unknown))} unknown for {kind}; use {', '.join(sorted(KIND_PARAMS[kind]))}"
        )
    params = {p: _param(p, raw[p], quantity, f"{where}.params.{p}") for p in raw}
    if not isinstance(entry["rationale"], str) or not entry["rationale"].strip():
        raise InvalidInputError(f"{where}.rationale must say why")
    return RuleDefinition(
        rule_id,
        kind,
        name["zh"],
        name["en"],
        severity,
        escalate_after,
        entry["rationale"].strip(),
        selector,
        params,
    )


def _selector(entry: Any, where: str) -> MeterSelector:
    if entry is None:
        entry = {}
    vocab = {
        "kinds": {k.value for k in MeterKind},
        "quantities": set(QUANTITIES),
        "unit_kinds": {k.value for k in UnitKind},
        "flow_to_kinds": {k.value for k in UnitKind},
        "flow_categories": {c.value for c in FlowCategory},
    }
    if not isinstance(entry, dict) or not set(entry) <= vocab.keys():
        raise InvalidInputError(f"{where} may only have {', '.join(vocab)}")
    values: dict[str, frozenset[str]] = {}
    for name, allowed in vocab.items():
        items = entry.get(name) or []
        if not isinstance(items, list) or not set(items) <= allowed:
            bad = sorted(set(items) - allowed) if isinstance(items, list) else items
            raise InvalidInputError(f"{where}.{name}: {bad} not known; use {', '.join(sorted(allowed))}")
        values[name] = frozenset(items)
    return MeterSelector(**values)


def _duration(value: Any, where: str) -> float:
    try:
        return parse_duration(value)
    except InvalidInputError as err:
        raise InvalidInputError(f"{where}: {err}") from None


def _param(name: str, entry: Any, quantity: str | None, where: str) -> Param:
    if not isinstance(entry, dict) or not {"value", "units", "source", "confidence"} <= entry.keys():
        raise InvalidInputError(f"{where} needs value, units, source and confidence")
    units, confidence, source = str(entry["units"]), entry["confidence"], entry["source"]
    if confidence not in _CONFIDENCE:
        raise InvalidInputError(f"{where}.confidence must be one of {', '.join(sorted(_CONFIDENCE))}")
    if not isinstance(source, str) or not source.strip():
        raise InvalidInputError(f"{where}.source must say where the value comes from")
    convert = _converter(units, quantity, where)
    by_quantity_raw = entry.get("by_quantity") or {}
    if not isinstance(by_quantity_raw, dict) or not set(by_quantity_raw) <= set(QUANTITIES):
        raise InvalidInputError(
            f"{where}.by_quantity must map quantities ({', '.join(QUANTITIES)}) to values"
        )
    by_quantity = {q: convert(v, f"{where}.by_quantity.{q}") for q, v in by_quantity_raw.items()}
    canonical = units if units in _SPECIAL_UNITS else "canonical"
    return Param(
        name,
        convert(entry["value"], f"{where}.value"),
        canonical,
        " ".join(source.split()),
        confidence,
        by_quantity,
    )


def _converter(units: str, quantity: str | None, where: str) -> Any:
    if units == "s":
        return lambda v, w: None if v is None else _duration(v, w)
    if units in ("1", "canonical"):
        return lambda v, w: _number(v, w)
    target = quantity
    if target is None:
        found = quantity_of(units)
        if len(found) != 1:
            raise InvalidInputError(
                f"{where}.units {units!r}: give `canonical`, or a unit of exactly one quantity (the rule's)"
            )
        target = found[0]

    def convert(value: Any, w: str) -> float | None:
        number = _number(value, w)
        if number is None:
            return None
        try:
            return float(to_canonical(number, units, str(target)))
        except UnitError as err:
            raise InvalidInputError(f"{where}.units: {err}") from None

    return convert


def _number(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInputError(f"{where} must be a finite number or null, not {value!r}")
    return float(value)


def resolve_rules(
    rules: RuleSet, enterprise: Enterprise, overrides: Iterable[RuleOverride] = ()
) -> list[ResolvedRule]:
    """Return the rules to check for ``enterprise``: per meter, then per enterprise.

    A per-meter rule applies to the meters its selector picks and to any meter with its own
    override of the rule.  Settings combine defaults ⊕ enterprise-wide override ⊕ meter
    override, the most specific winning; disabled rules are returned with ``enabled`` False.

    Raises
    ------
    NotFoundError
        If an override names a rule or a meter that does not exist.
    InvalidInputError
        If an override sets a parameter the rule does not have.

    Examples
    --------
    >>> from shuixiao.model import Enterprise, Meter, MeterKind
    >>> e = Enterprise("e", "示例", "x", "3120", "r",
    ...     meters=(Meter("FT-1", MeterKind.RATE, "flow_rate", "m³/h", 1),))
    >>> resolved = resolve_rules(load_rules(), e, [RuleOverride("threshold", "FT-1", params={"high": 50.0})])
    >>> [(r.id, r.params["high"]) for r in resolved if r.kind == "threshold"]
    [('threshold', 50.0)]
    """
    meters = {m.id: m for m in enterprise.meters}
    wide: dict[str, RuleOverride] = {}
    own: dict[tuple[str, str], RuleOverride] = {}
    for o in overrides:
        definition = rules.rule(o.rule)
        unknown = set(o.params) - KIND_PARAMS[definition.kind]
        if unknown:
            raise InvalidInputError(
                f"rule {o.rule} has no parameter {', '.join(sorted(unknown))}; "
                f"it has {', '.join(sorted(KIND_PARAMS[definition.kind]))}"
            )
        if o.meter is None:
            wide[o.rule] = o
            continue
        if o.meter not in meters:
            raise NotFoundError(f"enterprise {enterprise.id} has no meter {o.meter!r} (alarm rule {o.rule})")
        if not definition.per_meter:
            raise InvalidInputError(f"rule {o.rule} is checked per enterprise; override it without a meter")
        own[(o.rule, o.meter)] = o
    result: list[ResolvedRule] = []
    for definition in rules.rules.values():
        if not definition.per_meter:
            result.append(_resolve(definition, None, [wide.get(definition.id)]))
            continue
        for meter in enterprise.meters:
            mine = own.get((definition.id, meter.id))
            if mine is None and not definition.selector.matches(enterprise, meter):
                continue
            result.append(_resolve(definition, meter, [wide.get(definition.id), mine]))
    return result


def _resolve(
    definition: RuleDefinition, meter: Meter | None, layers: list[RuleOverride | None]
) -> ResolvedRule:
    quantity = meter.quantity if meter else None
    params = {name: p.for_quantity(quantity) for name, p in definition.params.items()}
    enabled, severity, escalate_after = True, definition.severity, definition.escalate_after
    for layer in layers:
        if layer is None:
            continue
        params.update(layer.params)
        enabled = layer.enabled if layer.enabled is not None else enabled
        severity = layer.severity or severity
        if layer.escalate_after_set:
            escalate_after = layer.escalate_after
    return ResolvedRule(definition, meter, enabled, severity, escalate_after, params)


def override_params(
    definition: RuleDefinition, values: Mapping[str, str], quantity: str | None
) -> dict[str, float | None]:
    """Parse ``name=value`` parameter settings for ``definition`` (from a command line).

    A value is a number in the canonical unit (``50``), a number with a unit of the meter's
    quantity (``14 L/s``), a duration for parameters in seconds (``PT30M``), or ``null``.

    Raises
    ------
    InvalidInputError
        For an unknown parameter or a value that does not fit it.

    Examples
    --------
    >>> rule = load_rules().rule("threshold")
    >>> override_params(rule, {"high": "2 L/s", "minimum_duration": "PT30M", "low": "null"}, "flow_rate")
    {'high': 7.2, 'minimum_duration': 1800.0, 'low': None}
    """
    result: dict[str, float | None] = {}
    for name, text in values.items():
        if name not in KIND_PARAMS[definition.kind]:
            raise InvalidInputError(
                f"rule {definition.id} has no parameter {name!r}; it has {', '.join(sorted(KIND_PARAMS[definition.kind]))}"
            )
        units = definition.params[name].units if name in definition.params else "canonical"
        if name == "interval":
            units = "s"
        result[name] = _parse_value(text.strip(), units, quantity, f"{definition.id}.{name}")
    return result


def _parse_value(text: str, units: str, quantity: str | None, where: str) -> float | None:
    if text.lower() in ("null", "none", ""):
        return None
    if units == "s":
        try:
            return parse_duration(float(text))
        except ValueError:
            return _duration(text, where)
    number, _, unit = text.partition(" ")
    try:
        value = float(number)
    except ValueError:
        raise InvalidInputError(
            f"{where}: {text!r} is not a number (optionally with a unit: '14 L/s')"
        ) from None
    if not math.isfinite(value):
        raise InvalidInputError(f"{where}: {text!r} is not finite")
    if not unit.strip():
        return value
    if units != "canonical" or quantity is None:
        raise InvalidInputError(f"{where} takes a plain number, without a unit")
    try:
        return float(to_canonical(value, unit.strip(), quantity))
    except UnitError as err:
        raise InvalidInputError(f"{where}: {err}") from None
