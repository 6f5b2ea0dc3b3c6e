"""The Ray engine's settings are documented fields with their number rules, checked whatever
builds them (the options of ``boundcheck sweep`` are derived from them)."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from boundcheck.config import ConfigError
from boundcheck.config.fields import DOC, rule_of
from boundcheck.experiments.sweep.analyses import analyse_runs
from boundcheck.experiments.sweep.engine import run_cells, start
from boundcheck.experiments.sweep.settings import EngineConfig


def test_every_field_has_a_doc_and_every_number_a_rule() -> None:
    for f in dataclasses.fields(EngineConfig):
        assert f.metadata.get(DOC), f.name
        assert (rule_of(f) is None) == (f.name == "address"), f.name


def test_the_defaults() -> None:
    engine = EngineConfig()
    assert (engine.address, engine.cpus, engine.cpus_per_run, engine.gpus_per_run,
            engine.max_retries) == (None, None, 1.0, 0.0, 3)
    assert engine.threads == 1 and EngineConfig(cpus_per_run=2.5).threads == 2
    assert EngineConfig(cpus_per_run=0.25).threads == 1  # a share of a core: one thread


@pytest.mark.parametrize(("field", "value"), [
    ("cpus", 0), ("cpus", 1.5), ("cpus_per_run", 0.0), ("cpus_per_run", 4097.0),
    ("cpus_per_run", float("nan")), ("gpus_per_run", -0.5), ("gpus_per_run", 65.0),
    ("max_retries", -1),
])
def test_a_value_outside_its_rule_names_the_field(field: str, value: object) -> None:
    with pytest.raises(ConfigError) as caught:
        EngineConfig(**{field: value})  # type: ignore[arg-type]
    assert caught.value.key == field


def test_the_engine_parameter_is_named_engine() -> None:
    for function in (start, run_cells, analyse_runs):
        assert "engine" in inspect.signature(function).parameters
        assert "settings" not in inspect.signature(function).parameters
