"""The functional (compilable) training step against the eager autograd step, and its choice."""

from __future__ import annotations

import pytest
import torch

from boundcheck.config import AUTO_COMPILE_MODEL_ROWS, BASE, ConfigError, apply_overrides
from boundcheck.models import FunctionalTrainStep, make_optimizer, make_train_step, train_ensemble
from boundcheck.models.trainer import train_step

from .support import ACT_DIM, OBS_DIM, small_config


def _data(rows: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(rows, OBS_DIM + ACT_DIM, generator=gen)
    y = torch.tanh(x @ torch.randn(OBS_DIM + ACT_DIM, 1 + OBS_DIM, generator=gen))
    return x, y + 0.1 * torch.randn(rows, 1 + OBS_DIM, generator=gen)


def _max_param_gap(a: torch.nn.Module, b: torch.nn.Module) -> float:
    return max(float((p - q).abs().max()) for p, q in zip(a.parameters(), b.parameters(),
                                                          strict=True))


@pytest.mark.parametrize("rows", [16, 7])  # a full batch (functional path), a partial one
def test_one_step_matches_autograd(make_model, rows: int) -> None:
    config = small_config(batch_size=16)
    eager, functional = make_model(3, config), make_model(3, config)
    gap_before = _max_param_gap(eager, functional)
    x = torch.randn(config.num_members, rows, OBS_DIM + ACT_DIM,
                    generator=torch.Generator().manual_seed(1))
    y = torch.randn(config.num_members, rows, 1 + OBS_DIM,
                    generator=torch.Generator().manual_seed(2))
    step = FunctionalTrainStep(config, compile=False)
    opt_e, opt_f = make_optimizer(eager, config), make_optimizer(functional, config)
    for _ in range(3):
        loss_e = train_step(eager, opt_e, x, y, config)
        loss_f = step(functional, opt_f, x, y, config)
        assert float(loss_f) == pytest.approx(float(loss_e), rel=1e-5, abs=1e-5)
    assert gap_before == 0.0
    assert _max_param_gap(eager, functional) < 1e-5
    # The step moved the weights (the comparison above is not between two untouched models).
    assert _max_param_gap(eager, make_model(3, config)) > 1e-4


def test_training_with_the_functional_step_matches_eager_training(make_model) -> None:
    config = small_config(batch_size=32)
    x, y = _data(300, seed=4)  # 240 training rows: 7 full batches and one of 16 per epoch
    runs = []
    for step in (None, FunctionalTrainStep(config, compile=False)):
        model = make_model(5, config)
        metrics = train_ensemble(model, x, y, config, torch.Generator().manual_seed(6),
                                 max_epochs=8, step=step)
        runs.append((model, metrics))
    (m_e, r_e), (m_f, r_f) = runs
    assert r_f["epochs"] == r_e["epochs"] and r_f["grad_steps"] == r_e["grad_steps"]
    assert r_f["elites"] == r_e["elites"]
    assert r_f["val_loss"] == pytest.approx(r_e["val_loss"], rel=1e-4)
    assert _max_param_gap(m_e, m_f) < 1e-4


def test_backend_choice() -> None:
    config = small_config()
    big, small = AUTO_COMPILE_MODEL_ROWS, AUTO_COMPILE_MODEL_ROWS - 1
    assert config.step_backend("cpu", big) == "compile"
    assert config.step_backend("cpu", small) == "eager"
    assert config.step_backend("cuda", big) == "eager"
    assert make_train_step(config, "cpu", small) is train_step
    assert isinstance(make_train_step(config, "cpu", big), FunctionalTrainStep)
    eager = small_config(backend="eager")
    assert make_train_step(eager, "cpu", big) is train_step
    assert small_config(backend="compile").step_backend("cuda", 1) == "compile"


def test_unknown_backend_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="ensemble.backend"):
        apply_overrides(BASE, {"ensemble.backend": "jit"})


@pytest.mark.slow
def test_compiled_training_matches_eager_training(make_model) -> None:
    """torch.compile'd gradients (tens of seconds to compile): same training to rounding."""
    config = small_config(batch_size=32)
    x, y = _data(300, seed=7)
    models = []
    for step in (None, FunctionalTrainStep(config, compile=True)):
        model = make_model(8, config)
        train_ensemble(model, x, y, config, torch.Generator().manual_seed(9), max_epochs=6,
                       step=step)
        models.append(model)
    assert _max_param_gap(*models) < 1e-4
