"""The training-set size parser of ``measure-generalization --train-size``."""

from __future__ import annotations

import pytest

from boundcheck.experiments.generalization.settings import MAX_TRAIN_SIZE, parse_size, parse_sizes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5k,60k", [5000, 60000]),
        ("5000,60000", [5000, 60000]),
        ("1.5k", [1500]),
        ("1M", [1_000_000]),
        (" 5K , 2 ", [5000, 2]),
        ("60k,5k", [60000, 5000]),
        ("0.5k", [500]),
        ("1.234k", [1234]),
    ],
)
def test_good_sizes(text: str, expected: list[int]) -> None:
    assert parse_sizes(text) == expected


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("abc", "not a size"),
        ("0", "at least 1"),
        ("0k", "at least 1"),
        ("-5k", "not a size"),
        ("5k,,60k", "item 2"),
        ("5k,", "item 2"),
        ("", "no sizes"),
        ("   ", "no sizes"),
        ("1.2345k", "whole number"),
        ("2.5", "whole number"),
        ("1.5M5", "not a size"),
        ("2M", "exceeds the cap"),
        ("1000001", "exceeds the cap"),
        ("5k,5000", "twice"),
        ("1e3", "not a size"),
        ("5 k", "not a size"),
        ("5m", "not a size"),
    ],
)
def test_bad_sizes(text: str, needle: str) -> None:
    with pytest.raises(ValueError, match=needle) as info:
        parse_sizes(text)
    assert "\n" not in str(info.value)


def test_cap_is_inclusive_and_configurable() -> None:
    assert parse_size("1M") == MAX_TRAIN_SIZE
    assert parse_sizes("10,20", cap=20) == [10, 20]
    with pytest.raises(ValueError, match="cap of 15"):
        parse_sizes("10,20", cap=15)
