"""``shuixiao serve``: refuses without an administrator; starts uvicorn, answers, stops on SIGINT."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SHUIXIAO = str(Path(sys.executable).with_name("shuixiao"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(data_dir: Path, port: int, *options: str, **env: str) -> tuple[int, str]:
    """Start ``shuixiao serve``; wait for /api/v1/health; stop it with SIGINT; return (exit status, output)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SHUIXIAO_")}
    environment |= {"SHUIXIAO_DATA_DIR": str(data_dir), **env}
    process = subprocess.Popen(
        [SHUIXIAO, "serve", "--port", str(port), *options],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        answer = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert answer is not None, "the service did not answer within 60 s"
        assert answer.status_code == 200 and answer.json()["status"] == "ok"
        assert answer.headers["x-frame-options"] == "DENY" and "server" not in answer.headers
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, output


def test_serve_refuses_without_an_administrator(run: Any) -> None:
    run("db", "upgrade")
    status, _, err = run("serve", "--port", "1")
    assert status == 1 and "shuixiao users add LOGIN --role admin" in err


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_starts_answers_and_stops(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    run("db", "upgrade")
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery staple\n"))
    assert run("users", "add", "root", "--role", "admin", "--password-stdin")[0] == 0
    status, output = _serve(tmp_path / "data", _free_port(), "--workers", workers)
    assert status == 0, output
    assert (
        "http://127.0.0.1:" in output
        and "Application startup complete" in output
        and "Finished server process" in output
    )


def test_demo_mode_starts_without_an_administrator(run: Any, tmp_path: Path) -> None:
    run("db", "upgrade")
    status, output = _serve(tmp_path / "data", _free_port(), SHUIXIAO_DEMO="true")
    assert status == 0, output
