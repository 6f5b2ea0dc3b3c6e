"""Making a directory ready for a new run: refuse, or lock and (with ``force``) empty it.

Order matters (docs/run-directory.md, "One writer"):

1. Without writing anything, refuse a path that is a file, a non-empty directory that is not a
   run (even with ``force``: a mistyped ``--out ~`` deletes nothing and gets no lock file), a
   run another process is writing (:class:`RunLockedError`), or a run without ``force``.
2. Create the directory and take its writer lock (:class:`~boundcheck.runs.lock.RunLock`).
3. Under the lock, look again (another writer may have come and gone in between); with
   ``force``, empty the run *inside* the directory, keeping the lock file: ``config.json`` is
   moved into a hidden trash folder first, so from that instant the directory is no longer a
   run for any reader, then everything else, then the trash is deleted. A kill midway leaves a
   directory that is not a run but that ``force`` recognises (its trash holds the run's
   ``config.json``) and empties again.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

from boundcheck.runs.atomic import fsync_dir
from boundcheck.runs.errors import RunError, RunExistsError, RunLockedError
from boundcheck.runs.lock import LOCK_FILE, RunLock, locked_message, probe

CONFIG_FILE = "config.json"
TRASH_PREFIX = ".deleting-"


def prepare_new_run(path: Path, *, force: bool, is_run: Callable[[Path], bool],
                    lock: RunLock | None = None) -> RunLock:
    """Make ``path`` an empty directory whose writer lock this process holds; return the lock.

    ``lock`` (for ``path``) is used when given, else a new one is taken (and released again if
    the directory is refused). Raises :class:`RunExistsError`, :class:`RunLockedError`, or
    :class:`RunError` (the directory cannot be created or locked).
    """
    if lock is not None and lock.run_path.absolute() != path.absolute():
        raise ValueError(f"the lock of {lock.run_path} cannot create a run in {path}")
    _refuse_without_touching(path, force, is_run)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunError(f"{path}: cannot create the run directory ({exc.strerror})") from None
    taken = lock is None or not lock.held
    held = (lock or RunLock(path)).acquire()
    try:
        if _entries(path):
            if not (force and is_run(path)):  # a run appeared between the check and the lock
                raise RunExistsError(_exists_message(path))
            clear_run(path)
    except BaseException:
        if taken:
            held.release()
        raise
    return held


def clear_run(path: Path) -> None:
    """Empty the run directory ``path`` (its lock held), keeping the lock file (module doc)."""
    trash = path / f"{TRASH_PREFIX}{secrets.token_hex(4)}"
    trash.mkdir()
    if (path / CONFIG_FILE).exists():
        (path / CONFIG_FILE).rename(trash / CONFIG_FILE)  # no longer a run, at once
        fsync_dir(path)
    for entry in _entries(path):
        if entry != trash:
            entry.rename(trash / entry.name)
    fsync_dir(path)
    shutil.rmtree(trash)  # symlinks inside are unlinked, never followed


def trash_dirs(path: Path) -> list[Path]:
    """Trash folders an interrupted :func:`clear_run` left in ``path``."""
    return sorted(p for p in path.glob(f"{TRASH_PREFIX}*") if p.is_dir())


def _refuse_without_touching(path: Path, force: bool, is_run: Callable[[Path], bool]) -> None:
    if not (path.exists() or path.is_symlink()):
        return
    if not path.is_dir():
        raise RunExistsError(f"{path} exists and is not a directory")
    if not _entries(path):
        return
    if not is_run(path):
        raise RunExistsError(
            f"{path} does not look like a boundcheck run directory; refusing to delete it even "
            "with --force" if force else
            f"{path} already exists, is not empty and is not a boundcheck run; choose another "
            "directory")
    held, pid = probe(path)
    if held:
        raise RunLockedError(locked_message(path, pid))
    if not force:
        raise RunExistsError(_exists_message(path))


def _exists_message(path: Path) -> str:
    return (f"{path} already exists and is not empty; pass --force to overwrite it or --resume "
            "to continue it")


def _entries(path: Path) -> list[Path]:
    return [p for p in path.iterdir() if p.name != LOCK_FILE]
