"""The ensemble and its trainer on a GPU (skipped where CUDA is not available)."""

from __future__ import annotations

import io

import pytest
import torch

from boundcheck.models import GaussianEnsemble, make_optimizer, train_ensemble

from .support import ACT_DIM, OBS_DIM, small_config

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@pytest.mark.parametrize("generator_device", ["cuda", "cpu"])
def test_train_sample_and_reload_on_cuda(generator_device: str) -> None:
    config = small_config(batch_size=64)
    gen = torch.Generator(device=generator_device).manual_seed(0)
    model = GaussianEnsemble(OBS_DIM, ACT_DIM, config, generator=gen, device="cuda")
    x = torch.randn(500, OBS_DIM + ACT_DIM, device="cuda")
    y = x[:, :1 + OBS_DIM] * 2.0 + 0.1 * torch.randn(500, 1 + OBS_DIM, device="cuda")
    optimizer = make_optimizer(model, config)
    first = train_ensemble(model, x, y, config, gen, max_epochs=10, optimizer=optimizer)
    second = train_ensemble(model, x, y, config, gen, max_epochs=10, optimizer=optimizer)
    assert min(second["holdout_mse_members"]) < first["holdout_mse_history"][0][0]
    assert model.elites.device.type == "cuda"

    obs, act = x[:300, :OBS_DIM], x[:300, OBS_DIM:]
    next_obs, reward = model.sample_step(obs, act, gen, chunk_size=128)
    assert next_obs.device.type == "cuda" and next_obs.shape == (300, OBS_DIM)
    assert reward.shape == (300,) and bool(torch.isfinite(reward).all())
    mean, var = model.mean_and_var(obs, act, elites_only=True)
    assert mean.shape == var.shape == (config.num_elites, 300, 1 + OBS_DIM)

    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True, map_location="cpu")
    cpu_model = GaussianEnsemble.from_state_dict(OBS_DIM, ACT_DIM, config, state)
    cpu_mean, _ = cpu_model.mean_and_var(obs.cpu(), act.cpu(), elites_only=True)
    torch.testing.assert_close(cpu_mean, mean.cpu(), atol=1e-4, rtol=1e-4)
