"""Early warning (预警): the alarm model, its state machine and the rules that raise alarms.

A pure engine (numpy, the balance and leak engines; no database, network or settings):

* :class:`Alarm`, :class:`Severity` (info < warning < major < critical), :class:`AlarmState`
  (raised → acknowledged → cleared), :class:`AlarmSpec` (what to raise) and
  :class:`HistoryEntry` (the audit trail of every transition);
* :mod:`~shuixiao.alarms.state` — acknowledge, clear, escalate (unacknowledged after the
  rule's timeout: severity up one level, once per level) and notes, each validated;
* :mod:`~shuixiao.alarms.episodes` — rule evaluators over series arrays: threshold with
  deadband and on-delay, rate of change, offline, stuck, balance closure;
* :mod:`~shuixiao.alarms.rules` — the default rules of ``shuixiao/data/alarm_rules.yaml``
  with their sources, and per-enterprise and per-meter overrides;
* :mod:`~shuixiao.alarms.findings` — findings with deduplication keys and titles in Chinese
  and English, from meters, the daily balance and leak detections;
* :mod:`~shuixiao.alarms.leak_workflow` — the leak-event workflow suspected → confirmed →
  repaired → verified (or dismissed);
* :mod:`~shuixiao.alarms.plans` — planned water use (计划用水): month-to-date intake against the
  monthly plan pro rata, and intake per unit product against the general quota.

The store (:mod:`shuixiao.storage.alarms`) keeps alarms and leak events;
:mod:`shuixiao.notify` checks the rules against stored readings and tells people.
See ``docs/alarms.md``.

Example
-------
>>> from shuixiao.alarms import threshold_episodes
>>> ev = threshold_episodes([0, 900, 1800], [7.0, 9.3, 9.4], 9.0, deadband=0.1)
>>> ev.state, ev.episodes[0].extreme
('active', 9.4)
"""

from shuixiao.alarms._model import (
    SYSTEM,
    Alarm,
    AlarmSpec,
    AlarmState,
    AlarmStateError,
    HistoryEntry,
    Severity,
)
from shuixiao.alarms.episodes import (
    Episode,
    Evaluation,
    closure_episodes,
    offline_episodes,
    rate_of_change_episodes,
    stuck_episodes,
    threshold_episodes,
)
from shuixiao.alarms.findings import (
    Finding,
    KeyResult,
    MeterSeries,
    evaluate_balance,
    evaluate_meter,
    human_duration,
    leak_alarm,
    lookback,
    meter_interval,
)
from shuixiao.alarms.leak_workflow import LEAK_ACTIONS, LeakState, leak_transition, match_leak_event
from shuixiao.alarms.plans import (
    PLAN_LEVELS,
    PlanProgress,
    ProductProgress,
    evaluate_plan,
    evaluate_quota,
    month_days,
    plan_pace_ratio,
)
from shuixiao.alarms.rules import (
    ENTERPRISE_KINDS,
    KIND_PARAMS,
    METER_KINDS,
    MeterSelector,
    Param,
    ResolvedRule,
    RuleDefinition,
    RuleOverride,
    RuleSet,
    format_duration,
    load_rules,
    override_params,
    parse_duration,
    resolve_rules,
)
from shuixiao.alarms.state import acknowledge, add_note, clear, escalate, escalation_due, next_escalation

__all__ = [
    "ENTERPRISE_KINDS",
    "KIND_PARAMS",
    "LEAK_ACTIONS",
    "METER_KINDS",
    "PLAN_LEVELS",
    "SYSTEM",
    "Alarm",
    "AlarmSpec",
    "AlarmState",
    "AlarmStateError",
    "Episode",
    "Evaluation",
    "Finding",
    "HistoryEntry",
    "KeyResult",
    "LeakState",
    "MeterSelector",
    "MeterSeries",
    "Param",
    "PlanProgress",
    "ProductProgress",
    "ResolvedRule",
    "RuleDefinition",
    "RuleOverride",
    "RuleSet",
    "Severity",
    "acknowledge",
    "add_note",
    "clear",
    "closure_episodes",
    "escalate",
    "escalation_due",
    "evaluate_balance",
    "evaluate_meter",
    "evaluate_plan",
    "evaluate_quota",
    "format_duration",
    "human_duration",
    "leak_alarm",
    "leak_transition",
    "load_rules",
    "lookback",
    "match_leak_event",
    "meter_interval",
    "month_days",
    "next_escalation",
    "offline_episodes",
    "override_params",
    "parse_duration",
    "plan_pace_ratio",
    "rate_of_change_episodes",
    "resolve_rules",
    "stuck_episodes",
    "threshold_episodes",
]
