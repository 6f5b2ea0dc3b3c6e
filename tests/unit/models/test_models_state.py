"""GaussianEnsemble state: a plain tensor state_dict that round-trips through weights_only loads."""

from __future__ import annotations

import io

import torch

from boundcheck.models import GaussianEnsemble, train_ensemble

from .support import ACT_DIM, OBS_DIM, small_config


def test_state_dict_round_trip_reproduces_predictions(make_model) -> None:
    config = small_config()
    model = make_model(seed=0, config=config)
    gen = torch.Generator().manual_seed(0)
    inputs = 2.0 + torch.randn(300, OBS_DIM + ACT_DIM, generator=gen)
    targets = torch.randn(300, 1 + OBS_DIM, generator=gen)
    train_ensemble(model, inputs, targets, config, gen, max_epochs=2)
    with torch.no_grad():
        model.elites.copy_(torch.tensor([3, 0]))  # non-default elites must survive too

    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    assert {"elites", "normalizer.mean", "normalizer.std", "max_logvar"} <= set(state)
    loaded = GaussianEnsemble.from_state_dict(OBS_DIM, ACT_DIM, config, state)

    assert loaded.elites.tolist() == [3, 0]
    obs, act = inputs[:50, :OBS_DIM], inputs[:50, OBS_DIM:]
    for a, b in zip(model.mean_and_var(obs, act), loaded.mean_and_var(obs, act), strict=True):
        assert torch.equal(a, b)
    s1 = model.sample_step(obs, act, torch.Generator().manual_seed(3))
    s2 = loaded.sample_step(obs, act, torch.Generator().manual_seed(3))
    assert torch.equal(s1[0], s2[0]) and torch.equal(s1[1], s2[1])
