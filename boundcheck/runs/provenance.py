"""Where a run's code came from: package version, git revision, library versions.

Recorded in ``config.json`` so that every result can be traced to the code that produced it.
Deliberately host-free: no hostname, user name, absolute paths or timestamps.
"""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess
from pathlib import Path
from typing import Any

import boundcheck

_GIT_TIMEOUT_S = 5.0


def git_info(source_dir: Path | None = None) -> dict[str, Any]:
    """``{"revision": <HEAD sha or "unknown">, "dirty": bool | None}`` of the source tree.

    ``source_dir`` defaults to the installed ``boundcheck`` package directory. The revision is
    reported only if that directory's ``__init__.py`` is tracked by the enclosing repository (so
    a package installed into a virtual environment inside some other checkout reports
    "unknown", not that checkout's HEAD). ``dirty`` ignores untracked files; ``None`` if unknown.
    """
    src = Path(source_dir) if source_dir is not None else Path(boundcheck.__file__).parent
    unknown: dict[str, Any] = {"revision": "unknown", "dirty": None}
    if _git(src, "ls-files", "--error-unmatch", "__init__.py") is None:
        return unknown
    revision = _git(src, "rev-parse", "--verify", "HEAD")
    if revision is None:  # a repository without commits
        return unknown
    status = _git(src, "status", "--porcelain", "--untracked-files=no")
    return {"revision": revision, "dirty": None if status is None else bool(status)}


def provenance(source_dir: Path | None = None) -> dict[str, Any]:
    """Package, git and library versions for ``config.json``."""
    return {
        "boundcheck_version": boundcheck.__version__,
        "git": git_info(source_dir),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "torch": _version("torch"),
        "gymnasium": _version("gymnasium"),
        "mujoco": _version("mujoco"),
    }


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _git(cwd: Path, *args: str) -> str | None:
    """Output of ``git <args>`` run in ``cwd``, or ``None`` on any failure (no git, no repo)."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None
