"""The sweep grid: seeds and value lists parsed, axes vs fixed settings, cells and their names,
and what counts as the same grid or an extension of it."""

from __future__ import annotations

import pytest

from boundcheck.codec import decode, dumps, loads
from boundcheck.experiments.sweep.grid import (
    Grid,
    changed,
    is_extension,
    make_grid,
    parse_seeds,
    split_values,
)
from boundcheck.inputs import InputError


@pytest.mark.parametrize(("text", "seeds"), [
    ("0-4", ("0", "1", "2", "3", "4")), ("3", ("3",)), ("0,2,7", ("0", "2", "7")),
    ("0-1,5", ("0", "1", "5")), (" 2 - 3 ", ("2", "3")),
])
def test_seeds(text: str, seeds: tuple[str, ...]) -> None:
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize(("text", "needle"), [
    ("5-2", "reversed"), ("", "empty"), ("1,,2", "empty"), ("0-2,1", "twice"), ("-1", "seeds"),
    ("x", "seeds"), ("1.5", "whole number"),
])
def test_bad_seeds_name_the_field(text: str, needle: str) -> None:
    with pytest.raises(InputError, match=needle) as info:
        parse_seeds(text)
    assert info.value.where == "seeds"


def test_values_are_split_and_checked() -> None:
    assert split_values("mbpo, sac", "algo") == ("mbpo", "sac")
    with pytest.raises(InputError, match="twice"):
        split_values("mbpo,mbpo", "algo")


def test_several_values_make_an_axis_one_value_a_fixed_setting() -> None:
    grid = make_grid([("env", ["Hopper-v5"]), ("seed", ["0", "1"]), ("sac.lr", ["1e-3"]),
                      ("ensemble.hidden_width", ["100", "200"])], steps=5000)
    assert [a.key for a in grid.axes] == ["env", "seed", "ensemble.hidden_width"]
    assert grid.fixed == (("sac.lr", "1e-3"),)
    names = [c.name for c in grid.cells()]
    assert names == ["Hopper-v5_seed0_ensemble.hidden_width=100",
                     "Hopper-v5_seed0_ensemble.hidden_width=200",
                     "Hopper-v5_seed1_ensemble.hidden_width=100",
                     "Hopper-v5_seed1_ensemble.hidden_width=200"]
    assert decode(Grid, loads(dumps(grid))) == grid


def test_a_key_given_twice_is_refused() -> None:
    with pytest.raises(InputError, match="twice"):
        make_grid([("seed", ["0"]), ("seed", ["1"])])


def test_the_same_grid_an_extension_and_a_change() -> None:
    old = make_grid([("env", ["Pendulum-v1"]), ("seed", ["0", "1"])], steps=400)
    assert changed(old, old) == []
    more = make_grid([("env", ["Pendulum-v1"]), ("seed", ["0", "1", "2"])], steps=400)
    assert changed(old, more) == ["axis seed: ['0', '1'] -> ['0', '1', '2']"]
    assert is_extension(old, more) and not is_extension(more, old)
    longer = make_grid([("env", ["Pendulum-v1"]), ("seed", ["0", "1"])], steps=800)
    # More steps lengthen every cell (each run resumed); fewer would cut finished runs short.
    assert changed(old, longer) == ["steps 400 -> 800"] and is_extension(old, longer)
    assert not is_extension(longer, old)
    unset = make_grid([("env", ["Pendulum-v1"]), ("seed", ["0", "1"])], steps=None)
    assert not is_extension(unset, longer)  # the presets' own steps: nothing to compare
