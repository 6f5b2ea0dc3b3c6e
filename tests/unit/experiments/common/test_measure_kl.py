"""KL(π ‖ π_D) with π_D's action law computed once (the continuation's per-update check)."""

from __future__ import annotations

import torch

from boundcheck.agents.networks import init_actor
from boundcheck.experiments.common.measure import action_law, kl_to, mean_kl


def _actor(seed: int) -> list[torch.Tensor]:
    return init_actor(5, 2, 16, 2, device=torch.device("cpu"),
                      generator=torch.Generator().manual_seed(seed))


def test_a_precomputed_reference_law_gives_the_same_kl_bit_for_bit() -> None:
    obs = torch.randn(300, 5, generator=torch.Generator().manual_seed(2))
    pi, pi_d = _actor(0), _actor(1)
    law_d = action_law(pi_d, obs)
    assert torch.equal(kl_to(pi, law_d, obs), mean_kl(pi, pi_d, obs))
    assert float(kl_to(pi, law_d, obs).min()) > 0.0
    assert torch.equal(kl_to(pi_d, law_d, obs), torch.zeros(300))
