"""Networks and the squashed-Gaussian log-density."""

from __future__ import annotations

import pytest
import torch
from torch.distributions import Normal, TanhTransform, TransformedDistribution

from boundcheck.agents.networks import (
    LOG_STD_MAX,
    LOG_STD_MIN,
    actor_forward,
    init_actor,
    init_twin_critic,
    sample_squashed,
    tanh_log_det_jacobian,
    twin_q,
)

CPU = torch.device("cpu")


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_log_prob_matches_torch_transformed_distribution() -> None:
    g = _gen()
    mean = torch.randn(512, 3, generator=g, dtype=torch.float64)
    log_std = torch.empty(512, 3, dtype=torch.float64).uniform_(-2.0, 0.5, generator=g)
    noise = torch.randn(512, 3, generator=g, dtype=torch.float64)
    action, log_prob = sample_squashed(mean, log_std, noise)
    dist = TransformedDistribution(Normal(mean, log_std.exp()), [TanhTransform()])
    # log_prob of the pre-tanh value avoids atanh's precision loss near |a| = 1
    u = mean + log_std.exp() * noise
    reference = (Normal(mean, log_std.exp()).log_prob(u)
                 - TanhTransform().log_abs_det_jacobian(u, torch.tanh(u))).sum(-1)
    torch.testing.assert_close(log_prob, reference, atol=1e-5, rtol=0)
    inside = action.abs().amax(-1) < 0.99
    torch.testing.assert_close(log_prob[inside], dist.log_prob(action).sum(-1)[inside],
                               atol=1e-5, rtol=0)
    # float32, as used in training
    _, log_prob32 = sample_squashed(mean.float(), log_std.float(), noise.float())
    torch.testing.assert_close(log_prob32, reference.float(), atol=1e-5, rtol=1e-6)


def test_tanh_log_det_jacobian_stable() -> None:
    u = torch.linspace(-3, 3, 101, dtype=torch.float64)
    torch.testing.assert_close(tanh_log_det_jacobian(u), torch.log1p(-torch.tanh(u) ** 2))
    big = tanh_log_det_jacobian(torch.tensor([-100.0, 100.0]))
    assert torch.isfinite(big).all()
    torch.testing.assert_close(big, torch.tensor([-198.6137, -198.6137]), atol=1e-3, rtol=0)


def test_actor_shapes_and_log_std_clamp() -> None:
    params = init_actor(5, 2, 32, 2, device=CPU, generator=_gen())
    assert [tuple(p.shape) for p in params] == [(32, 5), (32,), (32, 32), (32,), (4, 32), (4,)]
    with torch.no_grad():
        params[-1][2:] = 50.0  # push log-std far above the bound
        mean, log_std = actor_forward(params, torch.randn(7, 5, generator=_gen(1)))
    assert mean.shape == log_std.shape == (7, 2)
    assert log_std.max() <= LOG_STD_MAX and log_std.min() >= LOG_STD_MIN


@pytest.mark.parametrize("num_hidden", [1, 2])
def test_twin_critic_equals_two_separate_mlps(num_hidden: int) -> None:
    params = init_twin_critic(4, 2, 16, num_hidden, device=CPU, generator=_gen())
    obs, act = torch.randn(9, 4, generator=_gen(1)), torch.randn(9, 2, generator=_gen(2))
    q = twin_q(params, obs, act)
    assert q.shape == (2, 9)
    assert not torch.equal(q[0], q[1])  # independently initialised
    for j in range(2):
        h = torch.cat((obs, act), -1)
        for i in range(0, len(params), 2):
            h = h @ params[i][j].T + params[i + 1][j, 0]
            if i < len(params) - 2:
                h = h.relu()
        torch.testing.assert_close(q[j], h.squeeze(-1))
