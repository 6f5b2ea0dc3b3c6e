"""User input: the typed error every bad input becomes, and the one check of every number.

Whatever a user supplies — a command-line option, a ``--set key=value``, a key of a
``--config`` file, a value read back from a run's saved ``config.json`` — ends in
:class:`InputError` when it is wrong. ``where`` names what the user can fix: an option
(``"--seed"``), a config key (``"sac.lr"``) or a file path. The command line turns it into one
line on stderr and exit code 2 (:mod:`boundcheck.cli.errors`).

Every number goes through :func:`check_number` (or :meth:`NumberRule.check`), whatever its
source: it must be a real number (a bool is not one), finite, integral where an integer is
meant (``700.9`` is refused, never truncated; ``700.0`` and ``"7e2"`` are 700), and inside its
range. Text (``--set`` values) is parsed by the same function.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Seeds: any integer that numpy's ``SeedSequence`` and a uint64 field can hold.
SEED_MAX = 2**64 - 1


class InputError(ValueError):
    """Bad user input, as one line: ``"<where>: <detail>"``.

    ``where`` is the option, config key or file the user can fix; ``detail`` says what is wrong
    and, for a value, what was given.
    """

    def __init__(self, where: str, detail: str) -> None:
        super().__init__(f"{where}: {detail}")
        self.where = where
        self.detail = detail


@dataclass(frozen=True)
class NumberRule:
    """What a number must be: an integer or not, and its bounds (``None``: unbounded).

    ``ge``/``le`` are inclusive bounds, ``gt``/``lt`` exclusive ones.
    """

    integer: bool = False
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None

    def check(self, value: object, where: str) -> int | float:
        """``value`` as an ``int`` (integer rule) or ``float``; :class:`InputError` if it breaks
        the rule. Strings are parsed (``"1e-3"``, ``"5000"``, ``"7e2"``)."""
        return check_number(value, where, integer=self.integer, ge=self.ge, gt=self.gt,
                            le=self.le, lt=self.lt)

    def describe(self) -> str:
        """E.g. ``"an integer >= 0"``, ``"a finite number in (0, 1)"``."""
        kind = "an integer" if self.integer else "a finite number"
        low = (f"[{_fmt(self.ge)}" if self.ge is not None else
               f"({_fmt(self.gt)}" if self.gt is not None else None)
        high = (f"{_fmt(self.le)}]" if self.le is not None else
                f"{_fmt(self.lt)})" if self.lt is not None else None)
        if low is not None and high is not None:
            return f"{kind} in {low}, {high}"
        if low is not None:
            return f"{kind} {'>=' if low[0] == '[' else '>'} {low[1:]}"
        if high is not None:
            return f"{kind} {'<=' if high[-1] == ']' else '<'} {high[:-1]}"
        return kind


#: Common rules.
SEED = NumberRule(integer=True, ge=0, le=SEED_MAX)
COUNT = NumberRule(integer=True, ge=1)
NON_NEGATIVE_INT = NumberRule(integer=True, ge=0)
NON_NEGATIVE = NumberRule(ge=0)
PROBABILITY_OPEN = NumberRule(gt=0, lt=1)


def check_number(value: object, where: str, *, integer: bool = False,
                 ge: float | None = None, gt: float | None = None,
                 le: float | None = None, lt: float | None = None) -> int | float:
    """Validate one user-supplied number (see the module docstring); returns int or float."""
    rule = NumberRule(integer, ge, gt, le, lt)
    number = _as_number(value, where, rule)
    if integer:
        if isinstance(number, float):
            if not number.is_integer():
                raise InputError(where, f"must be {rule.describe()}, got {value!r} "
                                        "(not a whole number)")
            number = int(number)
    else:
        number = float(number)
    out_of_range = ((ge is not None and number < ge) or (gt is not None and number <= gt)
                    or (le is not None and number > le) or (lt is not None and number >= lt))
    if out_of_range:
        raise InputError(where, f"must be {rule.describe()}, got {value!r}")
    return number


def _as_number(value: object, where: str, rule: NumberRule) -> int | float:
    """A finite int or float from a number or its text; bools, None and the rest refused."""
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed: int | float = int(text)
        except ValueError:
            try:
                parsed = float(text)
            except ValueError:
                raise InputError(where, f"must be {rule.describe()}, got {value!r}") from None
        value_num = parsed
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(where, f"must be {rule.describe()}, got {value!r}")
    else:
        value_num = value
    if isinstance(value_num, float) and not math.isfinite(value_num):
        raise InputError(where, f"must be {rule.describe()}, got {value!r} (not finite)")
    return value_num


def _fmt(bound: float) -> str:
    """A bound as written: 1 rather than 1.0, integers in full, 1e-06 kept short."""
    if isinstance(bound, int) or (float(bound).is_integer() and abs(bound) < 1e16):
        return str(int(bound))
    return f"{bound:g}"
