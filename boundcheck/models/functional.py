"""The ensemble's forward pass as pure functions of its parameters (paper Appendix C; the
layout and the log-variance clamp: :mod:`boundcheck.models.ensemble`). The fused model, the
training losses (:mod:`boundcheck.models.losses`) and the compiled training step
(:mod:`boundcheck.models.fast_step`) all evaluate the members through these.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from torch.nn.functional import silu, softplus

__all__ = ["ensemble_mean", "ensemble_mlp", "mlp_outputs"]


def mlp_outputs(weights: Sequence[Tensor], biases: Sequence[Tensor], x: Tensor, *,
                 inplace: bool) -> Tensor:
    """The raw last-layer outputs [M, B, 2 D] (means, then raw log-variances)."""
    h = x
    last = len(weights) - 1
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        h = torch.baddbmm(b, h, w)
        if i < last:
            h = silu(h, inplace=inplace)
    return h


def ensemble_mean(weights: Sequence[Tensor], biases: Sequence[Tensor], x: Tensor, out_dim: int,
                  *, inplace: bool = False) -> Tensor:
    """The members' means [M, B, ``out_dim``] alone: the forward pass of a deterministic model
    (docs/trainer.md, "Ablations"), whose variance columns are never used."""
    return mlp_outputs(weights, biases, x, inplace=inplace)[..., :out_dim]


def ensemble_mlp(weights: Sequence[Tensor], biases: Sequence[Tensor], max_logvar: Tensor,
                 min_logvar: Tensor, x: Tensor, *, inplace: bool = False) -> tuple[Tensor, Tensor]:
    """The members' forward pass as a pure function: ``(mean, logvar)``, each [M, B, D].

    ``weights``/``biases`` are per layer [M, in, out] / [M, 1, out]; the last layer outputs
    ``2 D`` columns (means, then raw log-variances soft-clamped into the learned bounds
    ``min_logvar``/``max_logvar`` [1, D]). ``inplace`` activations only without autograd.
    """
    h = mlp_outputs(weights, biases, x, inplace=inplace)
    out_dim = max_logvar.shape[-1]
    mean, raw = h[..., :out_dim], h[..., out_dim:]
    logvar = max_logvar - softplus(max_logvar - raw)
    logvar = min_logvar + softplus(logvar - min_logvar)
    return mean, logvar
