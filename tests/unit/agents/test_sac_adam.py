"""The functional Adam reproduces torch.optim.Adam."""

from __future__ import annotations

import pytest
import torch

from boundcheck.agents.adam import AdamState, adam_step_


@pytest.mark.parametrize("capturable", [True, False])
def test_matches_torch_adam(capturable: bool) -> None:
    g = torch.Generator().manual_seed(0)
    start = [torch.randn(5, 4, generator=g), torch.randn(3, generator=g),
             torch.randn((), generator=g)]
    mine = [p.clone() for p in start]
    state = AdamState.zeros_like(mine)
    ref = [p.clone().requires_grad_() for p in start]
    opt = torch.optim.Adam(ref, lr=3e-4)
    for _ in range(30):
        grads = [torch.randn(p.shape, generator=g) for p in start]
        adam_step_(mine, grads, state, lr=3e-4, capturable=capturable)
        for r, grad in zip(ref, grads, strict=True):
            r.grad = grad.clone()
        opt.step()
    assert float(state.step) == 30
    for a, b in zip(mine, ref, strict=True):
        torch.testing.assert_close(a, b.detach(), atol=1e-6, rtol=0)


def test_state_dict_round_trip() -> None:
    params = [torch.ones(3)]
    state = AdamState.zeros_like(params)
    adam_step_(params, [torch.full((3,), 2.0)], state, lr=0.1)
    other = AdamState.zeros_like(params)
    other.load_state_dict(state.state_dict())
    assert float(other.step) == 1
    torch.testing.assert_close(other.exp_avg[0], state.exp_avg[0])
    with pytest.raises(ValueError):
        AdamState.zeros_like([torch.ones(3), torch.ones(2)]).load_state_dict(state.state_dict())
