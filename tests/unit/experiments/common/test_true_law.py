"""When the true transition law is known (:func:`boundcheck.experiments.common.collect.
true_law_std`): only with known Gaussian transition and reward noise on a task whose state is
not wrapped."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from boundcheck.config import BASE
from boundcheck.envs import get_spec, make_env
from boundcheck.experiments.common.collect import true_law_std


@pytest.mark.parametrize(
    ("env", "noise", "reward_noise", "needle"),
    [
        ("InvertedPendulum-v5", 0.0, 0.0, "deterministic"),
        ("InvertedPendulum-v5", 0.01, 0.0, "reward_noise is 0"),
        ("Pendulum-v1", 0.01, 0.01, "angles"),
    ],
)
def test_true_law_unavailable(env: str, noise: float, reward_noise: float, needle: str) -> None:
    spec = get_spec(env)
    config = dataclasses.replace(BASE, env=env, transition_noise=noise,
                                 reward_noise=reward_noise)
    std, reason = true_law_std(make_env(spec, transition_noise=noise, reward_noise=reward_noise),
                               spec, config)
    assert std is None and reason is not None and needle in reason


def test_true_law_known() -> None:
    spec = get_spec("InvertedPendulum-v5")
    config = dataclasses.replace(BASE, env=spec.name, transition_noise=0.01, reward_noise=0.05)
    std, reason = true_law_std(make_env(spec, transition_noise=0.01, reward_noise=0.05), spec,
                               config)
    assert reason is None and std is not None
    np.testing.assert_allclose(std, [0.05] + [0.01] * spec.obs_dim)
