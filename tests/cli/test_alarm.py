"""``shuixiao alarm check | list | show | ack | clear | note | rule | deliveries``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from shuixiao.ingest import Pipeline, Source
from shuixiao.model import Origin
from shuixiao.storage import Store
from tests.conftest import build_enterprise
from tests.notify.conftest import WebhookReceiver, free_port
from tests.notify.test_check import T0, H, _readings

pytestmark = pytest.mark.integration

UNTIL = "2025-03-02T13:00:00+08:00"  # 29 h after T0 (2025-03-01T00:00Z)


@pytest.fixture
def plant(tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch) -> Path:  # type: ignore[no-untyped-def]
    """A data directory with the steel works and two days of readings with three faults."""
    monkeypatch.delenv("SHUIXIAO_NOTIFY_CONFIG", raising=False)
    assert run("db", "upgrade")[0] == 0
    from shuixiao.model import Park, Region

    with Store.open(f"sqlite:///{tmp_path}/data/shuixiao.db") as store:
        store.save_model(
            [Region("cn-hn", "湖南省", "430000"), Region("cn-hn-xt", "湘潭市", "430300", parent="cn-hn")],
            [Park("xt-jiuhua", "湘潭九华经济技术开发区", "cn-hn-xt")],
            [build_enterprise()],
        )
        Pipeline(store, clock=lambda: T0 + 100 * H).ingest(
            "xg-steel", _readings(), Source(Origin.FILE, "p.csv")
        )
    return tmp_path / "data"


@pytest.mark.usefixtures("plant")
def test_check_list_show_and_handle(run) -> None:  # type: ignore[no-untyped-def]
    status, out, err = run("alarm", "rule", "set", "threshold", "--enterprise", "xg-steel", "--meter", "FT-201",
                           "--param", "high=1000", "--by", "wang")  # fmt: skip
    assert status == 0, err
    status, out, err = run("--lang", "en", "alarm", "check", "--until", UNTIL)
    assert status == 0, err
    assert "xg-steel: 2025-03-01 13:00 to 2025-03-02 13:00, 4 raised, 1 cleared, 0 escalated, 3 open" in out
    assert "FT-201 above its high limit" in out and "AT-201 offline" in out
    status, out, _ = run("alarm", "check", "--until", UNTIL, "--json")
    assert status == 0 and json.loads(out)[0]["raised"] == []  # nothing new
    status, out, _ = run("alarm", "list", "--json")
    listed = json.loads(out)
    assert {a["kind"] for a in listed} == {"threshold", "stuck", "offline"}
    offline = next(a for a in listed if a["kind"] == "offline")["id"]
    status, out, _ = run("alarm", "list")
    assert "离线" in out and "已报警" in out
    status, out, err = run("alarm", "ack", str(offline), "--by", "wang", "--note", "网关断电")
    assert status == 0 and f"报警 {offline} 已确认（wang）" in out
    assert run("alarm", "note", str(offline), "已派人", "--by", "li")[0] == 0
    assert run("alarm", "clear", str(offline), "--by", "wang")[0] == 0
    status, _, err = run("alarm", "ack", str(offline))
    assert status == 1 and "cannot be acknowledged" in err and "Traceback" not in err
    status, out, _ = run("alarm", "show", str(offline), "--json")
    shown = json.loads(out)
    assert [(h["actor"], h["action"]) for h in shown["history"]] == [
        ("system", "raise"),
        ("wang", "acknowledge"),
        ("li", "note"),
        ("wang", "clear"),
    ]
    status, out, _ = run("--lang", "en", "alarm", "show", str(offline))
    assert "History" in out and "网关断电" in out
    status, out, _ = run("alarm", "list", "--state", "cleared", "--kind", "offline", "--json")
    assert [a["id"] for a in json.loads(out)] == [offline]
    assert run("alarm", "show", "999")[0] == 1


@pytest.mark.usefixtures("plant")
def test_rules_set_list_unset(run) -> None:  # type: ignore[no-untyped-def]
    args = ("--enterprise", "xg-steel")
    assert run("alarm", "rule", "set", "offline", *args, "--disable", "--escalate-after", "never")[0] == 0
    status, out, err = run("alarm", "rule", "set", "threshold", *args, "--meter", "FT-201", "--param", "high=14 L/s",
                           "--severity", "major", "--escalate-after", "PT30M")  # fmt: skip
    assert status == 0, err
    status, out, _ = run("alarm", "rule", "list", *args, "--meter", "FT-201", "--json")
    rules = {r["rule"]: r for r in json.loads(out)}
    assert rules["offline"]["enabled"] is False and rules["offline"]["escalate_after"] is None
    assert rules["offline"]["overridden"] is True
    assert (
        rules["threshold"]["params"]["high"] == pytest.approx(50.4)
        and rules["threshold"]["severity"] == "major"
    )
    assert rules["threshold"]["escalate_after"] == "PT30M"
    status, out, _ = run("alarm", "rule", "list", *args)
    assert "threshold *" in out and "quality.cooling.ph" not in out  # no pH meter on a cooling tower
    status, out, _ = run("--lang", "en", "alarm", "rule", "unset", "threshold", *args, "--meter", "FT-201")
    assert status == 0 and "back to its defaults" in out
    status, out, _ = run("--lang", "en", "alarm", "rule", "unset", "threshold", *args, "--meter", "FT-201")
    assert "has no override" in out
    for bad, message in (
        (("alarm", "rule", "set", "thresh", *args), "no alarm rule 'thresh'"),
        (("alarm", "rule", "set", "threshold", *args, "--param", "hi=1"), "no parameter 'hi'"),
        (("alarm", "rule", "set", "threshold", *args, "--param", "high"), "write NAME=VALUE"),
        (("alarm", "rule", "set", "threshold", *args, "--meter", "FT-9"), "no meter 'FT-9'"),
        (("alarm", "rule", "set", "threshold", *args, "--escalate-after", "soon"), "not a duration"),
        (("alarm", "rule", "list", "--enterprise", "nope"), "no enterprise 'nope'"),
    ):
        status, _, err = run(*bad)
        assert status == 1 and message in err, (bad, err)


def test_notifications_through_a_config_file(
    plant: Path, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    receiver = WebhookReceiver(free_port())  # down at first
    config = tmp_path / "notify.toml"
    config.write_text(
        f'[[channels]]\nname = "ops"\nkind = "webhook"\nurl = "{receiver.url}"\nmin_severity = "warning"\n',
        encoding="utf-8",
    )
    status, out, err = run("alarm", "check", "--until", UNTIL, "--notify-config", str(config))
    assert status == 0, err
    status, out, _ = run("alarm", "deliveries", "--json")
    pending = json.loads(out)
    assert len(pending) == 2 and {d["status"] for d in pending} == {"pending"}  # stuck and offline
    assert all(d["attempts"] == 1 and "ConnectError" in d["last_error"] for d in pending)
    status, _, err = run("alarm", "deliveries", "--send")
    assert status == 1 and "--notify-config FILE or SHUIXIAO_NOTIFY_CONFIG" in err
    monkeypatch.setenv("SHUIXIAO_NOTIFY_CONFIG", str(config))
    receiver.start()
    try:
        with (
            Store.open(f"sqlite:///{plant}/shuixiao.db") as store,
            store.transaction("test", write=True) as c,
        ):
            c.execute(
                sa.text("UPDATE alarm_deliveries SET next_attempt_at = 0")
            )  # retry now, not in a minute
        status, out, _ = run("--lang", "en", "alarm", "deliveries", "--send")
    finally:
        receiver.stop()
    assert status == 0 and "2 notifications sent" in out
    assert sorted(r.json()["alarm"]["kind"] for r in receiver.received) == ["offline", "stuck"]
    status, out, _ = run("alarm", "deliveries", "--status", "sent", "--json")
    assert len(json.loads(out)) == 2
    status, out, _ = run("--lang", "en", "alarm", "deliveries", "--retry")
    assert "0 failed notifications queued again" in out


@pytest.mark.usefixtures("plant")
def test_check_errors(run) -> None:  # type: ignore[no-untyped-def]
    for args, message in (
        (("alarm", "check", "--enterprise", "nope"), "no enterprise 'nope'"),
        (("alarm", "check", "--since", "yesterday"), "not an ISO date"),
        (("alarm", "check", "--every", "10", "--until", UNTIL), "--every needs"),
        (("alarm", "check", "--every", "0"), "--every needs"),
        (("alarm", "check", "--since", UNTIL, "--until", UNTIL), "is not before"),
        (("alarm", "check", "--notify-config", "missing.toml"), "fix --notify-config"),
    ):
        status, _, err = run(*args)
        assert status == 1 and message in err, (args, err)


def test_check_every_stops_cleanly_on_sigterm(plant: Path) -> None:
    env = {**os.environ, "SHUIXIAO_DATA_DIR": str(plant), "SHUIXIAO_LANGUAGE": "en", "PYTHONUNBUFFERED": "1"}
    env.pop("SHUIXIAO_DATABASE_URL", None)
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "shuixiao"),
            "alarm",
            "check",
            "--every",
            "0.2",
            "--since",
            "2025-03-01",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        seen = ""
        assert process.stdout is not None
        while "xg-steel:" not in seen and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            seen += line
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "Checking the alarm rules every 0.2 s" in seen and "Stopped after" in out
