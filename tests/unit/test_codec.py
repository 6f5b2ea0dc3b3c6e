"""The one JSON codec (boundcheck/codec.py): strict on writing and on reading, typed both ways."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from boundcheck.codec import JsonFileError, decode, dumps, encode, json_meta, loads


class Colour(str, enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclass(frozen=True)
class Inner:
    mean: float
    n: int
    note: str | None = None


@dataclass(frozen=True)
class Other:
    error: str


@dataclass(frozen=True)
class Outer:
    inner: Inner
    values: tuple[float, ...]
    colour: Colour
    fit: Inner | Other
    by_name: dict[str, int]
    optional: float | None = None
    renamed: float = field(default=0.0, metadata=json_meta(key="holdout_mse",
                                                           aliases=("val_loss",)))
    hidden: int = field(default=3, metadata=json_meta(skip=True))


def test_a_dataclass_round_trips_with_non_finite_numbers_as_null() -> None:
    doc = Outer(Inner(math.nan, 2), (1.0, math.inf, -2.5), Colour.BLUE, Other("too few"),
                {"a": 1}, None, 0.5, hidden=7)
    text = dumps(doc, indent=2)
    parsed = loads(text)
    assert parsed["inner"] == {"mean": None, "n": 2, "note": None}
    assert parsed["values"] == [1.0, None, -2.5] and parsed["colour"] == "blue"
    assert parsed["holdout_mse"] == 0.5 and "hidden" not in parsed
    back = decode(Outer, parsed)
    assert math.isnan(back.inner.mean) and back.fit == Other("too few")
    assert back.values[0] == 1.0 and math.isnan(back.values[1]) and back.hidden == 3
    assert back.colour is Colour.BLUE and back.optional is None and back.renamed == 0.5


def test_old_key_names_are_read() -> None:
    obj = {"inner": {"mean": 1, "n": 1}, "values": [], "colour": "red",
           "fit": {"mean": 0.1, "n": 3}, "by_name": {}, "val_loss": 2.0}
    back = decode(Outer, obj)
    assert back.renamed == 2.0 and back.fit == Inner(0.1, 3)


def test_numpy_and_paths_encode_as_plain_values() -> None:
    assert encode({"a": np.float32(1.5), "b": np.arange(3), "c": Path("x/y"),
                   "d": np.float64("nan")}) == {"a": 1.5, "b": [0, 1, 2], "c": "x/y", "d": None}


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}'])
def test_the_strict_parser_refuses_non_standard_constants(text: str) -> None:
    with pytest.raises(ValueError, match="is not JSON"):
        loads(text)


def test_old_files_with_non_standard_constants_are_read_when_allowed() -> None:
    parsed = loads('{"a": NaN, "b": [Infinity, -Infinity]}', allow_nan=True)
    assert math.isnan(parsed["a"]) and parsed["b"] == [math.inf, -math.inf]
    assert math.isnan(decode(Inner, {"mean": parsed["a"], "n": 1}).mean)


@pytest.mark.parametrize(("obj", "needle"), [
    ({"inner": {"mean": "x", "n": 1}}, "$.inner.mean: expected a number"),
    ({"inner": {"mean": 1.0, "n": 1.5}}, "$.inner.n: expected an integer"),
    ({"inner": {"mean": 1.0}}, "missing key 'n'"),
    ([], "expected an object"),
])
def test_a_document_of_the_wrong_shape_names_the_key(obj: object, needle: str) -> None:
    with pytest.raises(JsonFileError, match=needle.replace("$", r"\$").replace(".", r"\.")):
        decode(Outer, obj)


@dataclass(frozen=True)
class MaybeStop:
    n: int
    stop: str | None = field(default=None, metadata=json_meta(omit_none=True))


def test_omit_none_leaves_the_key_out_only_while_none() -> None:
    assert encode(MaybeStop(1)) == {"n": 1}
    assert encode(MaybeStop(1, "cap")) == {"n": 1, "stop": "cap"}
    assert decode(MaybeStop, {"n": 1}) == MaybeStop(1)
    assert decode(MaybeStop, {"n": 1, "stop": None}) == MaybeStop(1)


@dataclass(frozen=True)
class Flat:
    inner: Inner
    extra: int

    def __json_encode__(self) -> dict[str, object]:
        return {**encode(self.inner), "extra": self.extra}

    @classmethod
    def __json_decode__(cls, obj: dict[str, object]) -> Flat:
        return cls(decode(Inner, obj), decode(int, obj["extra"], "$.extra"))


def test_a_custom_form_round_trips_and_its_errors_name_the_whole_path() -> None:
    flat = Flat(Inner(1.5, 2), 3)
    assert encode(flat) == {"mean": 1.5, "n": 2, "note": None, "extra": 3}
    assert decode(list[Flat], [encode(flat)]) == [flat]
    with pytest.raises(JsonFileError, match=r"\$\[0\]\.extra: expected an integer"):
        decode(list[Flat], [{"mean": 1.5, "n": 2, "extra": "x"}])
    with pytest.raises(JsonFileError, match=r"\$\[0\]: expected Flat.*'extra'"):
        decode(list[Flat], [{"mean": 1.5, "n": 2}])
