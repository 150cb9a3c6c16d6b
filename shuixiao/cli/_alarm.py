"""``shuixiao alarm``: check the rules, list and handle alarms, override rules, see notifications."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

from rich.table import Table

from shuixiao.alarms import (
    AlarmState,
    RuleOverride,
    Severity,
    format_duration,
    load_rules,
    override_params,
    parse_duration,
    resolve_rules,
)
from shuixiao.cli._context import Context
from shuixiao.errors import InvalidInputError, StorageError
from shuixiao.notify import (
    CONFIG_VARIABLE,
    AlarmChecker,
    CheckReport,
    NotifyConfig,
    alarm_dict,
    config_path,
    deliver_due,
    load_notify_config,
    make_outbox,
    run_every,
)
from shuixiao.storage import AlarmStore

_STATES = ("open", "raised", "acknowledged", "cleared", "all")
_SEVERITIES = tuple(s.value for s in Severity)


def register(nouns: Any) -> None:
    """Add the ``alarm`` command and its verbs to ``nouns``."""
    alarm = nouns.add_parser(
        "alarm",
        help="early warning: check rules, list, acknowledge, clear alarms",
        description=(
            "Alarms from rules over the stored readings (offline and stuck meters, limits, rate of change, "
            "water-quality limits, the daily level-1/level-2 balance) and from leak detection: raised → "
            "acknowledged → cleared, escalated when nobody acknowledges them, notified by webhook and "
            "e-mail. See docs/alarms.md."
        ),
    )
    verbs = alarm.add_subparsers(dest="verb", metavar="<verb>", required=True)

    check = verbs.add_parser(
        "check",
        help="check the rules over new readings; raise, clear, escalate, notify",
        description=(
            "Evaluate every enterprise's alarm rules over the readings since its last check (the first "
            "check looks back a day): raise alarms for conditions found (once: a condition that persists "
            "stays one alarm), clear those whose condition ended, escalate unacknowledged ones whose "
            "timeout passed, and send due notifications. --every keeps checking until Ctrl+C or SIGTERM."
        ),
    )
    check.add_argument(
        "--enterprise", action="append", metavar="ID", help="only this enterprise (repeatable)"
    )
    check.add_argument("--since", metavar="TIME", help="start of the window (ISO date or date-time, local)")
    check.add_argument("--until", metavar="TIME", help="end of the window (default: now)")
    check.add_argument(
        "--every", type=float, metavar="SECONDS", help="check again every SECONDS until stopped"
    )
    _notify_option(check)
    check.add_argument("--json", action="store_true", help="machine-readable JSON")
    check.set_defaults(handler=run_check)

    listing = verbs.add_parser("list", help="list alarms", description="Alarms, newest first.")
    listing.add_argument(
        "--enterprise", action="append", metavar="ID", help="only this enterprise (repeatable)"
    )
    listing.add_argument(
        "--state", choices=_STATES, default="open", help="open (raised or acknowledged; default), …, or all"
    )
    listing.add_argument("--severity", choices=_SEVERITIES, help="at least this severe")
    listing.add_argument("--kind", metavar="KIND", help="only this kind, e.g. offline")
    listing.add_argument("--meter", metavar="ID", help="only this meter")
    listing.add_argument("--since", metavar="TIME", help="raised at or after (ISO date or date-time, local)")
    listing.add_argument("--limit", type=int, default=50, metavar="N", help="at most N (default 50; 0: all)")
    listing.add_argument("--json", action="store_true", help="machine-readable JSON")
    listing.set_defaults(handler=list_alarms)

    show = verbs.add_parser(
        "show", help="one alarm with its history", description="An alarm, its history and notifications."
    )
    show.add_argument("id", type=int, help="alarm id")
    show.add_argument("--json", action="store_true", help="machine-readable JSON")
    show.set_defaults(handler=show_alarm)

    for verb, text in (("ack", "acknowledge an alarm (you take it on)"), ("clear", "clear an alarm")):
        sub = verbs.add_parser(verb, help=text, description=text[0].upper() + text[1:] + ".")
        sub.add_argument("id", type=int, help="alarm id")
        sub.add_argument("--note", metavar="TEXT", help="a note for the history")
        _by_option(sub)
        _notify_option(sub)
        sub.set_defaults(handler=acknowledge if verb == "ack" else clear)

    note = verbs.add_parser(
        "note", help="add a note to an alarm", description="Add a note to an alarm in any state."
    )
    note.add_argument("id", type=int, help="alarm id")
    note.add_argument("text", help="the note")
    _by_option(note)
    note.set_defaults(handler=add_note)

    rule = verbs.add_parser(
        "rule",
        help="alarm rules of an enterprise: list, set, unset",
        description=(
            "The default rules (shuixiao/data/alarm_rules.yaml) apply to every enterprise; an enterprise can "
            "override a rule for all its meters or for one meter."
        ),
    )
    actions = rule.add_subparsers(dest="action", metavar="<action>", required=True)
    rule_list = actions.add_parser(
        "list", help="the rules in force", description="The rules in force, per meter."
    )
    rule_list.add_argument("--enterprise", required=True, metavar="ID", help="enterprise")
    rule_list.add_argument("--meter", metavar="ID", help="only this meter")
    rule_list.add_argument("--json", action="store_true", help="machine-readable JSON")
    rule_list.set_defaults(handler=list_rules)
    rule_set = actions.add_parser(
        "set",
        help="override a rule",
        description=(
            "Override a rule for an enterprise (or one meter): enable or disable it, change its severity, "
            "its escalation timeout or its parameters. Parameter values are in the canonical unit of the "
            "meter's quantity unless a unit is given ('high=14 L/s'); durations as ISO 8601 (PT30M) or "
            "seconds; 'null' unsets a default."
        ),
    )
    rule_set.add_argument("rule", help="rule id, e.g. threshold (see `alarm rule list`)")
    rule_set.add_argument("--enterprise", required=True, metavar="ID", help="enterprise")
    rule_set.add_argument("--meter", metavar="ID", help="only this meter")
    switch = rule_set.add_mutually_exclusive_group()
    switch.add_argument("--enable", action="store_true", help="enable the rule")
    switch.add_argument("--disable", action="store_true", help="disable the rule")
    rule_set.add_argument("--severity", choices=_SEVERITIES, help="severity of new alarms")
    rule_set.add_argument(
        "--escalate-after", metavar="DURATION", help="escalation timeout (ISO 8601, seconds, or 'never')"
    )
    rule_set.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="a parameter (repeatable)"
    )
    _by_option(rule_set)
    rule_set.set_defaults(handler=set_rule)
    rule_unset = actions.add_parser("unset", help="remove an override", description="Back to the defaults.")
    rule_unset.add_argument("rule", help="rule id")
    rule_unset.add_argument("--enterprise", required=True, metavar="ID", help="enterprise")
    rule_unset.add_argument("--meter", metavar="ID", help="only this meter")
    rule_unset.set_defaults(handler=unset_rule)

    deliveries = verbs.add_parser(
        "deliveries",
        help="notifications: list, send, retry",
        description=(
            "Notifications are queued with each alarm change and sent by `alarm check`; failures are retried "
            "with backoff and kept as failed after the last attempt."
        ),
    )
    deliveries.add_argument("--status", choices=("pending", "sent", "failed"), help="only this status")
    deliveries.add_argument("--alarm", type=int, metavar="ID", help="only this alarm")
    deliveries.add_argument("--retry", action="store_true", help="queue the failed ones again")
    deliveries.add_argument("--send", action="store_true", help="send the due ones now")
    deliveries.add_argument(
        "--limit", type=int, default=50, metavar="N", help="at most N (default 50; 0: all)"
    )
    _notify_option(deliveries)
    deliveries.add_argument("--json", action="store_true", help="machine-readable JSON")
    deliveries.set_defaults(handler=list_deliveries)


def _notify_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--notify-config",
        metavar="FILE",
        help=f"notification channels, TOML or YAML (env {CONFIG_VARIABLE}; default: none)",
    )


def _by_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--by", metavar="LOGIN", help="who does it (default: the OS user)")


def actor(args: argparse.Namespace) -> str:
    """The ``--by`` login, else the operating-system user."""
    who = getattr(args, "by", None) or getpass.getuser()
    if not who.strip():
        raise InvalidInputError("say who does it with --by LOGIN")
    return str(who).strip()


def notify_config(args: argparse.Namespace) -> NotifyConfig | None:
    """The notification config of ``--notify-config`` or the environment, if any."""
    path = config_path(getattr(args, "notify_config", None))
    return load_notify_config(path) if path else None


def local_time(text: str | None, tz: str, what: str) -> dt.datetime | None:
    """An ISO date or date-time from the command line; without an offset, in ``tz``."""
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as err:
        raise InvalidInputError(
            f"{what} {text!r} is not an ISO date or date-time, e.g. 2025-03-01T08:00"
        ) from err
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(tz))


def _shown(value: dt.datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else "—"


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set ``stop`` on SIGINT and SIGTERM while the block runs."""
    previous = {
        sig: signal.signal(sig, lambda _sig, _frame: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --- check --------------------------------------------------------------------------------------


def run_check(ctx: Context, args: argparse.Namespace) -> int:
    """Check the rules once, or every --every seconds until stopped."""
    tz = ctx.settings.timezone
    since = local_time(args.since, tz, "--since")
    until = local_time(args.until, tz, "--until")
    if args.every is not None and (until is not None or not args.every > 0):
        raise InvalidInputError("--every needs a number of seconds > 0 and no --until")
    checker = AlarmChecker(ctx.store(), notify=notify_config(args), timezone=tz)
    if args.every is None:
        _print_reports(ctx, args, checker.check_all(args.enterprise, since=since, until=until))
        return 0
    stop = threading.Event()
    first = [since]

    def round_() -> None:
        try:
            reports = checker.check_all(args.enterprise, since=first[0])
        except StorageError as err:  # the database is away: say so and try again next round
            print(f"shuixiao: error: {err.diagnostics()}", file=sys.stderr)  # noqa: T201
            return
        first[0] = None
        _print_reports(ctx, args, reports)

    ctx.out.print(ctx.t("alarm.every", seconds=args.every))
    with stop_on_signals(stop):
        rounds = run_every(args.every, round_, stop)
    ctx.out.print(ctx.t("alarm.stopped", rounds=rounds))
    return 0


def _print_reports(ctx: Context, args: argparse.Namespace, reports: list[CheckReport]) -> None:
    if args.json:
        ctx.print_json(
            [
                {
                    "enterprise": r.enterprise,
                    "since": r.since.isoformat(),
                    "until": r.until.isoformat(),
                    "raised": [alarm_dict(a) for a in r.raised],
                    "cleared": [alarm_dict(a) for a in r.cleared],
                    "escalated": [alarm_dict(a) for a in r.escalated],
                    "open": r.open,
                }
                for r in reports
            ]
        )
        return
    if not reports:
        ctx.out.print(ctx.t("model.none"))
    zone = ctx.settings.zone
    lang = ctx.settings.language
    for r in reports:
        ctx.out.print(
            ctx.t(
                "alarm.checked",
                enterprise=r.enterprise,
                since=_shown(r.since, zone),
                until=_shown(r.until, zone),
                raised=len(r.raised),
                cleared=len(r.cleared),
                escalated=len(r.escalated),
                open=r.open,
            ),
            markup=False,
        )
        for label, alarms in (
            ("alarm.new", r.raised),
            ("alarm.auto_cleared", r.cleared),
            ("alarm.up", r.escalated),
        ):
            for a in alarms:
                ctx.out.print(
                    f"  {ctx.t(label)} #{a.id} [{ctx.t('severity.' + a.severity.value)}] {a.title(lang)}",
                    markup=False,
                )


# --- alarms -------------------------------------------------------------------------------------


def list_alarms(ctx: Context, args: argparse.Namespace) -> int:
    """List alarms, newest first."""
    states: list[AlarmState] | None
    if args.state == "open":
        states = [AlarmState.RAISED, AlarmState.ACKNOWLEDGED]
    elif args.state == "all":
        states = None
    else:
        states = [AlarmState(args.state)]
    found = AlarmStore(ctx.store()).list_alarms(
        args.enterprise,
        states,
        limit=args.limit or None,
        since=local_time(args.since, ctx.settings.timezone, "--since"),
        kinds=[args.kind] if args.kind else None,
        meter=args.meter,
        minimum_severity=Severity(args.severity) if args.severity else None,
    )
    if args.json:
        ctx.print_json([alarm_dict(a) for a in found])
        return 0
    if not found:
        ctx.out.print(ctx.t("alarm.none"))
        return 0
    zone, lang = ctx.settings.zone, ctx.settings.language
    table = Table(title=ctx.t("alarm.title"))
    for key in (
        "col.id",
        "alarm.col.raised",
        "col.enterprise",
        "alarm.col.severity",
        "alarm.col.state",
        "col.kind",
        "alarm.col.alarm",
    ):
        table.add_column(ctx.t(key), overflow="fold")
    for a in found:
        table.add_row(
            str(a.id),
            _shown(a.raised_at, zone),
            a.enterprise,
            ctx.t("severity." + a.severity.value) + (" ↑" * a.escalated),
            ctx.t("state." + a.state.value),
            a.kind,
            a.title(lang),
        )
    ctx.out.print(table)
    return 0


def show_alarm(ctx: Context, args: argparse.Namespace) -> int:
    """Show one alarm with its history and notifications."""
    alarms = AlarmStore(ctx.store())
    alarm = alarms.get(args.id)
    history = alarms.history(args.id)
    deliveries = alarms.list_deliveries(alarm_id=args.id, limit=None)
    if args.json:
        document = alarm_dict(alarm)
        document["history"] = [
            {
                "at": h.at.isoformat(),
                "actor": h.actor,
                "action": h.action,
                "from": h.from_state,
                "to": h.to_state,
                "severity": h.severity,
                "note": h.note,
            }
            for h in history
        ]
        document["deliveries"] = [_delivery_dict(d) for d in deliveries]
        ctx.print_json(document)
        return 0
    zone, lang = ctx.settings.zone, ctx.settings.language
    ctx.out.print(f"#{alarm.id} {alarm.title(lang)}", markup=False)
    ctx.out.print(
        ctx.t(
            "alarm.facts",
            enterprise=alarm.enterprise,
            kind=alarm.kind,
            dedup=alarm.key,
            severity=ctx.t("severity." + alarm.severity.value),
            state=ctx.t("state." + alarm.state.value),
            raised=_shown(alarm.raised_at, zone),
            escalated=alarm.escalated,
        ),
        markup=False,
    )
    table = Table(title=ctx.t("alarm.history"))
    for key in ("alarm.col.time", "alarm.col.actor", "alarm.col.action", "alarm.col.state", "alarm.col.note"):
        table.add_column(ctx.t(key), overflow="fold")
    for h in history:
        change = (
            f"{h.from_state or '—'} → {h.to_state or '—'}"
            if h.from_state != h.to_state
            else (h.to_state or "")
        )
        table.add_row(_shown(h.at, zone), h.actor, h.action, change, h.note or "")
    ctx.out.print(table)
    for d in deliveries:
        ctx.out.print(
            f"  {ctx.t('alarm.delivery')} #{d.id} {d.event} → {d.channel} ({d.target}): {d.status}, "
            f"{d.attempts} × {d.last_error or ''}",
            markup=False,
        )
    return 0


def _store_with_outbox(ctx: Context, args: argparse.Namespace) -> AlarmStore:
    config = notify_config(args)
    return AlarmStore(ctx.store(), outbox=make_outbox(config) if config else None)


def acknowledge(ctx: Context, args: argparse.Namespace) -> int:
    """Acknowledge an alarm."""
    alarm = _store_with_outbox(ctx, args).acknowledge(args.id, actor(args), args.note)
    ctx.out.print(ctx.t("alarm.acknowledged", id=alarm.id, by=alarm.acknowledged_by), markup=False)
    return 0


def clear(ctx: Context, args: argparse.Namespace) -> int:
    """Clear an alarm."""
    alarm = _store_with_outbox(ctx, args).clear(args.id, actor(args), args.note)
    ctx.out.print(ctx.t("alarm.cleared", id=alarm.id, by=alarm.cleared_by), markup=False)
    return 0


def add_note(ctx: Context, args: argparse.Namespace) -> int:
    """Add a note to an alarm."""
    entry = AlarmStore(ctx.store()).add_note(args.id, actor(args), args.text)
    ctx.out.print(ctx.t("alarm.noted", id=args.id, by=entry.actor), markup=False)
    return 0


# --- rules --------------------------------------------------------------------------------------


def list_rules(ctx: Context, args: argparse.Namespace) -> int:
    """Show the rules in force for an enterprise."""
    store = ctx.store()
    model = store.load_enterprise(args.enterprise)
    overrides = AlarmStore(store).rule_overrides(args.enterprise)
    changed = {(o.rule, o.meter) for o in overrides}
    resolved = [
        r
        for r in resolve_rules(load_rules(), model, overrides)
        if args.meter is None or (r.meter and r.meter.id == args.meter)
    ]
    rows: list[dict[str, Any]] = [
        {
            "rule": r.id,
            "kind": r.kind,
            "meter": r.meter.id if r.meter else None,
            "enabled": r.enabled,
            "severity": r.severity.value,
            "escalate_after": format_duration(r.escalate_after) if r.escalate_after is not None else None,
            "params": {k: v for k, v in r.params.items() if v is not None},
            "overridden": (r.id, None) in changed or (r.id, r.meter.id if r.meter else None) in changed,
        }
        for r in resolved
    ]
    if args.json:
        ctx.print_json(rows)
        return 0
    table = Table(title=ctx.t("alarm.rules", enterprise=args.enterprise))
    for key in (
        "alarm.col.rule",
        "col.meter",
        "alarm.col.enabled",
        "alarm.col.severity",
        "alarm.col.escalate",
        "alarm.col.params",
    ):
        table.add_column(ctx.t(key), overflow="fold")
    for row in rows:
        params = ", ".join(f"{k}={v:g}" for k, v in row["params"].items())
        table.add_row(
            str(row["rule"]) + (" *" if row["overridden"] else ""),
            str(row["meter"] or "—"),
            "✓" if row["enabled"] else "✗",
            ctx.t("severity." + str(row["severity"])),
            str(row["escalate_after"] or "—"),
            params,
        )
    ctx.out.print(table)
    ctx.out.print(ctx.t("alarm.rules_note"), markup=False)
    return 0


def set_rule(ctx: Context, args: argparse.Namespace) -> int:
    """Override a rule for an enterprise or a meter."""
    store = ctx.store()
    rules = load_rules()
    definition = rules.rule(args.rule)
    model = store.load_enterprise(args.enterprise)
    quantity = None
    if args.meter is not None:
        meter = next((m for m in model.meters if m.id == args.meter), None)
        if meter is None:
            raise InvalidInputError(f"enterprise {args.enterprise} has no meter {args.meter!r}")
        quantity = "flow_rate" if meter.quantity == "volume" else meter.quantity
    values: dict[str, str] = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidInputError(f"--param {item!r}: write NAME=VALUE, e.g. high=500")
        values[name.strip()] = value
    escalate_set = args.escalate_after is not None
    escalate = None
    if escalate_set and args.escalate_after.strip().lower() not in ("never", "null", "none"):
        escalate = parse_duration(_number_or_text(args.escalate_after))
        if not escalate > 0:
            raise InvalidInputError("--escalate-after must be > 0 (or 'never')")
    override = RuleOverride(
        definition.id,
        args.meter,
        True if args.enable else False if args.disable else None,
        Severity(args.severity) if args.severity else None,
        override_params(definition, values, quantity),
        escalate,
        escalate_set,
    )
    alarms = AlarmStore(store)
    stored = alarms.set_rule_override(args.enterprise, override, actor(args))
    resolve_rules(rules, model, alarms.rule_overrides(args.enterprise))  # check it resolves
    ctx.out.print(
        ctx.t("alarm.rule_set", rule=stored.rule, where=args.meter or args.enterprise), markup=False
    )
    return 0


def _number_or_text(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def unset_rule(ctx: Context, args: argparse.Namespace) -> int:
    """Remove an override."""
    load_rules().rule(args.rule)
    removed = AlarmStore(ctx.store()).remove_rule_override(args.enterprise, args.rule, args.meter)
    key = "alarm.rule_unset" if removed else "alarm.rule_absent"
    ctx.out.print(ctx.t(key, rule=args.rule, where=args.meter or args.enterprise), markup=False)
    return 0


# --- deliveries ---------------------------------------------------------------------------------


def _delivery_dict(d: Any) -> dict[str, Any]:
    return {
        "id": d.id,
        "alarm": d.alarm_id,
        "event": d.event,
        "channel": d.channel,
        "kind": d.kind,
        "target": d.target,
        "status": d.status,
        "attempts": d.attempts,
        "last_error": d.last_error,
        "created_at": d.created_at.isoformat(),
        "next_attempt_at": d.next_attempt_at.isoformat() if d.next_attempt_at else None,
        "sent_at": d.sent_at.isoformat() if d.sent_at else None,
    }


def list_deliveries(ctx: Context, args: argparse.Namespace) -> int:
    """List notifications; requeue failed ones or send due ones first when asked."""
    alarms = AlarmStore(ctx.store())
    if args.retry:
        ctx.out.print(ctx.t("alarm.requeued", n=alarms.retry_failed()), markup=False)
    if args.send:
        config = notify_config(args)
        if config is None:
            raise InvalidInputError(f"--send needs the channels: --notify-config FILE or {CONFIG_VARIABLE}")
        report = deliver_due(alarms, config, load_rules())
        ctx.out.print(
            ctx.t(
                "alarm.sent", sent=len(report.sent), retrying=len(report.retrying), failed=len(report.failed)
            ),
            markup=False,
        )
    found = alarms.list_deliveries(status=args.status, alarm_id=args.alarm, limit=args.limit or None)
    if args.json:
        ctx.print_json([_delivery_dict(d) for d in found])
        return 0
    if not found:
        ctx.out.print(ctx.t("alarm.no_deliveries"))
        return 0
    zone = ctx.settings.zone
    table = Table(title=ctx.t("alarm.deliveries"))
    for key in (
        "col.id",
        "alarm.col.alarm",
        "alarm.col.event",
        "alarm.col.channel",
        "alarm.col.status",
        "alarm.col.attempts",
        "alarm.col.next",
        "alarm.col.error",
    ):
        table.add_column(ctx.t(key), overflow="fold")
    for d in found:
        table.add_row(
            str(d.id),
            str(d.alarm_id),
            d.event,
            f"{d.channel} ({d.target})",
            d.status,
            str(d.attempts),
            _shown(d.next_attempt_at, zone),
            d.last_error or "",
        )
    ctx.out.print(table)
    return 0
