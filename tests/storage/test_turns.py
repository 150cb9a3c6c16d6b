"""Writers of one SQLite file take turns through its lock file (shuixiao.storage._turns)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from shuixiao.errors import StorageError
from shuixiao.storage import Store
from shuixiao.storage._turns import turn_file, writer_turn

HOLD = """
import sys, time
from pathlib import Path
from shuixiao.storage._turns import writer_turn
with writer_turn(Path(sys.argv[1]), 5.0):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_writer_waits_for_the_turn_of_another_and_goes_as_soon_as_it_ends(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite-writers"
    events: list[tuple[str, float]] = []
    first_in = threading.Event()

    def first() -> None:
        with writer_turn(path, 5.0):
            first_in.set()
            time.sleep(0.3)
            events.append(("first out", time.monotonic()))

    thread = threading.Thread(target=first)
    thread.start()
    assert first_in.wait(5)
    with writer_turn(path, 5.0):
        events.append(("second in", time.monotonic()))
    thread.join()
    (out, released), (into, entered) = events
    assert (out, into) == ("first out", "second in")  # never both at once
    # SQLite's busy handler would sleep up to 100 ms between tries; the turn polls every millisecond
    assert entered - released < 0.1


def test_another_process_keeping_its_turn_too_long_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite-writers"
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            with pytest.raises(
                StorageError, match=r"another writer has held the database for more than 0\.2 s"
            ):
                with writer_turn(path, 0.2):
                    pass
        finally:
            holder.kill()
    with writer_turn(path, 5.0):  # the turn of a killed process ends with it
        pass


def test_a_lock_file_that_cannot_be_opened_is_reported_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="directory must be writable"):
        with writer_turn(tmp_path / "missing" / "db.sqlite-writers", 1.0):
            pass


def test_only_database_files_have_a_lock_file() -> None:
    assert turn_file("data/shuixiao.db") == Path("data/shuixiao.db-writers").absolute()
    assert turn_file(":memory:") is None
    assert turn_file("file:shared?mode=memory&cache=shared") is None
    assert turn_file(None) is None


def test_two_stores_of_one_file_write_in_turn(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/db.sqlite"
    with Store.open(url) as one, Store.open(url) as two:
        one.upgrade()
        inside = threading.Event()
        order: list[str] = []

        def long_write() -> None:
            with one.bulk():
                inside.set()
                time.sleep(0.2)
                order.append("first done")

        thread = threading.Thread(target=long_write)
        thread.start()
        assert inside.wait(5)
        with two.bulk():
            order.append("second in")
        thread.join()
        assert order == ["first done", "second in"]
        assert (tmp_path / "db.sqlite-writers").exists()


def test_a_thread_kept_waiting_too_long_gets_the_same_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite-writers"
    inside, leave = threading.Event(), threading.Event()

    def hold() -> None:
        with writer_turn(path, 5.0):
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert inside.wait(5)
        with pytest.raises(StorageError, match=r"held the database for more than 0\.1 s"):
            with writer_turn(path, 0.1):
                pass
    finally:
        leave.set()
        thread.join()


def test_a_process_forked_during_a_turn_does_not_keep_it(tmp_path: Path) -> None:
    """Children of a process (worker pools) get copies of its descriptors; they must not hold its turn."""
    path = tmp_path / "db.sqlite-writers"
    with writer_turn(path, 5.0):
        child = os.fork()
        if child == 0:  # the child lives on past the parent's turn
            time.sleep(3)
            os._exit(0)
    try:
        started = time.monotonic()
        with writer_turn(path, 1.0):  # the parent's turn has ended, though the child still runs
            pass
        assert time.monotonic() - started < 1.0
    finally:
        os.waitpid(child, 0)
