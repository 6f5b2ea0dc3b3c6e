"""A sweep file (TOML): base settings plus axes, for grids too long for a command line.

::

    steps = 5000                       # real steps per run (optional: the task's preset)

    [settings]                         # fixed settings of every cell (--set keys)
    "sac.lr" = 3e-4

    [axes]                             # one run per combination
    env = ["InvertedPendulum-v5", "Hopper-v5"]
    algo = ["mbpo", "sac"]
    seed = "0-2"                       # a range, or a list [0, 1, 2]
    "ensemble.hidden_width" = [100, 200]

A key in ``[settings]`` and ``[axes]`` at once, an unknown top-level key or table, or a value
that is not a string, number or boolean is bad input naming the file.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from boundcheck.experiments.sweep.grid import Grid, make_grid, parse_seeds, unique
from boundcheck.inputs import COUNT, InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_TOP = {"steps", "settings", "axes"}


def read_grid_file(path: Path) -> Grid:
    """The grid a sweep file describes (see the module docstring)."""
    where = str(path)
    try:
        doc = tomllib.loads(path.read_text())
    except OSError as exc:
        raise InputError(where, f"cannot be read ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(where, f"is not valid TOML ({exc})") from None
    unknown = sorted(set(doc) - _TOP)
    if unknown:
        raise InputError(where, f"unknown key {unknown[0]!r} (expected: steps, [settings], "
                                "[axes])")
    settings, axes = _table(doc, "settings", where), _table(doc, "axes", where)
    both = sorted(set(settings) & set(axes))
    if both:
        raise InputError(where, f"{both[0]!r} is both a setting and an axis")
    steps = None if "steps" not in doc else int(COUNT.check(doc["steps"], f"{where}: steps"))
    values: list[tuple[str, list[str]]] = []
    for key, value in axes.items():
        if key == "seed" and isinstance(value, str):
            values.append((key, list(parse_seeds(value, f"{where}: axes.seed"))))
        elif isinstance(value, list):
            items = [_scalar(v, f"{where}: axes.{key}") for v in value]
            values.append((key, list(unique(tuple(items), f"{where}: axes.{key}"))))
        else:
            values.append((key, [_scalar(value, f"{where}: axes.{key}")]))
    values += [(key, [_scalar(value, f"{where}: settings.{key}")])
               for key, value in settings.items()]
    return make_grid(values, steps=steps)


def _table(doc: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    table = doc.get(name, {})
    if not isinstance(table, dict):
        raise InputError(where, f"{name} must be a table ([{name}])")
    return table


def _scalar(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise InputError(where, f"must be a string, number or boolean, got {value!r}")
