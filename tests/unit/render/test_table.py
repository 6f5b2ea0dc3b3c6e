"""Tables in a log or pipe read as plain lines (no padding to the console's width)."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from boundcheck.render.table import print_table


def _table() -> Table:
    table = Table(title="t", expand=True, box=None)  # stretched to the console's width
    table.add_column("key")
    table.add_column("meaning", ratio=1)
    table.add_row("a", "short")
    table.add_row("b", "a somewhat longer meaning")
    return table


def test_a_piped_table_has_no_trailing_padding() -> None:
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=False)
    print_table(console, _table())
    lines = out.getvalue().splitlines()
    assert any("a somewhat longer meaning" in line for line in lines)
    assert all(line == line.rstrip() for line in lines)
    assert next(line for line in lines if "short" in line).endswith("short")


def test_a_terminal_table_is_rich_layout() -> None:
    out = io.StringIO()
    console = Console(file=out, width=80, force_terminal=True, color_system=None)
    print_table(console, _table())
    assert [len(line) for line in out.getvalue().splitlines() if "short" in line] == [80]
