"""The writer lock of a run directory: one process writes a run, for its whole life.

A writer (``train``, ``train --resume``, ``train --force``, a sweep cell) takes an exclusive,
non-blocking OS lock on ``<run>/.lock`` before it touches anything in the directory, and holds
it until it is done. A second writer fails at once with :class:`RunLockedError` naming the
directory and the holder's pid (which the holder writes into the lock file). The lock is
``flock(2)`` on an open file: the kernel drops it when the holder's file descriptor is closed,
so a process that dies in any way, ``kill -9`` included, never leaves a stale lock behind. The
lock file itself is never deleted (deleting a lock file while another process opens it is the
classic race); it is a hidden, tiny file. Readers take no lock. See docs/run-directory.md for
what the lock guarantees on network filesystems.

Library use (a later ``sweep`` holds one lock per cell)::

    with RunLock(path) as lock:
        run = RunDir.create(path, config, lock=lock)
        ...

or ``with RunDir.open(path, writer=True) as run: ...``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType

from boundcheck.inputs import InputError
from boundcheck.runs.errors import RunError, RunLockedError

LOCK_FILE = ".lock"
#: Byte the Windows fallback locks (beyond the pid text, which stays readable).
_WINDOWS_LOCK_OFFSET = 1 << 30


class RunLock:
    """Exclusive writer lock on one run directory (a context manager).

    ``acquire`` never waits: it either takes the lock or raises :class:`RunLockedError`. The
    directory must exist. Not re-entrant: within one process, a second ``RunLock`` on the same
    directory is a second writer and is refused, like one in another process.
    """

    def __init__(self, run_path: Path | str) -> None:
        self.run_path = Path(run_path)
        self.path = self.run_path / LOCK_FILE
        self._fd: int | None = None
        self._finalizer: Callable[[], object] | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock now."""
        return self._fd is not None

    def acquire(self) -> RunLock:
        """Take the lock (creating the lock file if needed); returns ``self``."""
        if self._fd is not None:
            return self
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        except OSError as exc:
            raise RunError(f"{self.run_path}: cannot create the lock file {LOCK_FILE} "
                           f"({exc.strerror})") from None
        try:
            _lock(fd)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise RunLockedError(locked_message(self.run_path, read_holder(self.path))) \
                    from None
            raise RunError(f"{self.run_path}: cannot lock {LOCK_FILE} ({exc.strerror}); the "
                           "filesystem may not support locks (see docs/run-directory.md)") \
                from None
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        self._finalizer = weakref.finalize(self, os.close, fd)
        return self

    def release(self) -> None:
        """Give the lock up (a no-op if not held). The pid is cleared, the file stays."""
        if self._fd is None or self._finalizer is None:
            return
        with contextlib.suppress(OSError):  # the lock goes with the descriptor anyway
            os.ftruncate(self._fd, 0)
        self._finalizer()  # closes the descriptor, which releases the lock
        self._fd = self._finalizer = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"RunLock({str(self.run_path)!r}, held={self.held})"


@contextlib.contextmanager
def output_writer(folder: Path, where: str = "out") -> Iterator[Path]:
    """Create the output ``folder`` if needed and hold its writer lock for the block, so two
    commands never write one results folder at once; a second writer is bad input,
    ``InputError(where, ...)`` (the field that named the folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = RunLock(folder)
    try:
        lock.acquire()
    except RunLockedError as exc:
        raise InputError(where, str(exc)) from None
    try:
        yield folder
    finally:
        lock.release()


def probe(run_path: Path) -> tuple[bool, int | None]:
    """``(held, pid)``: whether a writer holds ``run_path``'s lock, and its pid if known.

    Creates and changes nothing (no lock file: not held). It takes a shared lock for an
    instant, so a writer starting in that very instant is refused as if the run were held
    (harmless: it exits 2 and touches nothing). Never call it on a run this process holds:
    where ``flock`` is emulated with POSIX locks (NFS), closing any descriptor of the file
    drops the holder's lock.
    """
    path = Path(run_path) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False, None
    try:
        _lock(fd, shared=True)
    except OSError:
        return True, read_holder(path)
    finally:
        os.close(fd)
    return False, None


def read_holder(path: Path) -> int | None:
    """The pid written in a lock file (``None`` if absent or unreadable)."""
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def locked_message(run_path: Path, pid: int | None) -> str:
    """``<run> is being written by another process (pid N); ...`` (one line)."""
    if pid == os.getpid():
        return (f"{run_path} is already being written by this process (pid {pid}); a run "
                "directory has one writer")
    holder = f"pid {pid}" if pid is not None else "pid unknown"
    return (f"{run_path} is being written by another process ({holder}); a run directory has "
            "one writer: wait for it to finish, or stop it first")


def _lock(fd: int, *, shared: bool = False) -> None:
    """Non-blocking lock of ``fd``: ``flock`` on POSIX, a byte-range lock on Windows."""
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
