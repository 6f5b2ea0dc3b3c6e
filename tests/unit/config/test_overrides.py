"""The one override engine (``--set``, ``--gen-set``, ``--val-set``, config files): each value is
read by its field's declared type, never by the value the field holds now."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import pytest

from boundcheck.config import BASE, ConfigError, apply_overrides, parse_pairs
from boundcheck.config.fields import check_fields, setting
from boundcheck.inputs import COUNT, InputError, NumberRule


class Colour(str, enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclass(frozen=True)
class Example:
    count: int | None = setting(None, "An optional count.", COUNT, aliases=("old_count",))
    scale: float | None = setting(None, "An optional scale.", NumberRule(gt=0))
    flag: bool = setting(False, "A switch.")
    name: str = setting("a", "A name.")
    sizes: tuple[int, ...] = setting((1, 2), "Sizes.", COUNT)
    colour: Colour = setting(Colour.RED, "A colour.")  # noqa: RUF009 - a dataclasses.field

    def __post_init__(self) -> None:
        check_fields(self)


def test_an_optional_int_that_is_none_now_takes_an_int() -> None:
    got = apply_overrides(Example(), {"count": "5"})
    assert got.count == 5 and type(got.count) is int  # was 5.0: typed by the current None


def test_an_optional_int_refuses_a_fraction_and_takes_none() -> None:
    with pytest.raises(ConfigError, match="count"):
        apply_overrides(Example(), {"count": "5.5"})
    assert apply_overrides(Example(count=3), {"count": "none"}).count is None


@pytest.mark.parametrize(("key", "text", "value"), [
    ("scale", "1e-3", 1e-3), ("flag", "yes", True), ("flag", "0", False), ("name", "b", "b"),
    ("sizes", "3,4,5", (3, 4, 5)), ("colour", "blue", Colour.BLUE),
    ("old_count", "7", 7),
])
def test_each_type_is_read_by_the_field(key: str, text: str, value: object) -> None:
    got = apply_overrides(Example(), {key: text})
    assert getattr(got, "count" if key == "old_count" else key) == value


@pytest.mark.parametrize(("key", "text"), [
    ("count", "0"), ("scale", "-1"), ("sizes", "1,0"), ("colour", "green"), ("flag", "maybe"),
    ("nothing", "1"),
])
def test_a_bad_value_or_key_is_refused_naming_the_key(key: str, text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        apply_overrides(Example(), {key: text})
    assert key in str(caught.value)


def test_train_config_keys_still_work() -> None:
    got = apply_overrides(BASE, {"sac.target_entropy": "-3", "ensemble.weight_decay": "1,1,1,1,1"})
    assert got.sac.target_entropy == -3.0 and got.ensemble.weight_decay == (1.0,) * 5


def test_pairs_need_a_key_and_an_equals_sign() -> None:
    assert parse_pairs(["a=1", " b = x"], "--set") == {"a": "1", "b": " x"}
    with pytest.raises(InputError, match="--gen-set"):
        parse_pairs(["novalue"], "--gen-set")
