"""The one check of every user number: finite, integral where meant, in range, one line."""

from __future__ import annotations

import pytest

from boundcheck.inputs import SEED, InputError, NumberRule, check_number


@pytest.mark.parametrize(("value", "rule", "expected"), [
    ("5000", NumberRule(integer=True), 5000),
    ("7e2", NumberRule(integer=True), 700),
    (700.0, NumberRule(integer=True), 700),
    (" 1e-3 ", NumberRule(gt=0), 1e-3),
    (3, NumberRule(), 3.0),
    (0, NumberRule(ge=0, le=1), 0.0),
    (2**64 - 1, SEED, 2**64 - 1),
])
def test_accepted(value: object, rule: NumberRule, expected: float) -> None:
    got = rule.check(value, "--x")
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(("value", "rule", "reason"), [
    ("700.9", NumberRule(integer=True), "not a whole number"),
    (700.9, NumberRule(integer=True), "not a whole number"),
    ("1e999", NumberRule(), "not finite"),
    (float("nan"), NumberRule(), "not finite"),
    (float("-inf"), NumberRule(integer=True), "not finite"),
    (True, NumberRule(integer=True), "got True"),
    (None, NumberRule(), "got None"),
    ("abc", NumberRule(), "got 'abc'"),
    ([1], NumberRule(), "got [1]"),
    (-1, SEED, "must be an integer in [0, 18446744073709551615], got -1"),
    (2**64, SEED, "got 18446744073709551616"),
    (0, NumberRule(gt=0), "must be a finite number > 0, got 0"),
    (1, NumberRule(gt=0, lt=1), "must be a finite number in (0, 1), got 1"),
    (2, NumberRule(le=1.5), "must be a finite number <= 1.5, got 2"),
])
def test_refused_in_one_line_naming_where(value: object, rule: NumberRule, reason: str) -> None:
    with pytest.raises(InputError) as info:
        rule.check(value, "--x")
    assert info.value.where == "--x" and str(info.value).startswith("--x: ")
    assert reason in str(info.value) and "\n" not in str(info.value)


def test_check_number_is_the_rule() -> None:
    assert check_number("3", "k", integer=True, ge=0) == NumberRule(True, ge=0).check("3", "k")
