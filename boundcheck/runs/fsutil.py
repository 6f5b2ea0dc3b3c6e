"""Deleting a directory without ever leaving a half-deleted tree or deleting through a symlink."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

from boundcheck.runs.atomic import fsync_dir


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
