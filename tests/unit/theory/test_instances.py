"""Instance files: validation names the field; round trip; the generator's ranges."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from boundcheck.theory.instances import (
    InstanceError,
    instance_to_dict,
    load_instance,
    parse_instance,
    random_instance,
)


def good() -> dict:
    return instance_to_dict(random_instance(np.random.default_rng(0)))


def test_round_trip(tmp_path: Path) -> None:
    doc = good()
    path = tmp_path / "i.json"
    path.write_text(json.dumps(doc))
    m = load_instance(path)
    assert instance_to_dict(m) == doc


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.pop("P"), "P"),
        (lambda d: d.update(gamma=1.0), "gamma"),
        (lambda d: d.update(gamma="x"), "gamma"),
        (lambda d: d.update(k=-1), "k"),
        (lambda d: d.update(k=1.5), "k"),
        (lambda d: d.update(mu0=d["mu0"][:-1]), "mu0"),
        (lambda d: d.update(r=[[1.0]]), "r"),
        (lambda d: d["pi"][0].__setitem__(0, d["pi"][0][0] + 0.5), "pi"),
        (lambda d: d["P_model"][0][0].__setitem__(0, -0.1), "P_model"),
        (lambda d: d.update(pi_data="abc"), "pi_data"),
        (lambda d: d.update(P=[[[float("nan")]]]), "P"),
    ],
)
def test_validation_names_the_field(mutate, field: str) -> None:
    doc = good()
    mutate(doc)
    with pytest.raises(InstanceError) as info:
        parse_instance(doc)
    assert info.value.field == field


def test_not_an_object_or_json(tmp_path: Path) -> None:
    with pytest.raises(InstanceError):
        parse_instance([1, 2])
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InstanceError, match="not valid JSON"):
        load_instance(bad)
    with pytest.raises(InstanceError, match="cannot read"):
        load_instance(tmp_path / "missing.json")


def test_generator_ranges() -> None:
    for s in range(50):
        m = random_instance(np.random.default_rng(s))
        assert 2 <= m.num_states <= 10 and 2 <= m.num_actions <= 4
        parse_instance(instance_to_dict(m))  # always valid
