"""The GEMM floor (bench/floor.py) lists exactly the matrix products the real steps perform.

torch's own FLOP counter, run on the eager ensemble training step and the eager SAC update,
must count the same FLOP as the floor's product list: a list that missed or invented a product
would make the floor (and the speed-up ceiling the benchmarks report) wrong.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from bench.floor import ensemble_step_gemms, gemm_step, gflop, mlp_gemms, sac_update_gemms
from boundcheck.agents import SAC
from boundcheck.config import EnsembleConfig, SACConfig
from boundcheck.models import GaussianEnsemble, make_optimizer
from boundcheck.models.trainer import train_step


def _counted_gflop(fn: Callable[[], object]) -> float:
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops() / 1e9


@pytest.mark.parametrize(("obs_dim", "act_dim", "width", "depth"), [(11, 3, 200, 4), (5, 2, 32, 2)])
def test_ensemble_floor_matches_the_training_step(obs_dim: int, act_dim: int, width: int,
                                                  depth: int) -> None:
    config = EnsembleConfig(hidden_width=width, num_hidden=depth,
                            weight_decay=tuple([1e-4] * (depth + 1)))
    gen = torch.Generator().manual_seed(0)
    model = GaussianEnsemble(obs_dim, act_dim, config, generator=gen)
    optimizer = make_optimizer(model, config)
    rows, in_dim, out_dim = 64, obs_dim + act_dim, obs_dim + 1
    x = torch.randn(config.num_members, rows, in_dim, generator=gen)
    y = torch.randn(config.num_members, rows, out_dim, generator=gen)
    counted = _counted_gflop(lambda: train_step(model, optimizer, x, y, config))
    floor = ensemble_step_gemms(in_dim, out_dim, width, depth, config.num_members, rows)
    assert gflop(floor) == pytest.approx(counted, rel=1e-12)


@pytest.mark.parametrize(("obs_dim", "act_dim", "width", "depth"), [(11, 3, 256, 2), (4, 1, 16, 3)])
def test_sac_floor_matches_the_update(obs_dim: int, act_dim: int, width: int, depth: int) -> None:
    config = SACConfig(hidden_width=width, num_hidden=depth)
    agent = SAC(obs_dim, act_dim, config, device="cpu",
                generator=torch.Generator().manual_seed(0))
    rows = 32
    batch = {"obs": torch.randn(rows, obs_dim), "act": torch.rand(rows, act_dim) * 2 - 1,
             "reward": torch.randn(rows), "next_obs": torch.randn(rows, obs_dim),
             "terminated": torch.zeros(rows)}
    counted = _counted_gflop(lambda: agent.update(batch))
    assert gflop(sac_update_gemms(obs_dim, act_dim, width, depth, rows)) == pytest.approx(
        counted, rel=1e-12)


def test_mlp_gemms_shapes_and_gemm_step_runs() -> None:
    gemms = mlp_gemms(8, [3, 5, 2], batch=2, weight_grads=True, input_grads_from=1)
    # forward of both layers, then per layer its weight gradient, and the input gradient of
    # the second layer only (the first layer's input is data).
    assert gemms == [(2, 8, 3, 5), (2, 8, 5, 2), (2, 3, 8, 5), (2, 5, 8, 2), (2, 8, 2, 5)]
    assert gflop(gemms) == pytest.approx(2 * 2 * 8 * (15 + 10 + 15 + 10 + 10) / 1e9)
    gemm_step(gemms, torch.Generator().manual_seed(0))()
