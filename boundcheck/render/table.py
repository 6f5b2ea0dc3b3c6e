"""Printing a table: rich's layout on a terminal, plain lines in a log or pipe."""

from __future__ import annotations

from rich.console import Console, RenderableType


def print_table(console: Console, table: RenderableType) -> None:
    """Print ``table``; when the console is not a terminal (a log file, a pipe), each line
    loses the padding rich adds up to the console's width, so a piped table reads as plain
    lines rather than rows of 200 columns."""
    if console.is_terminal:
        console.print(table)
        return
    with console.capture() as captured:
        console.print(table)
    lines = [line.rstrip() for line in captured.get().splitlines()]
    console.file.write("\n".join(lines) + "\n")
    console.file.flush()
