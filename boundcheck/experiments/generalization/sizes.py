"""Parsing lists of training-set sizes (``--train-size 5k,60k``) for the model-generalization
experiment (paper Section 4.3; docs/paper.md, "The model-generalization experiment": the
paper's sizes run from 5k to 60k transitions).

Grammar of one item: a decimal number with an optional suffix ``k`` / ``K`` (thousand) or ``M``
(million), e.g. ``5000``, ``5k``, ``1.5k``, ``1M``. The value must be a whole number of
transitions (``1.2345k`` is refused), at least 1 and at most :data:`MAX_TRAIN_SIZE`. Items are
separated by commas; surrounding spaces are ignored; empty items and repeated sizes are errors.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

#: Largest accepted training-set size: the replay capacity of every paper configuration (1M).
MAX_TRAIN_SIZE = 1_000_000

_ITEM = re.compile(r"(?P<number>[0-9]+(?:\.[0-9]+)?)(?P<suffix>[kKM]?)")
_MULTIPLIER = {"": 1, "k": 1_000, "K": 1_000, "M": 1_000_000}


def parse_size(item: str, *, cap: int = MAX_TRAIN_SIZE) -> int:
    """One size: ``"5k"`` -> 5000. Raises ``ValueError`` with a one-line message."""
    text = item.strip()
    if not text:
        raise ValueError("empty size")
    match = _ITEM.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a size (use e.g. 5000, 5k, 1.5k or 1M)")
    try:
        value = Decimal(match["number"]) * _MULTIPLIER[match["suffix"]]
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise ValueError(f"{text!r} is not a size") from None
    if value != value.to_integral_value():
        raise ValueError(f"{text!r} is not a whole number of transitions ({value})")
    size = int(value)
    if size < 1:
        raise ValueError(f"{text!r}: a size must be at least 1")
    if size > cap:
        raise ValueError(f"{text!r} = {size} exceeds the cap of {cap} transitions")
    return size


def parse_sizes(text: str, *, cap: int = MAX_TRAIN_SIZE) -> list[int]:
    """``"5k,60k"`` -> ``[5000, 60000]``, in the order given.

    Raises ``ValueError`` (a one-line message naming the offending item) for an empty list or
    item, a malformed item, a non-integer, a size below 1 or above ``cap``, or a repeated size.
    """
    if not text.strip():
        raise ValueError("no sizes given (e.g. 5k,60k)")
    sizes: list[int] = []
    for position, item in enumerate(text.split(","), start=1):
        if not item.strip():
            raise ValueError(f"item {position} of {text!r} is empty")
        size = parse_size(item, cap=cap)
        if size in sizes:
            raise ValueError(f"size {size} is given twice in {text!r}")
        sizes.append(size)
    return sizes
