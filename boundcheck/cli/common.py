"""What every command shares: bad input, number and output-path checks, JSON output, consoles
(the shared options: :mod:`boundcheck.cli.options`).

Errors become exit codes in one place, :mod:`boundcheck.cli.errors`.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from boundcheck.codec import dumps
from boundcheck.inputs import InputError, NumberRule

FIGURE_TYPES = (".png", ".pdf", ".svg")
#: ``--threads``: torch CPU threads.
THREADS = NumberRule(integer=True, ge=1, le=4096)

def bad_input(option: str, message: str) -> NoReturn:
    """Raise :class:`~boundcheck.inputs.InputError` for ``option`` (exit 2, one line)."""
    raise InputError(option, message)


def check_numbers(values: dict[str, tuple[Any, NumberRule]]) -> None:
    """Check each given ``option: (value, rule)`` (``None``: not given) with the one number
    check every user number goes through (:func:`boundcheck.inputs.check_number`)."""
    for option, (value, rule) in values.items():
        if value is not None:
            rule.check(value, option)


def ensure_dir(option: str, path: Path) -> Path:
    """Create the output folder ``path`` (bad input if it is a file or cannot be created)."""
    if path.exists() and not path.is_dir():
        bad_input(option, f"{path} exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        bad_input(option, f"cannot create {path}: {exc.strerror}")
    check_writable(option, path)
    return path


def check_writable(option: str, path: Path) -> None:
    """Bad input unless a file can be created in ``path`` or, if it does not exist yet, in its
    nearest existing ancestor (which must be a folder). Writes nothing that stays: the probe is
    an anonymous temporary file."""
    folder = path
    while not folder.exists() and folder != folder.parent:
        if folder.is_symlink():
            bad_input(option, f"{folder} is a broken link")
        folder = folder.parent
    if not folder.is_dir():
        bad_input(option, f"cannot write under {path}: {folder} is not a folder")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        bad_input(option, f"cannot write in {folder}: {exc.strerror or exc}")


def check_figure_path(option: str, path: Path) -> None:
    """A figure file to write: a known type, not a folder, in a writable place."""
    if path.suffix.lower() not in FIGURE_TYPES:
        bad_input(option, f"unsupported figure type {path.suffix!r} (use .png, .pdf or .svg)")
    if path.is_dir():
        bad_input(option, f"{path} is a folder, not a figure file")
    check_writable(option, path.parent)


def torch_device(device: str, threads: int | None) -> Any:
    """Set torch's CPU threads (if given) and resolve ``--device`` (auto, cpu, cuda)."""
    import torch

    from boundcheck.config import ConfigError
    from boundcheck.mbpo.setup import resolve_device

    check_numbers({"--threads": (threads, THREADS)})
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return resolve_device(device)
    except ConfigError as exc:
        bad_input("--device", str(exc))


def prepare_out(out_dir: Path, results_file: str, force: bool) -> Path:
    """Check ``--out`` before any work, creating nothing yet (the writers do, once there are
    results): refuse to replace an existing ``results_file`` without ``--force``, a file in
    the folder's place, and a place where nothing can be written."""
    if (out_dir / results_file).exists() and not force:
        bad_input("--out", f"{out_dir} already holds {results_file}; pass --force to replace it")
    if out_dir.exists() and not out_dir.is_dir():
        bad_input("--out", f"{out_dir} exists and is not a folder")
    check_writable("--out", out_dir)
    return out_dir


#: With no terminal (a log file): at most one progress line per LOG_MIN_S seconds on a new
#: phase, so a model fit's epochs do not flood the log (and one at least every 30 s).
LOG_MIN_S = 5.0


@contextmanager
def phase_progress(column: str, disabled: bool) -> Iterator[Callable[[dict[str, Any]], None]]:
    """A progress bar driven by ``{"description", "completed", "total"}`` reports.

    When stderr is not a terminal (output to a log file) the bar is not drawn until the end,
    so a line is printed at a new description (at most one per :data:`LOG_MIN_S` seconds) and
    at least every 30 seconds instead (:class:`~boundcheck.render.progress.LogLines`), with the
    share done, the time elapsed and, once the rate is known, the time left.
    """
    from boundcheck.render.progress import LogLines, clock

    progress = progress_bar(column, disabled=disabled)
    lines = None if disabled or progress.console.is_terminal else LogLines(min_s=LOG_MIN_S)
    # In a log the lines say everything; the bar's final state would repeat the last one.
    progress.live.transient = lines is not None
    with progress:
        task = progress.add_task("starting", total=1.0)

        def report(info: dict[str, Any]) -> None:
            progress.update(task, description=info["description"], completed=info["completed"],
                            total=info["total"])
            if lines is not None and lines.due(info["description"]):
                share = info["completed"] / info["total"] if info["total"] else 0.0
                state = progress.tasks[0]
                eta = state.time_remaining
                timing = f", {clock(state.elapsed or 0.0)} elapsed" + (
                    f", about {clock(eta)} left" if eta is not None and share > 0 else "")
                progress.console.print(f"{info['description']} ({share:.0%}{timing})",
                                       highlight=False, soft_wrap=True)

        yield report


def progress_bar(*columns: str, disabled: bool, transient: bool = False) -> Progress:
    """The commands' progress bar on stderr: description, bar, ``columns`` (rich text-column
    templates such as ``"{task.completed}/{task.total} steps"``), elapsed time and ETA."""
    return Progress(TextColumn("{task.description}"), BarColumn(),
                    *(TextColumn(c) for c in columns), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=stderr_console(), disable=disabled,
                    transient=transient, refresh_per_second=4)


#: Width of the output when it goes to a file or pipe: rich would otherwise lay it out for 80
#: columns and break formulas, paths and tables mid-line; a log reads as plain full lines.
LOG_WIDTH = 200


def _console(*, stderr: bool) -> Console:
    console = Console(stderr=stderr)
    if console.is_terminal:
        return console
    return Console(stderr=stderr, width=LOG_WIDTH, soft_wrap=True)


def stdout_console() -> Console:
    """A console for tables on stdout (made per command: no module-level consoles); full lines
    when the output is not a terminal (:data:`LOG_WIDTH`)."""
    return _console(stderr=False)


def stderr_console() -> Console:
    """A console for progress bars and notes on stderr, so ``--json`` stdout stays clean; full
    lines when stderr is not a terminal."""
    return _console(stderr=True)


def emit_json(doc: dict[str, Any]) -> None:
    """Print exactly one JSON document on stdout (non-finite floats become null)."""
    sys.stdout.write(dumps(doc, indent=2) + "\n")
    sys.stdout.flush()
