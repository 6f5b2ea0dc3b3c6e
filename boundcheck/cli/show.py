"""``boundcheck show PATH``: print a saved result's tables again, as the command that made it did.

PATH is a ``validation.json`` (``boundcheck validate``), a ``results.json``
(``boundcheck measure-generalization``) or the folder holding one; a sweep directory has its own
``boundcheck sweep report DIR``. Nothing is measured or written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from boundcheck.cli.common import bad_input, stdout_console
from boundcheck.cli.errors import naming

#: The result files ``show`` knows, by the command that writes them.
KNOWN = ("validation.json", "results.json")


def command(
    path: Annotated[Path, typer.Argument(
        help="A validation.json, a measure-generalization results.json, or their folder.")],
) -> int:
    """Print a saved validate or measure-generalization result's tables again."""
    from boundcheck.codec import loads
    from boundcheck.experiments.generalization.results import RESULTS_FORMAT, read_results
    from boundcheck.experiments.validate.document import FORMAT, read_validation
    from boundcheck.render.generalization import render_generalization
    from boundcheck.render.validate import render_validation

    file = _result_file(path)
    with naming("PATH"):
        head = loads(file.read_text(encoding="utf-8"), allow_nan=True)
        kind = head.get("format") if isinstance(head, dict) else None
        if kind == FORMAT:
            render_validation(stdout_console(), read_validation(file), {})
        elif kind == RESULTS_FORMAT:
            render_generalization(stdout_console(), read_results(file), {})
        else:
            bad_input("PATH", f"{file} is not a validate or measure-generalization result "
                      f"(format {kind!r})")
    return 0


def _result_file(path: Path) -> Path:
    """The result file at ``path``, or the one in the folder ``path``."""
    if path.is_dir():
        if (path / "sweep.json").is_file():
            bad_input("PATH", f"{path} is a sweep: boundcheck sweep report {path}")
        found = [path / name for name in KNOWN if (path / name).is_file()]
        if not found:
            bad_input("PATH", f"{path} holds no {' or '.join(KNOWN)}")
        return found[0]
    if not path.is_file():
        bad_input("PATH", f"{path}: no such file")
    return path
