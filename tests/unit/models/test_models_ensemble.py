"""GaussianEnsemble: fused forward, log-variance clamp, normalizer, member selection."""

from __future__ import annotations

import torch
from torch import nn

from boundcheck.models import GaussianEnsemble, Normalizer, make_dataset

from .support import ACT_DIM, OBS_DIM, small_config


def _member_mlp(model: GaussianEnsemble, e: int) -> nn.Sequential:
    """Member ``e`` as a plain nn.Sequential sharing the fused weights' values."""
    layers: list[nn.Module] = []
    for i, (w, b) in enumerate(zip(model.weights, model.biases, strict=True)):
        lin = nn.Linear(w.shape[1], w.shape[2], dtype=w.dtype)
        with torch.no_grad():
            lin.weight.copy_(w[e].T)
            lin.bias.copy_(b[e, 0])
        layers.append(lin)
        if i < len(model.weights) - 1:
            layers.append(nn.SiLU())
    return nn.Sequential(*layers)


def _clamp(model: GaussianEnsemble, raw: torch.Tensor) -> torch.Tensor:
    hi, lo = model.max_logvar, model.min_logvar
    logvar = hi - nn.functional.softplus(hi - raw)
    return lo + nn.functional.softplus(logvar - lo)


def _randomize(model: GaussianEnsemble, gen: torch.Generator) -> None:
    """Non-trivial biases, bounds and normalizer so the comparison covers every parameter."""
    with torch.no_grad():
        for b in model.biases:
            b.copy_(0.3 * torch.randn(b.shape, generator=gen, dtype=b.dtype))
        model.max_logvar.add_(0.2)
        model.min_logvar.sub_(1.0)
        model.normalizer.fit(3.0 + 2.0 * torch.randn(100, model.in_dim, generator=gen))


def test_fused_forward_equals_loop_over_members(make_model) -> None:
    for dtype, tol in ((torch.float64, 1e-12), (torch.float32, 1e-6)):
        gen = torch.Generator().manual_seed(1)
        model = make_model(seed=1, config=small_config(num_hidden=3), dtype=dtype)
        _randomize(model, gen)
        x = torch.randn(model.num_members, 50, model.in_dim, generator=gen, dtype=dtype)
        mean, logvar = model(x)
        for e in range(model.num_members):
            out = _member_mlp(model, e)(x[e])
            torch.testing.assert_close(mean[e], out[:, : model.out_dim], atol=tol, rtol=tol)
            torch.testing.assert_close(logvar[e], _clamp(model, out[:, model.out_dim :]),
                                       atol=tol, rtol=tol)


def test_mean_and_var_uses_raw_inputs_and_matches_forward(make_model) -> None:
    gen = torch.Generator().manual_seed(2)
    model = make_model(seed=2)
    _randomize(model, gen)
    obs = torch.randn(300, OBS_DIM, generator=gen)
    act = torch.randn(300, ACT_DIM, generator=gen)
    mean, var = model.mean_and_var(obs, act, chunk_size=64)
    x = model.normalizer(torch.cat([obs, act], dim=1))
    ref_mean, ref_logvar = model(x.expand(model.num_members, -1, -1))
    torch.testing.assert_close(mean, ref_mean)
    torch.testing.assert_close(var, ref_logvar.exp())
    model.elites.copy_(torch.tensor([3, 1]))
    e_mean, e_var = model.mean_and_var(obs, act, elites_only=True)
    torch.testing.assert_close(e_mean, mean[[3, 1]])
    torch.testing.assert_close(e_var, var[[3, 1]])


def test_logvar_is_soft_clamped_between_learned_bounds(make_model) -> None:
    model = make_model(seed=3)
    x = torch.randn(model.num_members, 10, model.in_dim)
    with torch.no_grad():
        model.biases[-1][..., model.out_dim :] = 1e4
        _, high = model(x)
        model.biases[-1][..., model.out_dim :] = -1e4
        _, low = model(x)
    # Soft: the outer softplus leaves log(1 + exp(-(max - min))) ~ 3e-5 above max_logvar.
    torch.testing.assert_close(high, model.max_logvar.expand_as(high).detach(), atol=1e-4, rtol=0)
    torch.testing.assert_close(low, model.min_logvar.expand_as(low).detach(), atol=1e-6, rtol=0)
    assert torch.all(high <= model.max_logvar + 1e-4) and torch.all(low >= model.min_logvar)


def test_initialization_follows_original_layers(make_model) -> None:
    config = small_config()
    model = make_model(seed=4, config=config)
    for w in model.weights:
        std = 1.0 / (2.0 * w.shape[1] ** 0.5)
        assert w.abs().max() <= 2.0 * std
        assert 0.7 * std < w.std() < 1.1 * std  # a 2-sigma truncated normal has std 0.88 sigma
    assert all(torch.all(b == 0) for b in model.biases)
    assert [w.shape[0] for w in model.weights] == [config.num_members] * (config.num_hidden + 1)
    assert model.weights[-1].shape[2] == 2 * (1 + OBS_DIM)
    assert torch.all(model.max_logvar == config.init_max_logvar)
    assert torch.all(model.min_logvar == config.init_min_logvar)
    assert model.elites.tolist() == list(range(config.num_elites))
    assert model.elites.dtype == torch.long


def test_same_generator_seed_gives_same_weights(make_model) -> None:
    a, b, c = make_model(seed=5), make_model(seed=5), make_model(seed=6)
    for key, value in a.state_dict().items():
        assert torch.equal(value, b.state_dict()[key])
    assert not torch.equal(a.weights[0], c.weights[0])


def test_normalizer_standardizes_and_floors_constant_columns() -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.cat([5.0 + 3.0 * torch.randn(1000, 2, generator=gen), torch.full((1000, 1), 7.0)],
                  dim=1)
    norm = Normalizer(3)
    norm.fit(x)
    z = norm(x)
    torch.testing.assert_close(z.mean(0), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(z[:, :2].std(0, correction=0), torch.ones(2))
    assert norm.std[2] == 1.0
    assert torch.all(z[:, 2] == 0)


def test_make_dataset_builds_original_targets() -> None:
    obs, act = torch.tensor([[1.0, 2.0]]), torch.tensor([[0.5]])
    inputs, targets = make_dataset(obs, act, torch.tensor([3.0]), torch.tensor([[1.5, 1.0]]))
    assert inputs.tolist() == [[1.0, 2.0, 0.5]]
    assert targets.tolist() == [[3.0, 0.5, -1.0]]
