"""A sweep's grid: the product of its axes, one training run (a *cell*) per combination.

An axis is ``env``, ``algo``, ``seed`` or any ``--set`` key of the trainer (``sac.lr``), with
one or more values; a key given one value is a fixed setting of every cell rather than an
axis. Cells are ordered as the product of the axes in the order given (the first axis varies
slowest) and named by their axis values, which names their run directories:
``Hopper-v5_mbpo_seed0_sac.lr=0.001``.

A sweep file (TOML, :func:`read_grid_file`) gives base settings plus axes, for grids too long
for a command line::

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

import itertools
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boundcheck.inputs import COUNT, SEED, InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: Axes with their own option (and a short form in cell names); every other key is a setting.
NAMED_AXES = ("env", "algo", "seed")
_RANGE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")
_SAFE = re.compile(r"[^A-Za-z0-9._=+-]")


def parse_seeds(text: str, where: str = "seeds") -> tuple[str, ...]:
    """``"0-4"`` (inclusive), ``"0,3,7"`` or ``"5"`` as seed strings; an empty or reversed range,
    a repeated or negative seed: :class:`InputError` naming ``where``."""
    seeds: list[int] = []
    for item in (part for part in text.split(",")):
        match = _RANGE.match(item)
        if match:
            low, high = int(match.group(1)), int(match.group(2))
            if high < low:
                raise InputError(where, f"range {item.strip()!r} is reversed (write {low}-"
                                        f"{high} as {high}-{low})")
            seeds += range(low, high + 1)
        elif item.strip():
            seeds.append(int(SEED.check(item, where)))
        else:
            raise InputError(where, f"empty item in {text!r}")
    return unique(tuple(str(s) for s in seeds), where)


def split_values(text: str, where: str) -> tuple[str, ...]:
    """``"a,b,c"`` as its values (none empty, none repeated)."""
    values = tuple(v.strip() for v in text.split(","))
    if any(not v for v in values):
        raise InputError(where, f"empty value in {text!r}")
    return unique(values, where)


def unique(values: tuple[str, ...], where: str) -> tuple[str, ...]:
    """``values`` if none is repeated, else :class:`InputError` naming ``where``."""
    seen = [v for i, v in enumerate(values) if v in values[:i]]
    if seen:
        raise InputError(where, f"value {seen[0]!r} is listed twice")
    return values


@dataclass(frozen=True)
class Axis:
    """One key and the values it takes across the grid."""

    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Cell:
    """One run of the grid: its value for every axis, in the grid's axis order."""

    values: tuple[tuple[str, str], ...]

    def value(self, key: str) -> str | None:
        """This cell's value of ``key`` (None if ``key`` is not an axis)."""
        return dict(self.values).get(key)

    @property
    def name(self) -> str:
        """The run directory's name: the axis values, ``seed`` as ``seed0``, settings as
        ``key=value``, joined by ``_``."""
        parts = []
        for key, value in self.values:
            part = value if key in ("env", "algo") else f"seed{value}" if key == "seed" \
                else f"{key}={value}"
            parts.append(_SAFE.sub("-", part))
        return "_".join(parts) or "run"


@dataclass(frozen=True)
class Grid:
    """Fixed settings (``--set`` keys with one value, plus ``steps``) and the axes."""

    axes: tuple[Axis, ...]
    fixed: tuple[tuple[str, str], ...] = ()
    steps: int | None = None

    def cells(self) -> list[Cell]:
        """Every combination of the axes' values, the first axis varying slowest."""
        keys = [a.key for a in self.axes]
        return [Cell(tuple(zip(keys, combo, strict=True)))
                for combo in itertools.product(*(a.values for a in self.axes))]

    def __json_encode__(self) -> dict[str, object]:
        """The grid as sweep.json records it (:mod:`boundcheck.codec`)."""
        return {"axes": {a.key: list(a.values) for a in self.axes},
                "fixed": dict(self.fixed), "steps": self.steps}

    @classmethod
    def __json_decode__(cls, doc: Mapping[str, object]) -> Grid:
        """The inverse of :meth:`__json_encode__`."""
        axes = doc.get("axes", {})
        fixed = doc.get("fixed", {})
        steps = doc.get("steps")
        if not isinstance(axes, Mapping) or not isinstance(fixed, Mapping):
            raise TypeError("axes and fixed must be objects")
        return Grid(axes=tuple(Axis(str(k), tuple(str(v) for v in vs)) for k, vs in axes.items()),
                    fixed=tuple((str(k), str(v)) for k, v in fixed.items()),
                    steps=None if steps is None else int(str(steps)))


def make_grid(values: Sequence[tuple[str, Sequence[str]]], steps: int | None = None) -> Grid:
    """A grid from ``(key, values)`` pairs in order: several values make an axis, one value a
    fixed setting (``env``, ``algo`` and ``seed`` are always axes, so that they name the cells).
    A key given twice: :class:`InputError`."""
    keys = [k for k, _ in values]
    twice = [k for i, k in enumerate(keys) if k in keys[:i]]
    if twice:
        raise InputError("axes", f"{twice[0]!r} is given twice")
    axes, fixed = [], []
    for key, vals in values:
        if not vals:
            raise InputError(key, "has no value")
        if len(vals) > 1 or key in NAMED_AXES:
            axes.append(Axis(key, tuple(vals)))
        else:
            fixed.append((key, vals[0]))
    return Grid(axes=tuple(axes), fixed=tuple(fixed), steps=steps)


def changed(old: Grid, new: Grid) -> list[str]:
    """What differs between two grids, in words (empty: the same grid). A new grid that only
    adds values to existing axes is an *extension* (:func:`is_extension`)."""
    out = []
    if old.steps != new.steps:
        out.append(f"steps {old.steps} -> {new.steps}")
    if dict(old.fixed) != dict(new.fixed):
        out.append(f"fixed settings {dict(old.fixed)} -> {dict(new.fixed)}")
    old_axes = {a.key: a.values for a in old.axes}
    new_axes = {a.key: a.values for a in new.axes}
    for key in dict.fromkeys([*old_axes, *new_axes]):
        if old_axes.get(key) != new_axes.get(key):
            out.append(f"axis {key}: {list(old_axes.get(key, ()))} -> "
                       f"{list(new_axes.get(key, ()))}")
    return out


def is_extension(old: Grid, new: Grid) -> bool:
    """Whether ``new`` keeps every cell of ``old`` (same fixed settings and axes in the same
    order, each axis keeping its old values) and at least its steps (more steps lengthen
    every cell, each run resumed as ``train --resume --steps`` does)."""
    same_steps = old.steps == new.steps
    longer = old.steps is not None and new.steps is not None and new.steps > old.steps
    if not (same_steps or longer) or dict(old.fixed) != dict(new.fixed):
        return False
    if [a.key for a in old.axes] != [a.key for a in new.axes]:
        return False
    return all(set(a.values) <= set(b.values) for a, b in zip(old.axes, new.axes, strict=True))


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
