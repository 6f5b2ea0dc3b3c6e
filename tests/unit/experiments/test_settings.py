"""The experiments' settings are documented fields with their number rules, and a sweep's
``--gen-set``/``--val-set`` gets the same checks (caps included) as the command line."""

from __future__ import annotations

import dataclasses
import typing

import pytest

from boundcheck.config.fields import DOC, rule_of
from boundcheck.experiments.generalization.settings import (
    MAX_EVAL_STEPS,
    MAX_REPETITIONS,
    MAX_TV_SAMPLES,
    GeneralizationConfig,
)
from boundcheck.experiments.sweep.followons import with_settings
from boundcheck.experiments.validate.settings import BoundInputs, ValidateConfig
from boundcheck.inputs import InputError

BASE = GeneralizationConfig(train_sizes=(300,))


@pytest.mark.parametrize("cls", [GeneralizationConfig, ValidateConfig, BoundInputs])
def test_every_field_has_a_doc_and_every_number_a_rule(cls: type) -> None:
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        assert f.metadata.get(DOC), f"{cls.__name__}.{f.name} has no doc"
        kinds = set(typing.get_args(hints[f.name])) | {hints[f.name]}
        if kinds & {int, float, tuple[int, ...]}:
            assert rule_of(f) is not None, f"{cls.__name__}.{f.name} has no number rule"


@pytest.mark.parametrize("pair", [
    f"repetitions={MAX_REPETITIONS + 1}", f"seeds={MAX_REPETITIONS + 1}",
    f"eval_steps={MAX_EVAL_STEPS + 1}", f"tv_samples={MAX_TV_SAMPLES + 1}", "snapshots=1001",
    "kl_min=2", "k=0", "model_max_t=inf", "seed=-1",
])
def test_gen_set_enforces_the_command_lines_rules(pair: str) -> None:
    with pytest.raises(InputError) as caught:
        with_settings(BASE, [pair], "--gen-set")
    assert str(caught.value).startswith("--gen-set: ")


def test_gen_set_reads_old_keys_and_optional_ints_as_ints() -> None:
    got = with_settings(BASE, ["seeds=3", "rollout_length=5", "rollout_batch_size=200"],
                        "--gen-set")
    assert (got.repetitions, got.k, got.rollout_batch_size) == (3, 5, 200)
    assert type(got.k) is int and type(got.rollout_batch_size) is int


def test_val_set_checks_and_types() -> None:
    got = with_settings(ValidateConfig(), ["episodes=20", "k=3"], "--val-set")
    assert (got.episodes, got.k) == (20, 3) and type(got.k) is int
    with pytest.raises(InputError, match="--val-set: confidence"):
        with_settings(ValidateConfig(), ["confidence=1"], "--val-set")
