"""Directory operations that never leave a half-deleted tree or delete through a symlink."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

from boundcheck.runs.atomic import fsync_dir
from boundcheck.runs.errors import RunExistsError


def prepare_empty_dir(path: Path, *, force: bool, is_run: Callable[[Path], bool]) -> None:
    """Make ``path`` an empty directory, refusing to clobber anything but a run with ``force``.

    A non-empty directory raises :class:`RunExistsError` unless ``force`` and ``is_run(path)``
    (so ``--force`` on a mistyped path such as a home directory deletes nothing).
    """
    if path.exists() or path.is_symlink():
        if not path.is_dir():
            raise RunExistsError(f"{path} exists and is not a directory")
        if any(path.iterdir()):
            if not force:
                raise RunExistsError(
                    f"{path} already exists and is not empty; pass --force to overwrite it "
                    "or --resume to continue it"
                )
            if not is_run(path):
                raise RunExistsError(
                    f"{path} does not look like a boundcheck run directory; refusing to delete "
                    "it even with --force"
                )
            remove_tree(path)
    path.mkdir(parents=True, exist_ok=True)


def remove_tree(path: Path) -> None:
    """Delete ``path`` without ever leaving a half-deleted tree under its name.

    It is first renamed to a hidden sibling (atomic), then deleted; a symlink is unlinked, so
    nothing outside is ever deleted through a link.
    """
    trash = path if path.name.startswith(".") else path.with_name(
        f".{path.name}.deleting-{secrets.token_hex(4)}"
    )
    if trash != path:
        path.rename(trash)
        fsync_dir(path.parent)
    if trash.is_symlink() or trash.is_file():
        trash.unlink()
    else:
        shutil.rmtree(trash)
