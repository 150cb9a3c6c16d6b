"""``shuixiao ingest``: import reading files, run the MQTT worker, the quarantine, rebuild aggregates."""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

from rich.table import Table

from shuixiao.cli._alarm import local_time
from shuixiao.cli._context import Context
from shuixiao.cli._demo import interval_seconds
from shuixiao.errors import InvalidInputError
from shuixiao.ingest import FileOptions, Pipeline, Reason, import_file

_REASONS = ", ".join(r.value for r in Reason)
_PASSWORD_VARIABLE = "SHUIXIAO_MQTT_PASSWORD"


def register(nouns: Any) -> None:
    """Add the ``ingest`` command and its verbs to ``nouns``."""
    ingest = nouns.add_parser(
        "ingest",
        help="metering data in: files, MQTT, quarantine",
        description=(
            "Bring readings into the database. Every record is checked; what passes is committed with the "
            "aggregates it changes, what fails goes to the quarantine with a reason and can be replayed once "
            "the cause is fixed. See docs/ingestion.md."
        ),
    )
    verbs = ingest.add_subparsers(dest="verb", metavar="<verb>", required=True)

    file = verbs.add_parser(
        "file",
        help="import readings from a CSV or XLSX file",
        description=(
            "Import readings with their original timestamps (backfill) from a CSV, TSV or XLSX file, long "
            "(one reading per row: meter, ts, value[, unit][, quality]) or wide (--layout wide: a timestamp "
            "column and one column per meter). Columns are found by their usual names unless named. The file "
            "is committed in chunks; importing it again stores nothing twice."
        ),
        epilog="Exit status 1 when records were rejected: they are in the quarantine, the rest is committed.",
    )
    file.add_argument("file", help="the file (.csv, .tsv, .txt or .xlsx)")
    file.add_argument(
        "--enterprise", required=True, metavar="ID", help="enterprise whose meters the file reads"
    )
    file.add_argument("--layout", choices=("long", "wide"), default="long", help="file layout (default long)")
    file.add_argument(
        "--meter-column", metavar="NAME", help="column of meter ids (default: meter, meter_id or tag)"
    )
    file.add_argument(
        "--timestamp-column",
        metavar="NAME",
        help="column of timestamps (default: ts, timestamp, time or datetime)",
    )
    file.add_argument("--value-column", metavar="NAME", help="column of values (default: value)")
    file.add_argument("--unit-column", metavar="NAME", help="column of units (default: unit, if present)")
    file.add_argument(
        "--quality-column", metavar="NAME", help="column of quality flags (default: quality, if present)"
    )
    file.add_argument(
        "--meters", metavar="A,B,...", help="wide layout: the meter columns (default: every other column)"
    )
    file.add_argument(
        "--timezone",
        metavar="ZONE",
        help="IANA zone of timestamps without an offset (default: the configured zone, Asia/Shanghai)",
    )
    file.add_argument(
        "--unit", metavar="UNIT", help="unit of values without one (default: each meter's unit)"
    )
    file.add_argument("--delimiter", metavar="CHAR", help="CSV delimiter (default , ; tab for .tsv)")
    file.add_argument(
        "--encoding",
        default="utf-8-sig",
        metavar="NAME",
        help="CSV encoding (default utf-8; gbk for Chinese Excel)",
    )
    file.add_argument("--sheet", metavar="NAME", help="XLSX sheet (default: the first)")
    file.add_argument(
        "--chunk-size", type=int, default=50_000, metavar="N", help="records per transaction (default 50000)"
    )
    _pipeline_options(file)
    file.add_argument("--json", action="store_true", help="machine-readable JSON report")
    file.set_defaults(handler=ingest_file)

    quarantine = verbs.add_parser(
        "quarantine",
        help="list or replay rejected records",
        description="Rejected records wait in the quarantine with their reason until they are replayed.",
    )
    actions = quarantine.add_subparsers(dest="action", metavar="<action>", required=True)
    listing = actions.add_parser(
        "list",
        help="show quarantined records",
        description="Show quarantined records, oldest first, with their reason and what to do about it.",
    )
    listing.add_argument("--enterprise", metavar="ID", help="only this enterprise")
    listing.add_argument("--reason", metavar="CODE", help=f"only this reason code ({_REASONS})")
    listing.add_argument(
        "--since", metavar="TIME", help="quarantined at or after (ISO date or date-time, local)"
    )
    listing.add_argument("--until", metavar="TIME", help="quarantined before (ISO date or date-time, local)")
    listing.add_argument("--all", action="store_true", help="include records already replayed")
    listing.add_argument(
        "--limit", type=int, default=50, metavar="N", help="show at most N records (default 50; 0: all)"
    )
    listing.add_argument("--json", action="store_true", help="machine-readable JSON instead of a table")
    listing.set_defaults(handler=list_quarantine)

    replay = actions.add_parser(
        "replay",
        help="run quarantined records through the checks again",
        description=(
            "Run quarantined records through the checks again after the cause was fixed (a meter added to "
            "the model, a replacement recorded, ...). Records now accepted are committed and marked replayed; "
            "the rest stay with their current reason."
        ),
    )
    replay.add_argument("--enterprise", metavar="ID", help="only this enterprise")
    replay.add_argument(
        "--id", type=int, nargs="+", dest="ids", metavar="N", help="only these quarantine ids"
    )
    replay.add_argument("--reason", metavar="CODE", help="only this reason code")
    _pipeline_options(replay)
    replay.add_argument("--json", action="store_true", help="machine-readable JSON report")
    replay.set_defaults(handler=replay_quarantine)

    rebuild = verbs.add_parser(
        "rebuild",
        help="recompute the aggregates from the stored readings",
        description=(
            "Recompute the interval aggregates (base interval, PT1H, P1D, P1M on the local calendar) of an "
            "enterprise's meters from their stored readings, every bucket overlapping the period whole. Needed "
            "after a replacement event was recorded for readings already stored, after readings were written "
            "around the pipeline, or after a change of the base interval. Each meter is rebuilt in its own "
            "transaction while ingestion goes on."
        ),
        epilog="Example: shuixiao ingest rebuild --enterprise ronghu-steel --meter FT-101 --from 2025-03-01",
    )
    rebuild.add_argument("--enterprise", required=True, metavar="ID", help="the enterprise")
    rebuild.add_argument(
        "--meter", nargs="+", dest="meters", metavar="M", help="only these meters (default: all of them)"
    )
    rebuild.add_argument(
        "--from",
        dest="start",
        metavar="TIME",
        help="from this ISO date or date-time (local; default: first reading)",
    )
    rebuild.add_argument(
        "--to",
        dest="end",
        metavar="TIME",
        help="to this ISO date or date-time (local; default: last reading)",
    )
    rebuild.add_argument(
        "--interval",
        type=interval_seconds,
        default=900,
        metavar="SECONDS",
        help="base aggregate interval of the store: seconds, or 15min, 1h (default 15min)",
    )
    rebuild.add_argument("--json", action="store_true", help="machine-readable JSON report")
    rebuild.set_defaults(handler=rebuild_aggregates)

    worker = verbs.add_parser(
        "mqtt",
        help="run an MQTT ingestion worker",
        description=(
            "Consume readings from an MQTT broker until interrupted (Ctrl+C or SIGTERM stop it gracefully). "
            "Topics: shuixiao/v1/<enterprise>/<meter>/reading (one JSON reading or a list) and "
            "shuixiao/v1/<enterprise>/batch (a JSON list with meter in each item). QoS 1 through a shared "
            "subscription, a persistent session, and acknowledgement only after commit. The worker's password "
            f"is read from {_PASSWORD_VARIABLE}."
        ),
    )
    worker.add_argument("--host", default="127.0.0.1", help="broker host (default 127.0.0.1)")
    worker.add_argument("--port", type=int, default=1883, help="broker port (default 1883)")
    worker.add_argument(
        "--group", default="shuixiao", help="shared-subscription group; workers of a group split the load"
    )
    worker.add_argument(
        "--enterprise",
        action="append",
        default=[],
        metavar="ID",
        help="consume only this enterprise's topics (repeatable; default: every enterprise). Give each worker "
        "its own enterprises so that one gateway's messages reach one worker; together the workers must cover "
        "every enterprise, as the broker drops messages nobody subscribed to",
    )
    worker.add_argument(
        "--client-id",
        metavar="ID",
        help="fixed client id naming the persistent session; one per worker (default shuixiao-ingest-<host>)",
    )
    worker.add_argument("--prefix", default="shuixiao/v1", help="topic prefix (default shuixiao/v1)")
    worker.add_argument("--username", metavar="NAME", help="the worker's user name at the broker")
    worker.add_argument("--tls", action="store_true", help="connect with TLS (system CA certificates)")
    worker.add_argument(
        "--timezone", metavar="ZONE", help="zone of timestamps without an offset (default: reject them)"
    )
    worker.add_argument(
        "--session-expiry",
        type=int,
        default=7 * 86_400,
        metavar="SECONDS",
        help="how long the broker keeps messages while the worker is away (default 604800, a week)",
    )
    worker.add_argument(
        "--batch-size", type=int, default=100, metavar="N", help="most messages per commit (default 100)"
    )
    worker.add_argument(
        "--coverage-delay",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="after connecting, wait this long for the group's claims before checking that the group's workers "
        "consume every enterprise of the store (default 5)",
    )
    worker.add_argument(
        "--coverage-interval",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how often to read the store's enterprises again for that check (default 60)",
    )
    _pipeline_options(worker)
    worker.add_argument(
        "--retire",
        action="store_true",
        help="on stop, leave the group for good: unsubscribe, commit what was delivered, end the session "
        "(without it the broker keeps this worker's share of messages until it returns)",
    )
    worker.add_argument("--verbose", action="store_true", help="print a line for every commit")
    worker.set_defaults(handler=run_mqtt)


def _pipeline_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--interval",
        type=interval_seconds,
        default=900,
        metavar="SECONDS",
        help="base aggregate interval: seconds, or 15min, 1h (default 15min)",
    )
    parser.add_argument(
        "--future-tolerance",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="accept timestamps at most this far ahead of the clock (default 300)",
    )


def _pipeline(ctx: Context, args: argparse.Namespace) -> Pipeline:
    return Pipeline(
        ctx.store(),
        interval=args.interval,
        timezone=ctx.settings.timezone,
        future_tolerance=args.future_tolerance,
    )


def ingest_file(ctx: Context, args: argparse.Namespace) -> int:
    """Import a readings file and report what was accepted, found stored or quarantined."""
    options = FileOptions(
        layout=args.layout,
        meter_column=args.meter_column,
        timestamp_column=args.timestamp_column,
        value_column=args.value_column,
        unit_column=args.unit_column,
        quality_column=args.quality_column,
        meters=tuple(m.strip() for m in args.meters.split(",") if m.strip()) if args.meters else (),
        timezone=args.timezone or ctx.settings.timezone,
        unit=args.unit,
        delimiter=args.delimiter,
        encoding=args.encoding,
        sheet=args.sheet,
        chunk_size=args.chunk_size,
    )
    report = import_file(ctx.store(), args.file, args.enterprise, options, pipeline=_pipeline(ctx, args))
    if args.json:
        document = dataclasses.asdict(report)
        document["path"] = str(report.path)
        document["reasons"] = {r.value: n for r, n in report.reasons.most_common()}
        document["examples"] = {r.value: m for r, m in report.examples.items()}
        ctx.print_json(document)
        return 1 if report.rejected else 0
    ctx.out.print(
        ctx.t(
            "ingest.file.done",
            path=report.path,
            enterprise=report.enterprise,
            records=report.records,
            accepted=report.accepted,
            duplicate=report.duplicate,
            rejected=report.rejected,
            seconds=report.seconds,
        )
    )
    if report.empty:
        ctx.out.print(ctx.t("ingest.file.empty", empty=report.empty))
    if report.rejected:
        ctx.out.print(ctx.t("ingest.reasons"))
        for reason, count in report.reasons.most_common():
            ctx.out.print(f"  {reason.value} ({ctx.t('reason.' + reason.value)}): {count:,}", markup=False)
            for example in report.examples.get(reason, [])[:1]:
                ctx.out.print(f"    {example}", markup=False)
        ctx.out.print(ctx.t("ingest.quarantined", enterprise=report.enterprise))
        return 1
    return 0


def list_quarantine(ctx: Context, args: argparse.Namespace) -> int:
    """Show quarantined records with their reasons."""
    store = ctx.store()
    tz = ctx.settings.timezone
    filters: dict[str, Any] = {
        "reason": args.reason,
        "start": local_time(args.since, tz, "--since"),
        "end": local_time(args.until, tz, "--until"),
        "replayed": None if args.all else False,
    }
    counts = store.count_quarantine(args.enterprise, **filters)
    total = sum(counts.values())
    records = store.list_quarantine(args.enterprise, **filters, limit=args.limit or None)
    if args.json:
        ctx.print_json(
            [
                {
                    "id": r.id,
                    "enterprise": r.enterprise,
                    "meter": r.meter,
                    "origin": r.origin.name.lower(),
                    "source": r.source,
                    "received": r.received.isoformat(),
                    "reason": r.reason,
                    "message": r.message,
                    "payload": r.payload,
                    "replayed_at": r.replayed_at.isoformat() if r.replayed_at else None,
                }
                for r in records
            ]
        )
        return 0
    if not records:
        ctx.out.print(ctx.t("quarantine.empty"))
        return 0
    zone = ZoneInfo(tz)
    table = Table(title=ctx.t("quarantine.title"), show_lines=False)
    for key in (
        "col.id",
        "col.received",
        "col.enterprise",
        "col.meter",
        "col.reason",
        "col.message",
        "col.source",
    ):
        table.add_column(ctx.t(key), overflow="fold")
    for r in records:
        received = r.received.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
        reason = r.reason if r.replayed_at is None else f"{r.reason} ({ctx.t('quarantine.replayed')})"
        table.add_row(
            str(r.id),
            received,
            r.enterprise or "",
            r.meter or "",
            reason,
            r.message,
            f"{r.origin.name.lower()}: {r.source}",
        )
    ctx.out.print(table)
    summary = ", ".join(f"{code} {n:,}" for code, n in sorted(counts.items(), key=lambda item: -item[1]))
    ctx.out.print(ctx.t("quarantine.summary", shown=len(records), total=total, reasons=summary), markup=False)
    return 0


def replay_quarantine(ctx: Context, args: argparse.Namespace) -> int:
    """Replay quarantined records and report what is now accepted."""
    result = _pipeline(ctx, args).replay(args.enterprise, ids=args.ids, reason=args.reason)
    if args.json:
        document = dataclasses.asdict(result)
        document["reasons"] = {r.value: n for r, n in result.reasons.most_common()}
        ctx.print_json(document)
        return 0
    ctx.out.print(
        ctx.t(
            "quarantine.replayed_summary",
            examined=result.examined,
            accepted=result.accepted,
            duplicate=result.duplicate,
            rejected=result.rejected,
            not_replayable=result.not_replayable,
        )
    )
    for reason, count in result.reasons.most_common():
        ctx.out.print(f"  {reason.value} ({ctx.t('reason.' + reason.value)}): {count:,}", markup=False)
    return 0


def rebuild_aggregates(ctx: Context, args: argparse.Namespace) -> int:
    """Recompute aggregates from the stored readings and report the rows written."""
    tz = ctx.settings.timezone
    start, end = local_time(args.start, tz, "--from"), local_time(args.end, tz, "--to")
    if start is not None and end is not None and start > end:
        raise InvalidInputError(f"--from {args.start} is after --to {args.end}; swap them")
    meters = list(dict.fromkeys(args.meters)) if args.meters else None
    pipeline = Pipeline(ctx.store(), interval=args.interval, timezone=tz)
    rows = pipeline.rebuild(args.enterprise, start, end, meters=meters)
    if args.json:
        ctx.print_json({"enterprise": args.enterprise, "meters": meters, "rows": rows})
        return 0
    ctx.out.print(ctx.t("ingest.rebuilt", enterprise=args.enterprise, rows=rows), markup=False)
    return 0


@contextmanager
def _stop_on_signals(stop: Any) -> Iterator[None]:
    """Call ``stop()`` on SIGINT and SIGTERM while the block runs."""
    previous = {
        sig: signal.signal(sig, lambda _sig, _frame: stop()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_mqtt(ctx: Context, args: argparse.Namespace) -> int:
    """Run an MQTT worker until SIGINT or SIGTERM."""
    from shuixiao.ingest.mqtt import CommitReport, MqttWorker

    totals = {"messages": 0, "accepted": 0, "duplicate": 0, "rejected": 0, "malformed": 0}

    def say(line: str) -> None:
        ctx.out.print(line, markup=False)
        sys.stdout.flush()

    def committed(report: CommitReport) -> None:
        for key in totals:
            totals[key] += getattr(report, key)
        if args.verbose:
            say(ctx.t("mqtt.commit", **dataclasses.asdict(report)))

    worker = MqttWorker(
        ctx.store(),
        host=args.host,
        port=args.port,
        group=args.group,
        enterprises=args.enterprise,
        client_id=args.client_id,
        prefix=args.prefix,
        username=args.username,
        password=os.environ.get(_PASSWORD_VARIABLE),
        tls=args.tls,
        timezone=args.timezone,
        session_expiry=args.session_expiry,
        batch_size=args.batch_size,
        pipeline=_pipeline(ctx, args),
        on_commit=committed,
        on_status=say,
        coverage_delay=args.coverage_delay,
        coverage_interval=args.coverage_interval,
    )
    say(ctx.t("mqtt.start", host=args.host, port=args.port, group=args.group, client_id=worker.client_id))
    with _stop_on_signals(lambda: worker.stop(retire=args.retire)):
        worker.run()
    say(ctx.t("mqtt.stopped", **totals))
    return 0
