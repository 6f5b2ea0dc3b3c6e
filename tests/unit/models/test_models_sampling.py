"""GaussianEnsemble.sample_step: one uniformly drawn elite per row, sampled from its Gaussian."""

from __future__ import annotations

import torch

from boundcheck.models import GaussianEnsemble

from .support import ACT_DIM, OBS_DIM, small_config

ELITES = (3, 1)


def _constant_members(make_model) -> GaussianEnsemble:
    """Members that ignore the input: member m predicts mean 10 m and its own log-variance."""
    model = make_model(seed=0, config=small_config(num_members=4, num_elites=2))
    d = model.out_dim
    with torch.no_grad():
        model.weights[-1].zero_()
        for m in range(model.num_members):
            model.biases[-1][m, 0, :d] = 10.0 * m + torch.arange(d) * 0.1
            model.biases[-1][m, 0, d:] = torch.linspace(-3.0, 0.0, d) + 0.5 * m
        model.elites.copy_(torch.tensor(ELITES))
    return model


def _inputs(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, OBS_DIM, generator=gen), torch.randn(n, ACT_DIM, generator=gen)


def test_samples_follow_the_drawn_elites_gaussian(make_model) -> None:
    model = _constant_members(make_model)
    obs, act = _inputs(40_000)
    means, variances = model.mean_and_var(obs[:1], act[:1])
    next_obs, reward = model.sample_step(obs, act, torch.Generator().manual_seed(7),
                                         chunk_size=3000)
    y = torch.cat([reward[:, None], next_obs - obs], dim=1)
    member = torch.round(reward / 10.0).long()  # means 10 m apart, stds below 1.5
    assert set(member.unique().tolist()) == set(ELITES)
    for m in ELITES:
        rows = y[member == m]
        share = rows.shape[0] / y.shape[0]
        assert abs(share - 1 / len(ELITES)) < 0.015  # 5 sigma of a binomial share
        mu, var = means[m, 0], variances[m, 0]
        n = rows.shape[0]
        assert torch.all((rows.mean(0) - mu).abs() < 5 * (var / n).sqrt() + 1e-5)
        assert torch.all((rows.var(0) / var - 1).abs() < 5 * (2 / n) ** 0.5)


def test_deterministic_step_returns_an_elites_mean(make_model) -> None:
    model = make_model(seed=1)
    with torch.no_grad():
        model.elites.copy_(torch.tensor([2, 0]))
    obs, act = _inputs(5000, seed=1)
    next_obs, reward = model.sample_step(obs, act, torch.Generator().manual_seed(0),
                                         deterministic=True, chunk_size=700)
    means, _ = model.mean_and_var(obs, act)
    y = torch.cat([reward[:, None], next_obs - obs], dim=1)
    dist = (means - y).abs().amax(dim=2)  # [E, B]: distance of each row to each member's mean
    closest = dist.argmin(dim=0)
    assert torch.all(dist.amin(dim=0) < 1e-5)
    assert set(closest.unique().tolist()) == {0, 2}
    assert torch.all(dist[[1, 3]] > 1e-4)  # the non-elites' means differ


def test_sample_step_is_deterministic_given_the_generator(make_model) -> None:
    model = make_model(seed=2)
    obs, act = _inputs(9000, seed=2)
    a = model.sample_step(obs, act, torch.Generator().manual_seed(11))
    b = model.sample_step(obs, act, torch.Generator().manual_seed(11))
    c = model.sample_step(obs, act, torch.Generator().manual_seed(12))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])
    assert a[0].shape == (9000, OBS_DIM) and a[1].shape == (9000,)
