"""What every command shares: the error type, exit codes, JSON output and consoles."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from boundcheck.runs.atomic import strict_json

EXIT_OK = 0
EXIT_FAILURE = 1  # a runtime failure, or a checked bound that is violated
EXIT_BAD_INPUT = 2


class BadInput(Exception):
    """Bad user input: reported as one line on stderr, exit code 2."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option


class CommandFailed(Exception):
    """A runtime failure: one line on stderr, exit code 1."""


def bad_input(option: str, message: str) -> NoReturn:
    """Raise :class:`BadInput` for ``option``."""
    raise BadInput(option, message)


def ensure_dir(option: str, path: Path) -> Path:
    """Create the output folder ``path`` (bad input if it is a file or cannot be created)."""
    if path.exists() and not path.is_dir():
        bad_input(option, f"{path} exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        bad_input(option, f"cannot create {path}: {exc.strerror}")
    return path


def progress_bar(*columns: str, disabled: bool, transient: bool = False) -> Progress:
    """The commands' progress bar on stderr: description, bar, ``columns`` (rich text-column
    templates such as ``"{task.completed}/{task.total} steps"``), elapsed time and ETA."""
    return Progress(TextColumn("{task.description}"), BarColumn(),
                    *(TextColumn(c) for c in columns), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=stderr_console(), disable=disabled,
                    transient=transient, refresh_per_second=4)


def stdout_console() -> Console:
    """A console for tables on stdout (made per command: no module-level consoles)."""
    return Console()


def stderr_console() -> Console:
    """A console for progress bars and notes on stderr, so ``--json`` stdout stays clean."""
    return Console(stderr=True)


def emit_json(doc: dict[str, Any]) -> None:
    """Print exactly one JSON document on stdout (non-finite floats become null)."""
    sys.stdout.write(json.dumps(strict_json(doc), indent=2, allow_nan=False) + "\n")
    sys.stdout.flush()


JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document instead of tables.")]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress bars or notes on stderr.")]
