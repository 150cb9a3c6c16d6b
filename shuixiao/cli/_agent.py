"""``shuixiao agent``: run the gateway agent, show its status and rejected list, print an example configuration."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rich.table import Table

from shuixiao.cli._context import Context

if TYPE_CHECKING:  # the agent's libraries (MQTT, HTTP, Modbus) load only when an agent command runs
    from shuixiao.field import Agent, AgentEvent

_QUIET = frozenset({"round", "sent"})  # events printed only with --verbose


def register(nouns: Any) -> None:
    """Add the ``agent`` command and its verbs to ``nouns``."""
    agent = nouns.add_parser(
        "agent",
        help="gateway agent: read meters, buffer, publish",
        description=(
            "The gateway agent reads meters (Modbus TCP, or the demo park's simulated meters), keeps every "
            "reading in a local buffer until the platform acknowledged it, and publishes over MQTT or HTTP, "
            "through outages and restarts. See docs/agent.md."
        ),
    )
    verbs = agent.add_subparsers(dest="verb", metavar="<verb>", required=True)

    run = verbs.add_parser(
        "run",
        help="run the agent until interrupted",
        description=(
            "Poll the configured meters at every interval boundary, append the readings to the buffer, and "
            "publish them. Ctrl+C or SIGTERM stop it after the round and the send in hand; what the platform "
            "has not acknowledged stays in the buffer for the next start."
        ),
    )
    run.add_argument(
        "--config", dest="agent_config", required=True, metavar="FILE", help="the agent's YAML configuration"
    )
    run.add_argument("--verbose", action="store_true", help="print a line for every round and every send")
    run.set_defaults(handler=run_agent)

    status = verbs.add_parser(
        "status",
        help="buffer depth, oldest unsent reading, last acknowledgement, devices",
        description="Show the state of the agent of a configuration, from its buffer (it may be running).",
    )
    status.add_argument(
        "--config", dest="agent_config", required=True, metavar="FILE", help="the agent's YAML configuration"
    )
    status.add_argument("--json", action="store_true", help="machine-readable JSON")
    status.set_defaults(handler=show_status)

    rejected = verbs.add_parser(
        "rejected",
        help="readings the platform refused",
        description=(
            "List the readings that will not be sent again because the platform (or the agent) refused them, "
            "with the reason. Over HTTP they are also in the platform's quarantine, where they can be replayed "
            "once the cause is fixed; --clear empties the list after that."
        ),
    )
    rejected.add_argument(
        "--config", dest="agent_config", required=True, metavar="FILE", help="the agent's YAML configuration"
    )
    rejected.add_argument(
        "--limit", type=int, default=50, metavar="N", help="show at most N readings (default 50; 0: all)"
    )
    rejected.add_argument("--json", action="store_true", help="machine-readable JSON")
    rejected.add_argument("--clear", action="store_true", help="empty the rejected list")
    rejected.set_defaults(handler=show_rejected)

    read = verbs.add_parser(
        "read",
        help="read the Modbus meters once, with their raw registers",
        description=(
            "Read every Modbus meter of the configuration once (or those named) and show the raw registers, "
            "the decoded value in the unit sent, and the quality flag, or the error. Nothing is buffered or "
            "sent: use it to commission a meter and check its register map."
        ),
    )
    read.add_argument(
        "--config", dest="agent_config", required=True, metavar="FILE", help="the agent's YAML configuration"
    )
    read.add_argument(
        "--meter", dest="meters", action="append", metavar="ID", help="only this meter (repeatable)"
    )
    read.add_argument("--json", action="store_true", help="machine-readable JSON")
    read.set_defaults(handler=read_meters)

    example = verbs.add_parser(
        "example-config",
        help="print a commented example configuration for the demo park",
        description="Print a commented configuration that replays meters of the demo steel works over MQTT.",
    )
    example.set_defaults(handler=print_example)


@contextmanager
def _stop_on_signals(agent: Agent) -> Iterator[None]:
    """Call ``agent.stop()`` on SIGINT and SIGTERM while the block runs."""
    previous = {
        sig: signal.signal(sig, lambda _sig, _frame: agent.stop()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _time(moment: float | None, ctx: Context) -> str:
    if moment is None:
        return "—"
    local = dt.datetime.fromtimestamp(moment, dt.UTC).astimezone(ZoneInfo(ctx.settings.timezone))
    return local.strftime("%Y-%m-%d %H:%M:%S")


def run_agent(ctx: Context, args: argparse.Namespace) -> int:
    """Run the agent until SIGINT or SIGTERM."""
    from shuixiao.field import Agent, read_agent_config

    config, maps = read_agent_config(args.agent_config)
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)  # failed reads are reported by the agent

    def report(event: AgentEvent) -> None:
        if event.kind in _QUIET and not args.verbose:
            return
        detail = dict(event.detail)
        if "ts" in detail:
            detail["ts"] = _time(detail["ts"], ctx)
        if "since" in detail:
            detail["since"] = _time(detail["since"], ctx)
        ctx.out.print(ctx.t(f"agent.{event.kind}", **detail), markup=False)
        sys.stdout.flush()

    agent = Agent(config, maps, on_event=report)
    with _stop_on_signals(agent):
        agent.run()
    return 0


def show_status(ctx: Context, args: argparse.Namespace) -> int:
    """Print the agent's buffer and device status."""
    from shuixiao.field import agent_status, read_agent_config

    config, _maps = read_agent_config(args.agent_config)
    status = agent_status(config)
    buffer = status.buffer
    if args.json:
        ctx.print_json(
            {
                "directory": str(buffer.directory),
                "running": status.pid is not None,
                "pid": status.pid,
                "depth": buffer.depth,
                "capacity": buffer.capacity,
                "oldest_ts": buffer.oldest_ts,
                "oldest_enqueued": buffer.oldest_enqueued,
                "batches": buffer.batches,
                "last_ack": buffer.last_ack,
                "acknowledged": buffer.acknowledged,
                "rejected": buffer.rejected,
                "refused": buffer.refused,
                "devices": {name: d.__dict__ for name, d in status.devices.items()},
                "demo_cursors": status.cursors,
            }
        )
        return 0
    running = (
        ctx.t("agent.status.running", pid=status.pid)
        if status.pid is not None
        else ctx.t("agent.status.idle")
    )
    rows = [
        ("agent.label.directory", str(buffer.directory)),
        ("agent.label.state", running),
        ("agent.label.depth", f"{buffer.depth:,} / {buffer.capacity:,}"),
        ("agent.label.oldest", _time(buffer.oldest_ts, ctx)),
        ("agent.label.enqueued", _time(buffer.oldest_enqueued, ctx)),
        ("agent.label.batches", f"{buffer.batches:,}"),
        ("agent.label.last_ack", _time(buffer.last_ack, ctx)),
        ("agent.label.acknowledged", f"{buffer.acknowledged:,}"),
        ("agent.label.rejected", f"{buffer.rejected:,}"),
        ("agent.label.refused", f"{buffer.refused:,}"),
    ]
    table = Table(title=ctx.t("agent.title.status", gateway=config.gateway), show_header=False)
    table.add_column()
    table.add_column(overflow="fold")
    for key, value in rows:
        table.add_row(ctx.t(key), value)
    ctx.out.print(table)
    if status.devices:
        devices = Table(title=ctx.t("agent.title.devices"))
        for key in (
            "agent.col.device",
            "agent.col.state",
            "agent.col.since",
            "agent.col.failures",
            "agent.col.last_ok",
            "col.message",
        ):
            devices.add_column(ctx.t(key), overflow="fold")
        for name, d in sorted(status.devices.items()):
            state = ctx.t("agent.device.ok") if d.ok else ctx.t("agent.device.failing")
            devices.add_row(
                name, state, _time(d.since, ctx), str(d.failures), _time(d.last_ok, ctx), d.error or ""
            )
        ctx.out.print(devices)
    if buffer.rejected:
        ctx.out.print(ctx.t("agent.rejected.hint", config=args.agent_config), markup=False)
    return 0


def show_rejected(ctx: Context, args: argparse.Namespace) -> int:
    """List (or clear) the agent's rejected readings."""
    from shuixiao.field import Buffer, read_agent_config

    config, _maps = read_agent_config(args.agent_config)
    if not Buffer.exists(config.buffer.directory):
        ctx.out.print(ctx.t("agent.rejected.none"))
        return 0
    buffer = Buffer(config.buffer.directory, capacity=config.buffer.capacity)
    try:
        if args.clear:
            ctx.out.print(ctx.t("agent.rejected.cleared", count=buffer.clear_rejected()))
            return 0
        entries = buffer.rejected(args.limit or None)
        total = buffer.status().rejected
    finally:
        buffer.close()
    if args.json:
        ctx.print_json(
            [
                {
                    "id": e.id,
                    "meter": e.reading.meter,
                    "ts": e.reading.ts,
                    "value": e.reading.value if e.reading.value == e.reading.value else None,
                    "unit": e.reading.unit,
                    "quality": e.reading.quality,
                    "reason": e.reason,
                    "message": e.message,
                    "rejected_at": e.rejected_at,
                    "quarantine_id": e.quarantine_id,
                }
                for e in entries
            ]
        )
        return 0
    if not entries:
        ctx.out.print(ctx.t("agent.rejected.none"))
        return 0
    table = Table(title=ctx.t("agent.title.rejected"))
    for key in (
        "col.id",
        "col.meter",
        "agent.col.time",
        "agent.col.value",
        "col.reason",
        "col.message",
        "agent.col.quarantine",
    ):
        table.add_column(ctx.t(key), overflow="fold")
    for e in entries:
        table.add_row(
            str(e.id),
            e.reading.meter,
            _time(e.reading.ts, ctx),
            f"{e.reading.value:g} {e.reading.unit}",
            e.reason,
            e.message,
            "" if e.quarantine_id is None else str(e.quarantine_id),
        )
    ctx.out.print(table)
    ctx.out.print(ctx.t("agent.rejected.summary", shown=len(entries), total=total), markup=False)
    return 0


def read_meters(ctx: Context, args: argparse.Namespace) -> int:
    """Read the Modbus meters once and show registers and values; exit 1 when a read failed."""
    from shuixiao.field import probe_meters, read_agent_config

    config, maps = read_agent_config(args.agent_config)
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    probes = probe_meters(config, maps, args.meters)
    failed = any(p.error is not None for p in probes)
    if args.json:
        ctx.print_json(
            [
                {
                    "meter": p.meter,
                    "device": p.device,
                    "model": p.model,
                    "point": p.point,
                    "registers": [f"{r:04X}" for r in p.registers],
                    "value": p.value if p.value is not None and p.value == p.value else None,
                    "unit": p.unit,
                    "quality": p.quality,
                    "error": p.error,
                }
                for p in probes
            ]
        )
        return 1 if failed else 0
    if not probes:
        ctx.out.print(ctx.t("agent.read.none"))
        return 0
    table = Table(title=ctx.t("agent.title.read"))
    for key in ("col.meter", "agent.col.device", "agent.col.point", "agent.col.registers", "agent.col.value"):
        table.add_column(ctx.t(key), overflow="fold")
    table.add_column(ctx.t("agent.col.quality"))
    for p in probes:
        registers = " ".join(f"{r:04X}" for r in p.registers)
        value = p.error if p.value is None else f"{p.value:.10g} {p.unit}"
        table.add_row(p.meter, p.device, f"{p.model}:{p.point}", registers, value, p.quality or "—")
    ctx.out.print(table)
    return 1 if failed else 0


def print_example(ctx: Context, _args: argparse.Namespace) -> int:
    """Print the commented example configuration."""
    from shuixiao.field import example_config

    sys.stdout.write(example_config(ctx.settings.language))
    return 0
