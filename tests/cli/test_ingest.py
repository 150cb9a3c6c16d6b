"""``shuixiao ingest``: file import, the quarantine (list, replay) and the MQTT worker, called as ``main(argv)``."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shuixiao.cli import main
from shuixiao.storage import Store

pytestmark = pytest.mark.integration

MODELS = Path(__file__).parents[1] / "data" / "models"
E = "xt-paper"


@pytest.fixture
def run(run):  # type: ignore[no-untyped-def]
    """The shared ``run`` in English, against a data directory holding the paper mill."""

    def _run(*argv: str) -> tuple[int, str, str]:
        return run("--lang", "en", *argv)  # type: ignore[no-any-return]

    assert _run("db", "upgrade")[0] == 0
    assert _run("model", "import", str(MODELS / "paper_mill.yaml"))[0] == 0
    return _run


def _store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path}/data/shuixiao.db")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_file_import_reports_counts(run: Any, tmp_path: Path) -> None:
    path = _write(
        tmp_path, "r.csv", "meter,ts,value\nFT-001,2024-06-01 00:00,100\nFT-001,2024-06-01 00:15,103.5\n"
    )
    status, out, _ = run("ingest", "file", str(path), "--enterprise", E)
    assert status == 0
    assert f"Imported {path} into {E}: 2 readings, 2 accepted, 0 duplicate, 0 rejected" in out
    status, out, _ = run("ingest", "file", str(path), "--enterprise", E)
    assert "0 accepted, 2 duplicate, 0 rejected" in out


def test_file_import_with_rejects_points_to_the_quarantine(run: Any, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "wide.csv",
        "time,FT-001,AT-201,FT-999\n2024-06-01 00:00,100,7.1,1\n2024-06-01 00:15,101,15.2,\n",
    )
    status, out, _ = run("ingest", "file", str(path), "--enterprise", E, "--layout", "wide")
    assert status == 1
    assert "5 readings, 3 accepted, 0 duplicate, 2 rejected" in out
    assert "Empty cells (no reading, not an error): 1" in out
    assert "unknown_meter (unknown meter): 1" in out
    assert "implausible_value (physically impossible value): 1" in out
    assert "row 3: meter 'AT-201': pH 15.2 is above 14 pH" in out
    assert f"shuixiao ingest quarantine replay --enterprise {E}" in out


def test_file_import_options_and_json(run: Any, tmp_path: Path) -> None:
    path = _write(tmp_path, "r.tsv", "表\t时刻\t读数\nFIT-113\t2024-05-31 16:00\t2.5\n")
    status, out, _ = run(
        "ingest", "file", str(path), "--enterprise", E, "--meter-column", "表", "--timestamp-column", "时刻",
        "--value-column", "读数", "--timezone", "UTC", "--unit", "L/s", "--json",
    )  # fmt: skip
    assert status == 0
    report = json.loads(out)
    assert (report["accepted"], report["rejected"], report["reasons"]) == (1, 0, {})
    with _store(tmp_path) as store:
        frame = store.read_readings(E, "FIT-113")
    assert frame["value"].tolist() == [9.0]
    assert str(frame["ts"][0]) == "2024-05-31 16:00:00+00:00"


def test_file_import_errors(run: Any, tmp_path: Path) -> None:
    path = _write(tmp_path, "r.csv", "meter,ts,value\n")
    status, _, err = run("ingest", "file", str(path), "--enterprise", "xt-papr")
    assert (status, "no enterprise 'xt-papr'; did you mean 'xt-paper'?" in err) == (1, True)
    status, _, err = run("ingest", "file", str(tmp_path / "none.csv"), "--enterprise", E)
    assert (status, "no such file" in err) == (1, True)
    status, _, err = run("ingest", "file", str(path), "--enterprise", E, "--chunk-size", "0")
    assert (status, "chunk_size must be a whole number" in err) == (1, True)


def test_quarantine_list_and_replay(run: Any, tmp_path: Path) -> None:
    path = _write(
        tmp_path, "r.csv", "meter,ts,value\nFT-001,2024-06-01 00:00,100\nFT-001,2024-06-01 00:15,90\n"
    )
    assert run("ingest", "file", str(path), "--enterprise", E)[0] == 1
    status, out, _ = run("ingest", "quarantine", "list", "--enterprise", E)
    assert status == 0
    assert "Quarantine" in out and "totalizer_backwards" in out and "falls from 100 m³" in out
    assert "Showing 1 of 1. By reason: totalizer_backwards 1" in out
    status, out, _ = run("ingest", "quarantine", "list", "--json", "--since", "2000-01-01")
    (record,) = json.loads(out)
    assert (record["reason"], record["origin"], record["replayed_at"]) == (
        "totalizer_backwards",
        "file",
        None,
    )
    assert json.loads(record["payload"])["row"] == 3
    assert "No quarantined records match" in run("ingest", "quarantine", "list", "--reason", "conflict")[1]
    status, out, _ = run("ingest", "quarantine", "replay", "--enterprise", E)
    assert "Replayed 1 quarantined records: 0 accepted, 0 already stored, 1 still rejected" in out
    assert "totalizer_backwards (register went backwards): 1" in out
    with _store(tmp_path) as store:
        store.add_meter_event(
            E,
            "FT-001",
            datetime(2024, 5, 31, 16, 5, tzinfo=UTC),
            "replacement",
            {"old_register": 100.2, "new_register": 0},
        )
    status, out, _ = run("ingest", "quarantine", "replay", "--id", str(record["id"]), "--json")
    assert json.loads(out)["accepted"] == 1
    assert "No quarantined records match" in run("ingest", "quarantine", "list")[1]
    out = run("ingest", "quarantine", "list", "--all")[1]
    assert "totalizer_backwards (replayed)" in out
    status, _, err = run("ingest", "quarantine", "list", "--until", "yesterday")
    assert (status, "--until 'yesterday' is not an ISO date" in err) == (1, True)


@pytest.mark.usefixtures("run")
def test_chinese_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "r.csv", "meter,ts,value\nFT-999,2024-06-01 00:00,1\n")
    assert main(["ingest", "file", str(path), "--enterprise", E]) == 1
    out = capsys.readouterr().out
    assert "接受 0，重复 0，拒收 1" in out and "计量器具不存在" in out and "隔离区" in out


def test_mqtt_worker_stops_gracefully_on_sigint(run: Any, tmp_path: Path, broker: tuple[str, int]) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    host, port = broker
    tag = f"{time.time_ns()}"
    prefix = f"cli-{tag}/shuixiao/v1"

    def publish_then_interrupt() -> None:
        time.sleep(1.0)
        client = mqtt.Client(CallbackAPIVersion.VERSION2)
        client.connect(host, port)
        client.loop_start()
        payload = json.dumps([{"meter": "FT-001", "ts": "2024-06-01T08:00:00+08:00", "value": 5}])
        client.publish(f"{prefix}/{E}/batch", payload, qos=1).wait_for_publish(10)
        client.disconnect()
        client.loop_stop()
        deadline = time.monotonic() + 15
        with _store(tmp_path) as store:
            while store.count_readings(E) == 0 and time.monotonic() < deadline:
                time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGINT)

    helper = threading.Thread(target=publish_then_interrupt)
    helper.start()
    status, out, _ = run(
        "ingest", "mqtt", "--host", host, "--port", str(port), "--group", f"g{tag}", "--client-id", f"cli-{tag}",
        "--prefix", prefix, "--session-expiry", "0", "--verbose",
    )  # fmt: skip
    helper.join()
    assert status == 0
    assert f"MQTT worker: {host}:{port}, group g{tag}, client cli-{tag}" in out
    assert "Committed and acknowledged 1/1 messages: 1 accepted" in out
    assert "Stopped: 1 messages, 1 accepted, 0 duplicate, 0 rejected, 0 malformed" in out
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers restored


def test_every_rejection_reason_has_a_text_in_both_languages() -> None:
    from shuixiao.cli._text import _TEXTS as TEXTS
    from shuixiao.ingest import Reason

    missing = [f"reason.{r.value}" for r in Reason if f"reason.{r.value}" not in TEXTS]
    assert missing == []


def test_mqtt_worker_refuses_an_enterprise_it_cannot_take(run: Any) -> None:
    for enterprise, fragment in [
        ("xt-paper/2", "enterprise 'xt-paper/2' cannot be a topic level"),
        ("xt-nowhere", "enterprise 'xt-nowhere' is not in the store"),
    ]:
        status, out, err = run("ingest", "mqtt", "--enterprise", E, "--enterprise", enterprise)
        assert (status, out) == (1, ""), err
        assert fragment in err
