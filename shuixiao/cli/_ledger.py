"""``shuixiao ledger``: device keys, signed batches, checkpoints, witnesses, proofs and the audit."""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime as dt
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.table import Table

from shuixiao.cli._context import Context
from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.ingest import Pipeline
from shuixiao.ledger import Checkpoint, Note, generate_ed25519_key
from shuixiao.model import Origin
from shuixiao.notary import (
    KINDS,
    SignedStatus,
    Witness,
    audit_store,
    check_bundle,
    collect_cosignatures,
    ingest_signed_batches,
    log_signer,
    make_bundle,
    notarisation_summary,
    open_source,
    publish_checkpoint,
    read_verifier_key,
    witness_signer,
    write_log,
)
from shuixiao.storage.ledger import LedgerStore

_STEPS = ("format", "checkpoint", "batch", "reading", "signature", "inclusion", "consistency")


def register(nouns: Any) -> None:
    """Add the ``ledger`` command and its verbs to ``nouns``."""
    ledger = nouns.add_parser(
        "ledger",
        help="trusted metering data: device keys, signed batches, checkpoints, witnesses, proofs",
        description=(
            "Meters sign batches of readings; the node logs them in an RFC 9162 Merkle tree, publishes signed "
            "checkpoints and static tiles; witnesses cosign; anyone can check a reading offline with a proof "
            "bundle. See docs/ledger.md and docs/ledger-bundle.md."
        ),
    )
    verbs = ledger.add_subparsers(dest="verb", metavar="<verb>", required=True)
    _register_keys(verbs)
    _register_meters(verbs)
    _register_ingest(verbs)
    _register_publish(verbs)
    _register_witness(verbs)
    _register_verify(verbs)
    _register_prove(verbs)
    _register_check(verbs)
    _register_incidents(verbs)


def _key_source(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument(
        "--public-key", metavar="KEY", help="the device's Ed25519 public key (64 hex digits or base64)"
    )
    group.add_argument(
        "--generate",
        metavar="FILE",
        help="make a new key pair (for a simulated meter or a gateway), write the secret key to FILE (mode 0600)",
    )


def _register_keys(verbs: Any) -> None:
    keys = verbs.add_parser(
        "keys",
        help="device keys: add, rotate, revoke, list",
        description=(
            "Register the Ed25519 public key of a meter or gateway and bind it to the meters whose readings it "
            "signs; rotate and revoke keys with their history kept, so data signed before stays verifiable."
        ),
    )
    actions = keys.add_subparsers(dest="action", metavar="<action>", required=True)
    add = actions.add_parser(
        "add",
        help="register a device key and bind meters to the device",
        description="Register a device key.",
    )
    add.add_argument("--enterprise", required=True, metavar="ID", help="enterprise owning the device")
    add.add_argument("--device", required=True, metavar="ID", help="device id, as in its batches")
    add.add_argument(
        "--meters", required=True, metavar="A,B,...", help="meters whose readings the device signs"
    )
    _key_source(add)
    add.add_argument(
        "--valid-from", metavar="TIME", help="first time the key may sign (ISO, local; default now)"
    )
    add.set_defaults(handler=keys_add)
    rotate = actions.add_parser(
        "rotate",
        help="replace a device's current key",
        description=(
            "Close the device's current key and register a new one. Batches signed by the old key before the "
            "rotation stay valid; --overlap keeps the old key valid a little longer for buffered batches."
        ),
    )
    rotate.add_argument("--device", required=True, metavar="ID")
    _key_source(rotate)
    rotate.add_argument("--at", metavar="TIME", help="when the new key takes over (ISO, local; default now)")
    rotate.add_argument(
        "--overlap",
        type=int,
        default=0,
        metavar="SECONDS",
        help="keep the old key valid this long after --at",
    )
    rotate.set_defaults(handler=keys_rotate)
    revoke = actions.add_parser(
        "revoke",
        help="mark a device key compromised",
        description=(
            "Mark a key compromised from --at on: batches it signed that claim a later time, or that arrive "
            "later, are refused. Batches already in a witnessed checkpoint stay verifiable."
        ),
    )
    revoke.add_argument("--device", required=True, metavar="ID")
    revoke.add_argument("--public-key", metavar="KEY", help="the key to revoke (default: the current one)")
    revoke.add_argument(
        "--at", metavar="TIME", help="earliest time it may have been compromised (default now)"
    )
    revoke.add_argument("--reason", required=True, metavar="TEXT", help="why, for the record")
    revoke.set_defaults(handler=keys_revoke)
    listing = actions.add_parser("list", help="show device keys and the log's key", description="Show keys.")
    listing.add_argument("--enterprise", metavar="ID", help="only this enterprise")
    listing.add_argument("--device", metavar="ID", help="only this device")
    listing.add_argument("--json", action="store_true", help="machine-readable JSON")
    listing.set_defaults(handler=keys_list)


def _register_meters(verbs: Any) -> None:
    meters = verbs.add_parser(
        "meters",
        help="which readings are notarised, per meter; allow or refuse unsigned ingestion",
        description=(
            "Show each meter's signing device and how many of its readings a logged batch carries, up to which "
            "checkpoint. Readings that arrive without a batch are accepted only for meters where the enterprise "
            "allows it (--allow-unsigned); for a meter bound to a signing device the others are refused at "
            "ingestion with reason unsigned and quarantined, and shuixiao ledger verify names any found in the store."
        ),
    )
    meters.add_argument("--enterprise", required=True, metavar="ID")
    meters.add_argument(
        "--allow-unsigned", metavar="A,B,...", help="accept readings without a batch for these meters"
    )
    meters.add_argument("--require-signed", metavar="A,B,...", help="require a signed batch for these meters")
    meters.add_argument("--json", action="store_true", help="machine-readable JSON")
    meters.set_defaults(handler=meters_status)


def _register_ingest(verbs: Any) -> None:
    ingest = verbs.add_parser(
        "ingest",
        help="ingest signed batches from a file",
        description=(
            "Verify and ingest signed batches from a file (a JSON list, or one JSON object per line, each in the "
            "shuixiao.batch/2 (or /1) transport form), as the HTTP and MQTT endpoints do: readings committed, batches "
            "logged, incidents raised for gaps, forks and bad signatures."
        ),
        epilog="Exit status 1 when a batch was refused.",
    )
    ingest.add_argument("file", help="the batches (.json or .jsonl)")
    ingest.add_argument("--enterprise", required=True, metavar="ID")
    ingest.add_argument("--json", action="store_true", help="machine-readable JSON results")
    ingest.set_defaults(handler=ingest_batches)


def _loop_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--every", type=float, metavar="SECONDS", help=f"{what} every SECONDS until interrupted"
    )
    parser.add_argument("--rounds", type=int, metavar="N", help="with --every: stop after N rounds")


def _register_publish(verbs: Any) -> None:
    publish = verbs.add_parser(
        "publish",
        help="sign a checkpoint and publish the log as static tiles",
        description=(
            "Collect witness cosignatures, sign a C2SP checkpoint of the current tree with the log key "
            "(<data dir>/ledger/log.key, made on first use) and write checkpoint, tiles, entry and batch bundles "
            "to a directory that any web server can serve."
        ),
    )
    publish.add_argument("--dir", metavar="DIR", help="where to publish (default <data dir>/ledger/log)")
    publish.add_argument(
        "--origin", metavar="NAME", help="origin of a new log (default <host name>/shuixiao)"
    )
    publish.add_argument(
        "--collect",
        action="append",
        default=[],
        metavar="DIR_OR_URL",
        help="a witness output to collect from",
    )
    publish.add_argument(
        "--witness-key",
        action="append",
        default=[],
        metavar="VKEY",
        help="a trusted witness key (text or file)",
    )
    _loop_options(publish, "publish")
    publish.set_defaults(handler=publish_log)


def _register_witness(verbs: Any) -> None:
    witness = verbs.add_parser(
        "witness",
        help="run a witness of a log",
        description=(
            "Follow a published log: verify each new checkpoint's signature and its consistency with the last "
            "one cosigned, mirror the entries into this node's store, cosign (C2SP tlog-cosignature) and write "
            "the cosigned checkpoint where the log collects it. Split views and inconsistent checkpoints are "
            "recorded as incidents and raised as alarms of the enterprises named with --enterprise."
        ),
    )
    witness.add_argument("--log", required=True, metavar="DIR_OR_URL", help="the published log")
    witness.add_argument(
        "--log-key", required=True, metavar="VKEY", help="the log's verifier key (text or file)"
    )
    witness.add_argument(
        "--name", required=True, metavar="NAME", help="the witness's key name, e.g. park.example/w1"
    )
    witness.add_argument(
        "--out",
        metavar="DIR",
        help="where to write the cosigned checkpoint (default <data dir>/ledger/witness/<name>)",
    )
    witness.add_argument(
        "--peer",
        action="append",
        default=[],
        metavar="DIR_OR_URL",
        help="another witness's output to compare",
    )
    witness.add_argument(
        "--enterprise",
        action="append",
        default=[],
        metavar="ID",
        help="an enterprise whose log this is; the log's incidents raise its alarms (repeatable)",
    )
    _loop_options(witness, "follow the log")
    witness.set_defaults(handler=run_witness)


def _register_verify(verbs: Any) -> None:
    verify = verbs.add_parser(
        "verify",
        help="audit the store against the log",
        description=(
            "Check every logged batch (encoding, hash, device signature, chain), recompute the tree and every "
            "checkpoint's root, and compare every notarised reading with the store: each mismatch is named."
        ),
        epilog="Exit status 1 when anything does not match.",
    )
    verify.add_argument("--enterprise", metavar="ID", help="check only this enterprise's readings")
    verify.add_argument("--log-key", metavar="VKEY", help="the log's verifier key (default: as recorded)")
    verify.add_argument("--json", action="store_true", help="machine-readable JSON report")
    verify.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help=(
            "check the batches and read the stored readings in N processes (default: one per CPU core from "
            "2,000 logged batches on, else 1). The report is the same. Needs a database file or server, not "
            "an in-memory SQLite database"
        ),
    )
    verify.set_defaults(handler=verify_log)


def _register_prove(verbs: Any) -> None:
    prove = verbs.add_parser(
        "prove",
        help="write the proof bundle of a reading",
        description=(
            "Write a self-contained JSON proof bundle of a meter's reading at a time (or the last one before): "
            "the reading, its signed batch and device key, the inclusion proof, the signed and cosigned "
            "checkpoint, and a consistency proof to the newest checkpoint. See docs/ledger-bundle.md."
        ),
    )
    prove.add_argument("--meter", required=True, metavar="ID")
    prove.add_argument("--at", required=True, metavar="TIME", help="ISO date-time (local) or epoch seconds")
    prove.add_argument("--enterprise", metavar="ID", help="needed when several enterprises have the meter id")
    prove.add_argument("--out", required=True, metavar="FILE", help="where to write the bundle")
    prove.add_argument("--no-consistency", action="store_true", help="leave out the consistency proof")
    prove.set_defaults(handler=prove_reading)


def _register_check(verbs: Any) -> None:
    check = verbs.add_parser(
        "check",
        help="verify a proof bundle offline",
        description=(
            "Verify a proof bundle with nothing but the log's key and the witnesses' keys: no database, no "
            "network. The checkpoint must carry at least --quorum cosignatures of the given witnesses."
        ),
        epilog="Exit status 1 when the bundle does not verify.",
    )
    check.add_argument("bundle", help="the bundle file")
    check.add_argument(
        "--log-key", required=True, metavar="VKEY", help="the log's verifier key (text or file)"
    )
    check.add_argument(
        "--witness-key",
        action="append",
        default=[],
        metavar="VKEY",
        help="a trusted witness key (text or file)",
    )
    check.add_argument("--quorum", type=int, default=0, metavar="K", help="cosignatures required (default 0)")
    check.add_argument("--device-key", metavar="KEY", help="the device key known from elsewhere, to pin")
    check.add_argument("--json", action="store_true", help="machine-readable JSON report")
    check.set_defaults(handler=check_proof)


def _register_incidents(verbs: Any) -> None:
    incidents = verbs.add_parser(
        "incidents",
        help="list ledger incidents",
        description="Missing batches, forks, tampering, bad signatures and split views, newest first.",
    )
    incidents.add_argument("--kind", choices=KINDS, help="only this kind")
    incidents.add_argument("--open", action="store_true", help="only unresolved ones")
    incidents.add_argument("--enterprise", metavar="ID")
    incidents.add_argument(
        "--limit", type=int, default=50, metavar="N", help="at most N (default 50; 0: all)"
    )
    incidents.add_argument("--json", action="store_true", help="machine-readable JSON")
    incidents.set_defaults(handler=list_incidents)


# --- helpers -------------------------------------------------------------------------------------


def _time(text: str | None, ctx: Context, what: str) -> dt.datetime:
    if text is None:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    if text.isdigit():
        return dt.datetime.fromtimestamp(int(text), dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as err:
        raise InvalidInputError(f"{what} {text!r} is not an ISO date-time or epoch seconds") from err
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(ctx.settings.timezone))


def _public_key(text: str) -> bytes:
    candidates = []
    try:
        candidates.append(bytes.fromhex(text))
    except ValueError:
        pass
    try:
        candidates.append(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        pass
    for key in candidates:
        if len(key) == 32:
            return key
    raise InvalidInputError(f"{text!r} is not a 32-byte Ed25519 public key in hex (64 digits) or base64")


def _new_key(args: argparse.Namespace) -> tuple[bytes, str | None]:
    if args.public_key is not None:
        return _public_key(args.public_key), None
    path = Path(args.generate)
    private_key, public_key = generate_ed25519_key()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InvalidInputError(f"{path} exists; a secret key is never overwritten") from None
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(private_key.hex() + "\n")
    return public_key, str(path)


def _local_text(ctx: Context, moment: dt.datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(ctx.settings.zone).strftime("%Y-%m-%d %H:%M:%S")


def _say(ctx: Context, text: str) -> None:
    """Print a line of plain text (no markup, never wrapped: it may go to a log)."""
    ctx.out.print(text, markup=False, soft_wrap=True)


def _split(text: str | None) -> list[str]:
    return [m.strip() for m in (text or "").split(",") if m.strip()]


@contextmanager
def _stop_on_signals(stop: Callable[[], None]) -> Iterator[None]:
    previous = {
        sig: signal.signal(sig, lambda _sig, _frame: stop()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _repeat(args: argparse.Namespace, step: Callable[[], int]) -> int:
    """Run ``step`` once, or every ``--every`` seconds until interrupted or ``--rounds`` are done."""
    if args.every is None:
        return step()
    if args.every <= 0 or (args.rounds is not None and args.rounds < 1):
        raise InvalidInputError("--every must be positive and --rounds at least 1")
    stopping: list[bool] = []
    status = 0
    with _stop_on_signals(lambda: stopping.append(True)):
        done = 0
        while not stopping:
            started = time.monotonic()
            status = max(status, step())
            done += 1
            if args.rounds is not None and done >= args.rounds:
                break
            while not stopping and time.monotonic() - started < args.every:
                time.sleep(min(0.2, args.every))
    return status


# --- keys and meters -----------------------------------------------------------------------------


def keys_add(ctx: Context, args: argparse.Namespace) -> int:
    """Register a device key and bind its meters."""
    meters = _split(args.meters)
    if not meters:
        raise InvalidInputError("--meters names at least one meter")
    ledger = LedgerStore(ctx.store())
    missing = [m for m in meters if m not in ctx.store().meter_keys(args.enterprise)]
    if missing:
        raise NotFoundError(f"enterprise {args.enterprise!r} has no meter {', '.join(missing)}")
    public_key, path = _new_key(args)
    record = ledger.add_device_key(
        args.enterprise, args.device, public_key, _time(args.valid_from, ctx, "--valid-from")
    )
    ledger.set_meters(args.enterprise, meters, device=args.device)
    if path is not None:
        _say(ctx, ctx.t("ledger.key_generated", path=path))
    _say(
        ctx,
        ctx.t(
            "ledger.key_added",
            device=args.device,
            enterprise=args.enterprise,
            public_key=public_key.hex(),
            valid_from=_local_text(ctx, record.valid_from),
            meters=", ".join(meters),
        ),
    )
    return 0


def keys_rotate(ctx: Context, args: argparse.Namespace) -> int:
    """Replace a device's current key."""
    ledger = LedgerStore(ctx.store())
    public_key, path = _new_key(args)
    at = _time(args.at, ctx, "--at")
    if args.overlap < 0:
        raise InvalidInputError("--overlap cannot be negative")
    record = ledger.rotate_device_key(args.device, public_key, at, overlap=dt.timedelta(seconds=args.overlap))
    if path is not None:
        _say(ctx, ctx.t("ledger.key_generated", path=path))
    _say(
        ctx,
        ctx.t(
            "ledger.key_rotated",
            device=args.device,
            valid_to=_local_text(ctx, at + dt.timedelta(seconds=args.overlap)),
            public_key=public_key.hex(),
            valid_from=_local_text(ctx, record.valid_from),
        ),
    )
    return 0


def keys_revoke(ctx: Context, args: argparse.Namespace) -> int:
    """Revoke a device key."""
    ledger = LedgerStore(ctx.store())
    key = None if args.public_key is None else _public_key(args.public_key)
    record = ledger.revoke_device_key(args.device, _time(args.at, ctx, "--at"), args.reason, public_key=key)
    _say(
        ctx,
        ctx.t(
            "ledger.key_revoked",
            device=args.device,
            public_key=record.public_key.hex(),
            revoked_at=_local_text(ctx, record.revoked_at),
            reason=args.reason,
        ),
    )
    return 0


def _log_vkey(ctx: Context) -> str | None:
    path = Path(ctx.settings.data_dir) / "ledger" / "log.vkey"
    return path.read_text(encoding="ascii").strip() if path.exists() else None


def keys_list(ctx: Context, args: argparse.Namespace) -> int:
    """Show device key histories and the log's verifier key."""
    records = LedgerStore(ctx.store()).device_keys(device=args.device, enterprise=args.enterprise)
    vkey = _log_vkey(ctx)
    if args.json:
        ctx.print_json(
            {
                "log_key": vkey,
                "device_keys": [
                    {
                        "device": r.device,
                        "enterprise": r.enterprise,
                        "public_key": r.public_key.hex(),
                        "valid_from": r.valid_from.isoformat(),
                        "valid_to": None if r.valid_to is None else r.valid_to.isoformat(),
                        "revoked_at": None if r.revoked_at is None else r.revoked_at.isoformat(),
                        "reason": r.reason,
                    }
                    for r in records
                ],
            }
        )
        return 0
    _say(ctx, ctx.t("ledger.log_key", vkey=vkey) if vkey else ctx.t("ledger.log_key_none"))
    if not records:
        _say(ctx, ctx.t("ledger.keys_none"))
        return 0
    table = Table(title=ctx.t("ledger.title.device_keys"))
    for key in (
        "ledger.col.device",
        "col.enterprise",
        "ledger.col.public_key",
        "ledger.col.valid_from",
        "ledger.col.valid_to",
        "ledger.col.revoked",
    ):
        table.add_column(ctx.t(key), overflow="fold")
    for r in records:
        revoked = "" if r.revoked_at is None else f"{_local_text(ctx, r.revoked_at)} ({r.reason or ''})"
        table.add_row(
            r.device,
            r.enterprise,
            r.public_key.hex(),
            _local_text(ctx, r.valid_from),
            _local_text(ctx, r.valid_to) if r.valid_to else "",
            revoked,
        )
    ctx.out.print(table)
    return 0


def meters_status(ctx: Context, args: argparse.Namespace) -> int:
    """Show and configure the notarisation of an enterprise's meters."""
    store = ctx.store()
    ledger = LedgerStore(store)
    allow, require = _split(args.allow_unsigned), _split(args.require_signed)
    if set(allow) & set(require):
        raise InvalidInputError("a meter cannot be in both --allow-unsigned and --require-signed")
    if allow:
        ledger.set_meters(args.enterprise, allow, unsigned_allowed=True)
    if require:
        ledger.set_meters(args.enterprise, require, unsigned_allowed=False)
    summary = notarisation_summary(store, args.enterprise)
    if args.json:
        ctx.print_json(
            [
                {
                    "meter": m.meter,
                    "device": m.device,
                    "unsigned_allowed": m.unsigned_allowed,
                    "readings": m.readings,
                    "notarised": m.notarised,
                    "not_notarised": m.not_notarised,
                    "checkpoint": m.checkpoint,
                }
                for m in summary
            ]
        )
        return 0
    table = Table(title=ctx.t("ledger.title.notarisation", enterprise=args.enterprise))
    for key in (
        "col.meter",
        "ledger.col.device",
        "ledger.col.unsigned",
        "col.readings",
        "ledger.col.notarised",
        "ledger.col.not_notarised",
        "ledger.col.checkpoint",
    ):
        table.add_column(ctx.t(key), overflow="fold")
    for m in summary:
        table.add_row(
            m.meter,
            m.device or "—",
            ctx.t("ledger.word.allowed")
            if m.unsigned_allowed
            else ctx.t("ledger.word.refused" if m.device else "ledger.word.no_device"),
            f"{m.readings:,}",
            f"{m.notarised:,}",
            f"{m.not_notarised:,}",
            "—" if m.checkpoint is None else str(m.checkpoint),
        )
    ctx.out.print(table)
    return 0


# --- ingestion, publishing, witnessing ---------------------------------------------------------------


def _read_batches(path: Path) -> list[Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InvalidInputError(f"cannot read {path}: {err.strerror}") from err
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            document = json.loads(stripped)
        except ValueError as err:
            raise InvalidInputError(f"{path} is not a JSON list: {err}") from err
        return list(document)
    return [line for line in text.splitlines() if line.strip()]


def ingest_batches(ctx: Context, args: argparse.Namespace) -> int:
    """Ingest signed batches from a file."""
    store = ctx.store()
    payloads = _read_batches(Path(args.file))
    pipeline = Pipeline(store, timezone=ctx.settings.timezone)
    results = ingest_signed_batches(
        store, pipeline, args.enterprise, payloads, origin=Origin.FILE, detail=args.file
    )
    refused = [r for r in results if r.status is SignedStatus.REFUSED]
    if args.json:
        ctx.print_json([r.to_dict() for r in results])
        return 1 if refused else 0
    counts = {s: sum(1 for r in results if r.status is s) for s in SignedStatus}
    _say(
        ctx,
        ctx.t(
            "ledger.ingested",
            total=len(results),
            accepted=counts[SignedStatus.ACCEPTED],
            replay=counts[SignedStatus.REPLAY],
            refused=counts[SignedStatus.REFUSED],
        ),
    )
    for n, result in enumerate(results, start=1):
        if result.status is SignedStatus.REFUSED or result.missing is not None:
            reason = result.reason.value if result.reason is not None else "gap"
            _say(ctx, f"  {n}: {reason}: {result.message}")
    return 1 if refused else 0


def publish_log(ctx: Context, args: argparse.Namespace) -> int:
    """Collect cosignatures, sign a checkpoint, write the static log; once or periodically."""
    store = ctx.store()
    signer = log_signer(Path(ctx.settings.data_dir), args.origin)
    directory = Path(args.dir) if args.dir else Path(ctx.settings.data_dir) / "ledger" / "log"
    witnesses = [read_verifier_key(k) for k in args.witness_key]
    sources = [open_source(c) for c in args.collect]
    if sources and not witnesses:
        raise InvalidInputError("--collect needs the trusted witnesses' keys (--witness-key)")

    def step() -> int:
        if sources:
            report = collect_cosignatures(store, sources, witnesses, signer.verifier_key)
            _say(ctx, ctx.t("ledger.collected", read=report.read, kept=report.kept))
            for problem in report.problems:
                _say(ctx, ctx.t("ledger.note", problem=problem))
        checkpoint = publish_checkpoint(store, signer)
        files = write_log(store, directory, checkpoint)
        _say(
            ctx,
            ctx.t(
                "ledger.published",
                size=checkpoint.size,
                root=checkpoint.root.hex(),
                cosignatures=len(checkpoint.cosignatures),
                files=files,
                directory=directory,
            ),
        )
        return 0

    _say(ctx, ctx.t("ledger.log_key", vkey=signer.verifier_key))
    return _repeat(args, step)


def run_witness(ctx: Context, args: argparse.Namespace) -> int:
    """Run a witness once or periodically."""
    store = ctx.store()
    data_dir = Path(ctx.settings.data_dir)
    signer = witness_signer(data_dir, args.name)
    output = Path(args.out) if args.out else data_dir / "ledger" / "witness" / args.name.replace("/", "_")
    witness = Witness(
        store,
        signer,
        read_verifier_key(args.log_key),
        open_source(args.log),
        output=output,
        peers=[open_source(p) for p in args.peer],
        enterprises=args.enterprise,
    )
    _say(ctx, ctx.t("ledger.witness_key", vkey=signer.verifier_key, out=output))

    def step() -> int:
        report = witness.run_once()
        _say(ctx, f"[{report.status}] {report.message}")
        for incident in report.incidents:
            _say(ctx, ctx.t("ledger.incident_raised", id=incident))
        return 1 if report.incidents else 0

    return _repeat(args, step)


# --- audit and proofs --------------------------------------------------------------------------------


def verify_log(ctx: Context, args: argparse.Namespace) -> int:
    """Audit the store against its log."""
    key = None if args.log_key is None else read_verifier_key(args.log_key)
    report = audit_store(ctx.store(), log_key=key, enterprise=args.enterprise, workers=args.workers)
    if args.json:
        ctx.print_json(
            {
                "ok": report.ok,
                "batches": report.batches,
                "readings": report.readings,
                "unnotarised": report.unnotarised,
                "checkpoints": report.checkpoints,
                "seconds": round(report.seconds, 3),
                "problems": [
                    {"kind": p.kind, "subject": p.subject, "message": p.message} for p in report.problems
                ],
                "warnings": list(report.warnings),
            }
        )
        return 0 if report.ok else 1
    for warning in report.warnings:
        _say(ctx, ctx.t("ledger.note", problem=warning))
    if report.ok:
        _say(
            ctx,
            ctx.t(
                "ledger.verify_ok",
                batches=report.batches,
                readings=report.readings,
                checkpoints=report.checkpoints,
                unnotarised=report.unnotarised,
                seconds=report.seconds,
            ),
        )
        return 0
    _say(ctx, ctx.t("ledger.verify_failed", count=len(report.problems)))
    for p in report.problems:
        _say(ctx, f"  [{p.kind}] {p.subject}: {p.message}")
    return 1


def _enterprise_of(ctx: Context, meter: str, enterprise: str | None) -> str:
    if enterprise is not None:
        return enterprise
    store = ctx.store()
    owners = [e.id for e in store.list_enterprises() if meter in store.meter_keys(e.id)]
    if len(owners) != 1:
        found = ", ".join(owners) if owners else "none"
        raise InvalidInputError(f"meter {meter!r} is a meter of {found}; say which with --enterprise")
    return owners[0]


def prove_reading(ctx: Context, args: argparse.Namespace) -> int:
    """Write the proof bundle of a reading."""
    enterprise = _enterprise_of(ctx, args.meter, args.enterprise)
    bundle = make_bundle(
        ctx.store(), enterprise, args.meter, _time(args.at, ctx, "--at"), consistency=not args.no_consistency
    )
    path = Path(args.out)
    path.write_text(json.dumps(bundle, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    note = Note.from_text(bundle["checkpoint"])
    reading = bundle["reading"]
    _say(
        ctx,
        ctx.t(
            "ledger.proved",
            path=path,
            meter=reading["meter"],
            time=_local_text(ctx, dt.datetime.fromtimestamp(reading["ts"], dt.UTC)),
            value=reading["value"],
            unit=reading["unit"] or "",
            device=bundle["batch"]["device"],
            sequence=bundle["batch"]["sequence"],
            leaf=bundle["inclusion"]["leaf_index"],
            size=Checkpoint.from_text(note.text).size,
            cosignatures=len(note.signatures) - 1,
        ),
    )
    return 0


def check_proof(ctx: Context, args: argparse.Namespace) -> int:
    """Verify a proof bundle offline."""
    try:
        bundle = json.loads(Path(args.bundle).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise InvalidInputError(f"cannot read the bundle {args.bundle}: {err}") from err
    report = check_bundle(
        bundle,
        read_verifier_key(args.log_key),
        witnesses=[read_verifier_key(k) for k in args.witness_key],
        quorum=args.quorum,
        device_key=None if args.device_key is None else _public_key(args.device_key),
    )
    if args.json:
        ctx.print_json({"ok": report.ok, "checks": [c.__dict__ for c in report.checks]})
        return 0 if report.ok else 1
    marks = {True: "✓", False: "✗", None: "·"}
    for check in report.checks:
        _say(ctx, f"{marks[check.ok]} {ctx.t('ledger.step.' + check.step)}: {check.message}")
    _say(ctx, ctx.t("ledger.check_ok" if report.ok else "ledger.check_failed"))
    return 0 if report.ok else 1


def list_incidents(ctx: Context, args: argparse.Namespace) -> int:
    """List ledger incidents."""
    found = LedgerStore(ctx.store()).incidents(
        kind=args.kind, open_only=args.open, enterprise=args.enterprise, limit=args.limit or None
    )
    if args.json:
        ctx.print_json(
            [
                {
                    "id": i.id,
                    "kind": i.kind,
                    "enterprise": i.enterprise,
                    "device": i.device,
                    "message": i.message,
                    "detail": i.detail,
                    "created": i.created.isoformat(),
                    "resolved_at": None if i.resolved_at is None else i.resolved_at.isoformat(),
                }
                for i in found
            ]
        )
        return 0
    if not found:
        _say(ctx, ctx.t("ledger.incidents_none"))
        return 0
    table = Table(title=ctx.t("ledger.title.incidents"))
    for key in (
        "col.id",
        "ledger.col.time",
        "col.kind",
        "ledger.col.device",
        "col.message",
        "ledger.col.state",
    ):
        table.add_column(ctx.t(key), overflow="fold")
    for i in found:
        state = ctx.t("ledger.word.open") if i.resolved_at is None else ctx.t("ledger.word.resolved")
        table.add_row(str(i.id), _local_text(ctx, i.created), i.kind, i.device or "", i.message, state)
    ctx.out.print(table)
    return 0
