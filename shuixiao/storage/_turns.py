"""Writers of one SQLite file take turns through a lock file, and the next goes the moment one is done.

SQLite lets one writer at a time hold a database, and a writer that finds it held
sleeps in its busy handler: 1, 2, 5, 10 … up to 100 ms between tries.  Two ingest
workers (or a worker and the web service) committing in turn would then spend
much of their time asleep while the database is free.  Before its ``BEGIN
IMMEDIATE`` a writer therefore takes an exclusive ``flock`` on ``<database>-writers``,
trying again every :data:`_POLL` seconds at most, and releases it after its commit
or rollback.  The threads of one process first queue on a lock of their own (one
per database file), so that one of them at most polls the file while the others
wait without waking, and the thread committing keeps the interpreter to itself.
The SQLite lock still guards the data: a program that does not use this file (the
``sqlite3`` shell, an older release) is only slower to be let in, never let in
wrongly.

Where ``fcntl`` is missing (Windows) there is no lock file, and writers rely on
SQLite's busy handler alone.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from shuixiao.errors import StorageError

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]

__all__ = ["turn_file", "writer_turn"]

_POLL: Final = 0.001  # longest sleep between two tries [s]
_threads: dict[Path, threading.Lock] = {}  # the lock the threads of this process queue on, by lock file
_registry = threading.Lock()
_open: set[int] = set()  # descriptors of the lock files of the turns held now


def _forget_turns() -> None:
    """In a child process no thread holds a turn, whatever the parent's threads held when it forked.

    The child's copies of the parent's descriptors are closed: a ``flock`` lasts until every copy is
    closed, so a child that kept them would hold the parent's turn for as long as it runs.
    """
    global _registry
    for fd in _open:
        os.close(fd)
    _open.clear()
    _threads.clear()
    _registry = threading.Lock()


os.register_at_fork(after_in_child=_forget_turns)


def turn_file(database: str | None) -> Path | None:
    """The lock file of the SQLite database file ``database``, or None if it has none.

    A database in memory (``:memory:``) is private to its connection and needs none; a
    ``file:`` URI, which may name one, and a system without ``fcntl`` are left to SQLite's
    busy handler.

    Examples
    --------
    >>> str(turn_file("/srv/shuixiao/data.db"))
    '/srv/shuixiao/data.db-writers'
    >>> turn_file(":memory:") is None
    True
    """
    if fcntl is None or not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database).absolute()  # as the database was opened, whatever the working directory later
    return path.with_name(path.name + "-writers")


@contextmanager
def writer_turn(path: Path | None, timeout: float) -> Iterator[None]:
    """Hold the writers' turn of a database for the block.

    Parameters
    ----------
    path : pathlib.Path or None
        The lock file (:func:`turn_file`); None: no turn is taken.
    timeout : float
        How long to wait for the writer before. [s]

    Raises
    ------
    StorageError
        If the lock file cannot be opened, or another writer keeps its turn for ``timeout``.
    """
    if path is None or fcntl is None:
        yield
        return
    deadline = time.monotonic() + timeout
    with _registry:
        threads = _threads.setdefault(path, threading.Lock())
    if not threads.acquire(timeout=timeout):
        raise _busy(path, timeout)
    try:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise StorageError(
                f"cannot open the writers' lock file {path}: {err.strerror}; the database's directory "
                "must be writable by every program that writes to it"
            ) from err
        _open.add(fd)
        try:
            _wait(fd, path, deadline, timeout)
            yield
        finally:
            _open.discard(fd)
            os.close(fd)  # releases the lock
    finally:
        threads.release()


def _wait(fd: int, path: Path, deadline: float, timeout: float) -> None:
    assert fcntl is not None
    pause = _POLL / 8
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        if time.monotonic() >= deadline:
            raise _busy(path, timeout)
        time.sleep(pause)
        pause = min(pause * 2, _POLL)


def _busy(path: Path, timeout: float) -> StorageError:
    return StorageError(
        f"another writer has held the database for more than {timeout:g} s (lock file {path}); "
        "wait for it to finish (a large import or rebuild), or find and stop a program that hangs"
    )
