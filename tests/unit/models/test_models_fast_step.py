"""The functional (compilable) training step against the eager autograd step, and its choice."""

from __future__ import annotations

import pytest
import torch

from boundcheck.config import AUTO_COMPILE_MODEL_ROWS, BASE, ConfigError, apply_overrides
from boundcheck.models import (
    FunctionalTrainStep,
    fast_step,
    make_optimizer,
    make_train_step,
    train_ensemble,
)
from boundcheck.models.trainer import train_step

from .support import ACT_DIM, OBS_DIM, small_config


def _data(rows: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(rows, OBS_DIM + ACT_DIM, generator=gen)
    y = torch.tanh(x @ torch.randn(OBS_DIM + ACT_DIM, 1 + OBS_DIM, generator=gen))
    return x, y + 0.1 * torch.randn(rows, 1 + OBS_DIM, generator=gen)


@torch.no_grad()
def _max_param_gap(a: torch.nn.Module, b: torch.nn.Module) -> float:
    return max(float((p - q).abs().max()) for p, q in zip(a.parameters(), b.parameters(),
                                                          strict=True))


def test_a_full_batch_step_matches_autograd(make_model, monkeypatch) -> None:
    config = small_config(batch_size=16)
    rows = 16
    eager, functional = make_model(3, config), make_model(3, config)
    gap_before = _max_param_gap(eager, functional)
    x = torch.randn(config.num_members, rows, OBS_DIM + ACT_DIM,
                    generator=torch.Generator().manual_seed(1))
    y = torch.randn(config.num_members, rows, 1 + OBS_DIM,
                    generator=torch.Generator().manual_seed(2))
    step = FunctionalTrainStep(compile=False)
    opt_e, opt_f = make_optimizer(eager, config), make_optimizer(functional, config)
    for _ in range(3):
        loss_e = train_step(eager, opt_e, x, y, config)
        # A full batch must take the functional path, never the eager fallback.
        monkeypatch.setattr(fast_step, "train_step", _must_not_run)
        loss_f = step(functional, opt_f, x, y, config)
        monkeypatch.undo()
        assert float(loss_f) == pytest.approx(float(loss_e), rel=1e-5, abs=1e-5)
    assert gap_before == 0.0
    assert _max_param_gap(eager, functional) < 1e-5
    # The step moved the weights (the comparison above is not between two untouched models).
    assert _max_param_gap(eager, make_model(3, config)) > 1e-4


def _must_not_run(*args: object) -> torch.Tensor:
    raise AssertionError("the eager fallback ran on a full batch")


def test_a_partial_batch_falls_back_to_the_eager_step(make_model, monkeypatch) -> None:
    config = small_config(batch_size=16)
    model = make_model(0, config)
    calls: list[int] = []

    def spy(model, optimizer, x, y, config):  # type: ignore[no-untyped-def]
        calls.append(x.shape[1])
        return train_step(model, optimizer, x, y, config)

    monkeypatch.setattr(fast_step, "train_step", spy)
    x = torch.randn(config.num_members, 7, OBS_DIM + ACT_DIM)
    y = torch.randn(config.num_members, 7, 1 + OBS_DIM)
    FunctionalTrainStep(compile=False)(model, make_optimizer(model, config), x, y, config)
    assert calls == [7]


def test_training_with_the_functional_step_matches_eager_training(make_model) -> None:
    config = small_config(batch_size=32)
    x, y = _data(300, seed=4)  # 240 training rows: 7 full batches and one of 16 per epoch
    runs = []
    for step in (None, FunctionalTrainStep(compile=False)):
        model = make_model(5, config)
        metrics = train_ensemble(model, x, y, config, torch.Generator().manual_seed(6),
                                 max_epochs=8, step=step)
        runs.append((model, metrics))
    (m_e, r_e), (m_f, r_f) = runs
    assert r_f["epochs"] == r_e["epochs"] and r_f["grad_steps"] == r_e["grad_steps"]
    assert r_f["elites"] == r_e["elites"]
    assert r_f["holdout_mse"] == pytest.approx(r_e["holdout_mse"], rel=1e-4)
    assert _max_param_gap(m_e, m_f) < 1e-4


def test_backend_choice() -> None:
    config = small_config()
    big, small = AUTO_COMPILE_MODEL_ROWS, AUTO_COMPILE_MODEL_ROWS - 1
    assert config.step_backend("cpu", big) == "compile"
    assert config.step_backend("cpu", small) == "eager"
    assert config.step_backend("cuda", big) == "eager"
    assert make_train_step("eager") is train_step
    assert isinstance(make_train_step("compile"), FunctionalTrainStep)
    with pytest.raises(ValueError, match="auto"):
        make_train_step("auto")
    assert small_config(backend="eager").step_backend("cpu", big) == "eager"
    assert small_config(backend="compile").step_backend("cuda", 1) == "compile"


def test_a_run_decides_from_its_buffer_capacity_and_records_it() -> None:
    from boundcheck.mbpo.loop import run_config_doc

    long_run = apply_overrides(BASE, {"total_steps": AUTO_COMPILE_MODEL_ROWS})
    short = apply_overrides(long_run, {"replay_size": AUTO_COMPILE_MODEL_ROWS - 1})
    assert long_run.ensemble_step_backend("cpu") == "compile"
    assert short.ensemble_step_backend("cpu") == "eager"
    doc = run_config_doc(long_run, 0, torch.device("cpu"))
    assert doc["resolved_backends"]["ensemble"] == "compile"


def test_unknown_backend_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"ensemble\.backend"):
        apply_overrides(BASE, {"ensemble.backend": "jit"})


def test_compiled_training_matches_eager_training(make_model) -> None:
    """torch.compile'd gradients (seconds to tens of seconds to compile): same training to
    rounding. Not marked slow: a compile failure must fail the default suite."""
    config = small_config(batch_size=32)
    x, y = _data(300, seed=7)
    models = []
    for step in (None, FunctionalTrainStep(compile=True)):
        model = make_model(8, config)
        train_ensemble(model, x, y, config, torch.Generator().manual_seed(9), max_epochs=6,
                       step=step)
        models.append(model)
    assert _max_param_gap(*models) < 1e-4
