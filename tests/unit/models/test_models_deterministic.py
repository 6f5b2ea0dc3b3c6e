"""The deterministic (mean-only) ensemble of the ``--model deterministic`` ablation
(docs/trainer.md, "Ablations"): MSE loss, training, mean rollouts, state and resume."""

from __future__ import annotations

import copy
import io
import math

import pytest
import torch
from torch.nn.functional import silu

from boundcheck.config import EnsembleConfig
from boundcheck.models import (
    MEAN_ONLY_KEY,
    FunctionalTrainStep,
    GaussianEnsemble,
    make_optimizer,
    train_ensemble,
)
from boundcheck.models.losses import ensemble_loss, holdout_nll
from boundcheck.models.trainer import train_step

from .support import ACT_DIM, OBS_DIM, small_config

IN_DIM, OUT_DIM = OBS_DIM + ACT_DIM, 1 + OBS_DIM


def _model(seed: int, config: EnsembleConfig | None = None, *,
           deterministic: bool = True) -> GaussianEnsemble:
    return GaussianEnsemble(OBS_DIM, ACT_DIM, config or small_config(),
                            generator=torch.Generator().manual_seed(seed),
                            deterministic=deterministic)


def _linear_data(rows: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A noiseless linear toy: targets ``y = x A``."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(rows, IN_DIM, generator=gen)
    return x, x @ torch.randn(IN_DIM, OUT_DIM, generator=gen)


def _inputs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, OBS_DIM, generator=gen), torch.randn(n, ACT_DIM, generator=gen)


@torch.no_grad()
def _max_param_gap(a: torch.nn.Module, b: torch.nn.Module) -> float:
    return max(float((p - q).abs().max()) for p, q in zip(a.parameters(), b.parameters(),
                                                          strict=True))


def test_the_loss_is_the_mse_of_the_mean_plus_decay() -> None:
    config = small_config()
    model = _model(0, config)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(config.num_members, 5, IN_DIM, generator=gen)
    y = torch.randn(config.num_members, 5, OUT_DIM, generator=gen)
    expected = 0.0
    with torch.no_grad():
        for e in range(config.num_members):  # member by member, no fused matmul
            h = x[e]
            for i, (w, b) in enumerate(zip(model.weights, model.biases, strict=True)):
                h = h @ w[e] + b[e, 0]
                h = silu(h) if i < len(model.weights) - 1 else h
            expected += float(((h[:, :OUT_DIM] - y[e]) ** 2).mean())
        expected += sum(d * 0.5 * float((w**2).sum())
                        for d, w in zip(config.weight_decay, model.weights, strict=True))
    loss = ensemble_loss(model, x, y, config.weight_decay, config.logvar_penalty)
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    with torch.no_grad():  # neither the bounds nor the variance columns' outputs enter it
        model.max_logvar.add_(3.0)
        model.min_logvar.sub_(3.0)
        model.biases[-1][..., OUT_DIM:] += 5.0
    again = ensemble_loss(model, x, y, config.weight_decay, config.logvar_penalty)
    assert torch.equal(loss, again)
    probabilistic = _model(0, config, deterministic=False)  # same init, the NLL loss
    assert float(ensemble_loss(probabilistic, x, y, config.weight_decay,
                               config.logvar_penalty)) != pytest.approx(expected, rel=1e-3)


def test_eager_and_functional_steps_optimise_the_mse_only() -> None:
    config = small_config(batch_size=16)
    eager, functional = _model(3, config), _model(3, config)
    bounds = (eager.max_logvar.detach().clone(), eager.min_logvar.detach().clone())
    opt_e, opt_f = make_optimizer(eager, config), make_optimizer(functional, config)
    step = FunctionalTrainStep(compile=False)
    gen = torch.Generator().manual_seed(4)
    for _ in range(5):
        x = torch.randn(config.num_members, 16, IN_DIM, generator=gen)
        y = torch.randn(config.num_members, 16, OUT_DIM, generator=gen)
        expected = ensemble_loss(eager, x, y, config.weight_decay, config.logvar_penalty)
        loss_e = train_step(eager, opt_e, x, y, config)
        loss_f = step(functional, opt_f, x, y, config)
        assert float(loss_e) == pytest.approx(float(expected), rel=1e-6)
        assert float(loss_f) == pytest.approx(float(loss_e), rel=1e-5)
    assert _max_param_gap(eager, functional) < 1e-5
    for model in (eager, functional):  # the unused bounds get no gradient and never move
        assert model.max_logvar.grad is None and model.min_logvar.grad is None
        assert torch.equal(model.max_logvar, bounds[0])
        assert torch.equal(model.min_logvar, bounds[1])


def test_compiled_training_matches_eager_training() -> None:
    """The compiled MSE graph (compiles once, seconds): same training to rounding."""
    config = small_config(batch_size=32)
    x, y = _linear_data(300, seed=7)
    models = []
    for step in (None, FunctionalTrainStep(compile=True)):
        model = _model(8, config)
        train_ensemble(model, x, y, config, torch.Generator().manual_seed(9), max_epochs=4,
                       step=step)
        models.append(model)
    assert _max_param_gap(*models) < 1e-4


def test_the_holdout_mse_falls_on_a_linear_toy() -> None:
    config = small_config(batch_size=32)
    model = _model(5, config)
    x, y = _linear_data(600, seed=2)
    gen = torch.Generator().manual_seed(6)
    optimizer = make_optimizer(model, config)
    first = train_ensemble(model, x, y, config, gen, max_epochs=1, optimizer=optimizer)
    later = train_ensemble(model, x, y, config, gen, max_epochs=8, optimizer=optimizer)
    assert later["holdout_mse"] < 0.5 * first["holdout_mse"]
    history = [sum(row) / len(row) for row in later["holdout_mse_history"]]
    assert history[-1] < history[0]
    assert all(math.isnan(v) for v in later["holdout_nll_elites"])
    assert math.isfinite(later["train_loss"])


def test_holdout_nll_is_nan_only_for_the_deterministic_kind() -> None:
    x, y = torch.randn(7, IN_DIM), torch.randn(7, OUT_DIM)
    assert torch.isnan(holdout_nll(_model(0), x, y)).all()
    assert torch.isfinite(holdout_nll(_model(0, deterministic=False), x, y)).all()


def test_sample_step_returns_an_elites_mean_without_noise() -> None:
    model = _model(1)
    with torch.no_grad():
        model.elites.copy_(torch.tensor([2, 0]))
    obs, act = _inputs(3000, seed=1)
    gen = torch.Generator().manual_seed(0)
    next_obs, reward = model.sample_step(obs, act, gen, chunk_size=700)
    y = torch.cat([reward[:, None], next_obs - obs], dim=1)
    means = model.predict_mean(obs, act)
    dist = (means - y).abs().amax(dim=2)  # [E, B]
    assert torch.all(dist.amin(dim=0) < 1e-5)
    assert set(torch.unique(dist.argmin(dim=0)).tolist()) == {0, 2}
    # Exactly the probabilistic model's mean rollout of the same weights and draws ...
    twin = _model(1, deterministic=False)
    twin.load_state_dict({k: v for k, v in model.state_dict().items() if k != MEAN_ONLY_KEY})
    ref = twin.sample_step(obs, act, torch.Generator().manual_seed(0), deterministic=True,
                           chunk_size=700)
    assert torch.equal(ref[0], next_obs) and torch.equal(ref[1], reward)
    # ... and the generator served the elite draws only (no Gaussian noise).
    draws = torch.Generator().manual_seed(0)
    for n in (700,) * 4 + (200,):
        torch.randint(2, (n,), generator=draws)
    assert torch.equal(gen.get_state(), draws.get_state())


def test_one_elite_gives_the_same_step_for_any_generator() -> None:
    model = _model(2, small_config(num_elites=1))
    obs, act = _inputs(500, seed=3)
    a = model.sample_step(obs, act, torch.Generator().manual_seed(1))
    b = model.sample_step(obs, act, torch.Generator().manual_seed(2))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_mean_and_var_raises_and_predict_mean_serves_both_kinds() -> None:
    obs, act = _inputs(20, seed=4)
    with pytest.raises(ValueError, match="no variances"):
        _model(0).mean_and_var(obs, act)
    probabilistic = _model(0, deterministic=False)
    mean, _ = probabilistic.mean_and_var(obs, act, elites_only=True)
    assert torch.equal(probabilistic.predict_mean(obs, act, elites_only=True), mean)
    assert torch.equal(_model(0).predict_mean(obs, act), probabilistic.predict_mean(obs, act))


def test_the_state_dict_records_the_kind() -> None:
    config = small_config()
    det, prob = _model(0, config), _model(0, config, deterministic=False)
    assert set(det.state_dict()) == set(prob.state_dict()) | {MEAN_ONLY_KEY}
    buffer = io.BytesIO()
    torch.save(det.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    loaded = GaussianEnsemble.from_state_dict(OBS_DIM, ACT_DIM, config, state)
    assert loaded.deterministic
    assert not GaussianEnsemble.from_state_dict(OBS_DIM, ACT_DIM, config,
                                                prob.state_dict()).deterministic
    with pytest.raises(RuntimeError, match=MEAN_ONLY_KEY):
        prob.load_state_dict(state)
    with pytest.raises(RuntimeError, match=MEAN_ONLY_KEY):
        det.load_state_dict(prob.state_dict())


def test_resume_from_saved_state_continues_exactly() -> None:
    """Model and Adam state saved after one call, loaded into a rebuilt model: the next call
    gives the same weights as the uninterrupted run (the trainer's checkpoint, in small)."""
    config = small_config(batch_size=32)
    x, y = _linear_data(400, seed=3)
    model, gen = _model(4, config), torch.Generator().manual_seed(5)
    optimizer = make_optimizer(model, config)
    train_ensemble(model, x, y, config, gen, max_epochs=2, optimizer=optimizer)
    saved_model = copy.deepcopy(model.state_dict())
    saved_optimizer = copy.deepcopy(optimizer.state_dict())
    saved_rng = gen.get_state()
    train_ensemble(model, x, y, config, gen, max_epochs=3, optimizer=optimizer)

    resumed = GaussianEnsemble.from_state_dict(OBS_DIM, ACT_DIM, config, saved_model)
    opt2 = make_optimizer(resumed, config)
    opt2.load_state_dict(saved_optimizer)
    gen2 = torch.Generator()
    gen2.set_state(saved_rng)
    train_ensemble(resumed, x, y, config, gen2, max_epochs=3, optimizer=opt2)
    for a, b in zip(model.state_dict().values(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b)
