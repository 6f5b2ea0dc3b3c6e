"""What every command shares: the error type, exit codes, JSON output and consoles."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


def check_min(values: dict[str, tuple[int | None, int]]) -> None:
    """Bad input for the first ``option: (value, minimum)`` whose given value is too small."""
    for option, (value, minimum) in values.items():
        if value is not None and value < minimum:
            bad_input(option, f"must be >= {minimum}, got {value}")


def torch_device(device: str, threads: int | None) -> Any:
    """Set torch's CPU threads (if given) and resolve ``--device`` (auto, cpu, cuda)."""
    import torch

    from boundcheck.config import ConfigError
    from boundcheck.mbpo.setup import resolve_device

    check_min({"--threads": (threads, 1)})
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return resolve_device(device)
    except ConfigError as exc:
        bad_input("--device", str(exc))


def prepare_out(out_dir: Path, results_file: str, force: bool) -> Path:
    """Create ``--out``; refuse to replace an existing ``results_file`` without ``--force``."""
    if (out_dir / results_file).exists() and not force:
        bad_input("--out", f"{out_dir} already holds {results_file}; pass --force to replace it")
    return ensure_dir("--out", out_dir)


@contextmanager
def phase_progress(column: str, disabled: bool) -> Iterator[Callable[[dict[str, Any]], None]]:
    """A progress bar driven by ``{"description", "completed", "total"}`` reports."""
    progress = progress_bar(column, disabled=disabled)
    with progress:
        task = progress.add_task("starting", total=1.0)

        def report(info: dict[str, Any]) -> None:
            progress.update(task, description=info["description"], completed=info["completed"],
                            total=info["total"])

        yield report


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
DeviceOption = Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")]
ThreadsOption = Annotated[int | None, typer.Option(
    "--threads", help="torch CPU threads (default: torch's choice).")]
ReplaceOption = Annotated[bool, typer.Option(
    "--force", help="Replace the results in an existing --out.")]


def opt(name: str, text: str) -> Any:
    """A typer option with its help text (for ``Annotated[...]`` parameters)."""
    return typer.Option(name, help=text)

