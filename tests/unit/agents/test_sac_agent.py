"""SAC agent: learning, loss pieces, determinism, persistence, devices."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from boundcheck.agents import METRIC_KEYS, SAC, soft_td_target
from boundcheck.agents.networks import twin_q
from boundcheck.config import SACConfig

SMALL = SACConfig(hidden_width=32, batch_size=64)
CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def _agent(seed: int = 0, config: SACConfig = SMALL, obs_dim: int = 4, act_dim: int = 2,
           device: str = "cpu", **kwargs: bool) -> SAC:
    gen = torch.Generator(device=device).manual_seed(seed)
    return SAC(obs_dim, act_dim, config, device=device, generator=gen, **kwargs)


def _batch(rng: np.random.Generator, n: int = 64, obs_dim: int = 4, act_dim: int = 2,
           terminated: float | None = None) -> dict[str, np.ndarray]:
    term = (rng.random(n) < 0.2) if terminated is None else np.full(n, terminated)
    return {
        "obs": rng.standard_normal((n, obs_dim)).astype(np.float32),
        "act": rng.uniform(-1, 1, (n, act_dim)).astype(np.float32),
        "reward": rng.standard_normal(n).astype(np.float32),
        "next_obs": rng.standard_normal((n, obs_dim)).astype(np.float32),
        "terminated": term.astype(np.float32),
    }


@pytest.fixture(autouse=True)
def single_thread() -> Iterator[None]:
    """These tiny networks run faster on one thread (and suffer less from busy CPUs)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_learns_a_contextual_bandit() -> None:
    """One-step task, r = -(a - a*(s))^2 with a*(s) = 0.6 s_0: policy and Q converge."""
    config = SACConfig(hidden_width=64, batch_size=128, lr=1e-2, target_entropy=-3.0)
    agent = _agent(config=config, obs_dim=2, act_dim=1)
    rng = np.random.default_rng(0)
    for _ in range(300):
        obs = rng.uniform(-1, 1, (128, 2)).astype(np.float32)
        act = rng.uniform(-1, 1, (128, 1)).astype(np.float32)
        reward = -((act[:, 0] - 0.6 * obs[:, 0]) ** 2)
        metrics = agent.update({"obs": obs, "act": act, "reward": reward, "next_obs": obs,
                                "terminated": np.ones(128, np.float32)})
    test_obs = np.linspace(-1, 1, 21, dtype=np.float32)[:, None].repeat(2, 1)
    greedy = agent.act(test_obs, deterministic=True)[:, 0]
    np.testing.assert_allclose(greedy, 0.6 * test_obs[:, 0], atol=0.1)
    q = twin_q(agent.critic, torch.as_tensor(test_obs), torch.as_tensor(greedy[:, None]))
    assert float(q.abs().max()) < 0.05  # Q(s, a*) = 0
    assert metrics["sac/q1_loss"] < 1e-3 and metrics["sac/q2_loss"] < 1e-3


def test_update_returns_finite_metrics() -> None:
    agent, rng = _agent(), np.random.default_rng(0)
    for _ in range(5):
        metrics = agent.update(_batch(rng))
    assert tuple(metrics) == METRIC_KEYS
    assert all(math.isfinite(v) for v in metrics.values())
    step = agent.step(_batch(rng))
    assert step.shape == (len(METRIC_KEYS),) and not step.requires_grad


def test_polyak_target_update() -> None:
    agent, rng = _agent(), np.random.default_rng(0)
    assert all(torch.equal(t, c) for t, c in zip(agent.target_critic, agent.critic, strict=True))
    agent.update(_batch(rng))  # targets now differ from critics
    old_target = [t.clone() for t in agent.target_critic]
    agent.update(_batch(rng))
    tau = SMALL.tau
    for old, new, critic in zip(old_target, agent.target_critic, agent.critic, strict=True):
        torch.testing.assert_close(new, (1 - tau) * old + tau * critic, atol=1e-7, rtol=1e-6)


def test_soft_td_target_masks_terminal_only() -> None:
    reward = torch.tensor([1.0, 1.0])
    terminated = torch.tensor([1.0, 0.0])
    next_q, next_log_prob = torch.tensor([10.0, 10.0]), torch.tensor([2.0, 2.0])
    y = soft_td_target(reward, terminated, next_q, next_log_prob, alpha=0.5, gamma=0.9)
    torch.testing.assert_close(y, torch.tensor([1.0, 1.0 + 0.9 * (10.0 - 0.5 * 2.0)]))


def test_critic_loss_uses_reward_only_on_terminal_transitions() -> None:
    agent, rng = _agent(), np.random.default_rng(0)
    batch = _batch(rng, terminated=1.0)
    q = twin_q(agent.critic, torch.as_tensor(batch["obs"]), torch.as_tensor(batch["act"]))
    expected = 0.5 * (q - torch.as_tensor(batch["reward"])).square().mean(1)
    metrics = agent.update(batch)
    np.testing.assert_allclose([metrics["sac/q1_loss"], metrics["sac/q2_loss"]],
                               expected.tolist(), rtol=1e-5)
    batch["terminated"][:] = 0.0  # bootstrapping now changes the loss
    agent2 = _agent()
    assert agent2.update(batch)["sac/q1_loss"] != pytest.approx(metrics["sac/q1_loss"])


@pytest.mark.parametrize(("target_entropy", "sign"), [(10.0, 1), (-50.0, -1)])
def test_alpha_moves_toward_target_entropy(target_entropy: float, sign: int) -> None:
    config = dataclasses.replace(SMALL, target_entropy=target_entropy)
    agent, rng = _agent(config=config), np.random.default_rng(0)
    assert agent.alpha == pytest.approx(1.0)
    for _ in range(10):
        agent.update(_batch(rng))
    assert sign * (agent.alpha - 1.0) > 0
    assert _agent().target_entropy == -2.0  # None means -act_dim


def test_deterministic_given_generators() -> None:
    runs = []
    for _ in range(2):
        agent, rng = _agent(seed=3), np.random.default_rng(5)
        metrics = [agent.update(_batch(rng)) for _ in range(3)]
        runs.append((metrics, agent.state_dict(), agent.act(np.zeros(4, np.float32))))
    (m1, s1, a1), (m2, s2, a2) = runs
    assert m1 == m2
    np.testing.assert_array_equal(a1, a2)
    for p, q in zip(s1["actor"] + s1["critic"], s2["actor"] + s2["critic"], strict=True):
        assert torch.equal(p, q)


def test_state_dict_round_trip(tmp_path: Path) -> None:
    agent, rng = _agent(), np.random.default_rng(0)
    for _ in range(3):
        agent.update(_batch(rng))
    path = tmp_path / "sac.pt"
    torch.save(agent.state_dict(), path)
    gen_state = agent.generator.get_state()
    restored = _agent(seed=99)
    restored.load_state_dict(torch.load(path, weights_only=True))
    restored.generator.set_state(gen_state)
    obs = rng.standard_normal((8, 4)).astype(np.float32)
    np.testing.assert_array_equal(agent.act(obs, deterministic=True),
                                  restored.act(obs, deterministic=True))
    np.testing.assert_array_equal(agent.act(obs), restored.act(obs))
    batch = _batch(rng)
    assert agent.update(batch) == restored.update(batch)
    for name in ("actor", "critic", "target_critic"):
        for p, q in zip(getattr(agent, name), getattr(restored, name), strict=True):
            assert torch.equal(p, q)
    assert torch.equal(agent.adam.step, restored.adam.step)


def test_act_shapes_bounds_and_policy_distribution() -> None:
    agent = _agent()
    obs = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32) * 100
    actions = agent.act(obs)
    assert actions.shape == (5, 2) and actions.dtype == np.float32
    assert np.all(np.abs(actions) <= 1.0)
    assert agent.act(obs[0], deterministic=True).shape == (2,)
    mean, log_std = agent.policy_distribution(obs)
    assert mean.shape == log_std.shape == (5, 2)
    np.testing.assert_allclose(agent.act(obs, deterministic=True), np.tanh(mean.numpy()))


def test_rejects_cuda_graph_on_cpu() -> None:
    with pytest.raises(ValueError):
        _agent(cuda_graph=True)


@CUDA
def test_generator_must_match_device() -> None:
    with pytest.raises(ValueError):
        SAC(3, 1, SMALL, device="cpu", generator=torch.Generator(device="cuda"))


@pytest.mark.slow
def test_compiled_update_matches_eager() -> None:
    eager, compiled = _agent(), _agent(compile=True)
    rng = np.random.default_rng(0)
    for _ in range(3):
        batch = _batch(rng)
        m1, m2 = eager.update(batch), compiled.update(batch)
        np.testing.assert_allclose(list(m1.values()), list(m2.values()), rtol=1e-4, atol=1e-5)
    # Adam's first steps move a weight by ~lr whatever the gradient's size, so a float-rounding
    # sign flip of a near-zero gradient may differ by up to 2 lr per step.
    for p, q in zip(eager.actor + eager.critic, compiled.actor + compiled.critic, strict=True):
        torch.testing.assert_close(p, q, atol=6 * SMALL.lr, rtol=1e-4)


@CUDA
def test_cuda_graph_matches_eager_on_cuda() -> None:
    eager, graphed = _agent(device="cuda"), _agent(device="cuda", cuda_graph=True)
    rng = np.random.default_rng(0)
    for _ in range(6):  # 3 eager warm-up updates, capture, replays
        batch = _batch(rng)
        m1, m2 = eager.update(batch), graphed.update(batch)
        np.testing.assert_allclose(list(m1.values()), list(m2.values()), rtol=1e-4, atol=1e-5)
    for p, q in zip(eager.actor + eager.critic + eager.target_critic,
                    graphed.actor + graphed.critic + graphed.target_critic, strict=True):
        torch.testing.assert_close(p, q, atol=12 * SMALL.lr, rtol=1e-4)
    cpu = _agent()
    cpu.load_state_dict(graphed.state_dict())
    obs = np.zeros((2, 4), np.float32)
    np.testing.assert_allclose(cpu.act(obs, True), graphed.act(obs, True), atol=1e-6)
