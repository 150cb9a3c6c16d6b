"""Start ``shuixiao serve`` on a data directory for a benchmark, and stop it afterwards."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

SHUIXIAO = str(Path(sys.executable).with_name("shuixiao"))
STARTUP_TIMEOUT = 180.0
"""How long the server may take to answer its health check [s]; a busy 2-core machine takes tens
of seconds to start two server processes."""


@dataclass(frozen=True)
class Server:
    """A running ``shuixiao serve``: its process, port and base URL."""

    process: subprocess.Popen[bytes]
    port: int

    @property
    def base(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("shuixiao serve stopped before answering")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"shuixiao serve did not answer within {STARTUP_TIMEOUT:.0f} s")


@contextmanager
def serve(data: Path, workers: int, options: Sequence[str] = ()) -> Iterator[Server]:
    """Run ``shuixiao serve --workers N`` on ``data`` until the block ends.

    The server gets a free loopback port and an environment without the caller's ``SHUIXIAO_*``
    variables (only ``SHUIXIAO_DATA_DIR``); the block starts once ``/api/v1/health`` answers.  At
    the end the server is sent SIGINT and killed if it has not stopped within 30 s.

    Parameters
    ----------
    data : pathlib.Path
        The data directory (with its database).
    workers : int
        Server processes.
    options : sequence of str
        Further options of ``shuixiao serve`` (e.g. ``--no-access-log``).
    """
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SHUIXIAO_")} | {
        "SHUIXIAO_DATA_DIR": str(data)
    }
    process = subprocess.Popen(
        [SHUIXIAO, "serve", "--port", str(port), "--workers", str(workers), *options],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        server = Server(process, port)
        _wait(f"{server.base}/api/v1/health", process)
        yield server
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
