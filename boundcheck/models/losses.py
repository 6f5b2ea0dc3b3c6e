"""The losses of the model ensemble (Appendix C; jannerm/mbpo ``mbpo/models/bnn.py``
``_compile_losses``): the original training loss, the deterministic model's MSE-only form, and
the per-member holdout MSE and Gaussian NLL that :func:`boundcheck.models.trainer.train_ensemble`
uses to stop, snapshot and pick elites (the formulas: that module's doc, steps 4, 5 and 7).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from boundcheck.models.ensemble import GaussianEnsemble
from boundcheck.models.functional import ensemble_mean

__all__ = ["ensemble_loss", "ensemble_loss_terms", "holdout_mse", "holdout_nll",
           "mse_loss_terms"]


def ensemble_loss_terms(mean: Tensor, logvar: Tensor, y: Tensor, weights: Sequence[Tensor],
                        max_logvar: Tensor, min_logvar: Tensor, weight_decay: Sequence[float],
                        logvar_penalty: float) -> Tensor:
    """The original loss from the members' outputs ``mean``/``logvar`` [E, B, D] and parameters."""
    nll = ((mean - y).square() * torch.exp(-logvar) + logvar).mean(dim=(1, 2)).sum()
    # tf.nn.l2_loss(W) = sum(W^2) / 2, over all members' slices of the fused weight.
    decay = torch.stack([d * 0.5 * w.square().sum()
                         for d, w in zip(weight_decay, weights, strict=True)]).sum()
    bounds = logvar_penalty * (max_logvar.sum() - min_logvar.sum())
    return nll + decay + bounds


def mse_loss_terms(mean: Tensor, y: Tensor, weights: Sequence[Tensor],
                   weight_decay: Sequence[float]) -> Tensor:
    """A deterministic model's loss from its means [E, B, D]: ``sum_e mean_{b,d}(mu - y)^2``
    plus the same weight decay as :func:`ensemble_loss_terms` (over the whole last layer: its
    unused variance columns only shrink, the means do not depend on them)."""
    mse = (mean - y).square().mean(dim=(1, 2)).sum()
    decay = torch.stack([d * 0.5 * w.square().sum()
                         for d, w in zip(weight_decay, weights, strict=True)]).sum()
    return mse + decay


def ensemble_loss(model: GaussianEnsemble, x: Tensor, y: Tensor,
                  weight_decay: Sequence[float], logvar_penalty: float) -> Tensor:
    """Training loss on normalized inputs ``x`` [E, B, in] and targets ``y`` [E, B, D]: the
    original's, or :func:`mse_loss_terms` for a deterministic model."""
    if model.deterministic:
        weights = list(model.weights)
        return mse_loss_terms(ensemble_mean(weights, list(model.biases), x, model.out_dim), y,
                              weights, weight_decay)
    out: tuple[Tensor, Tensor] = model(x)
    return ensemble_loss_terms(*out, y, list(model.weights), model.max_logvar, model.min_logvar,
                               weight_decay, logvar_penalty)


@torch.no_grad()
def holdout_mse(model: GaussianEnsemble, x: Tensor, y: Tensor) -> Tensor:
    """Per-member MSE [E] on normalized inputs ``x`` [H, in] and targets ``y`` [H, D]."""
    out: tuple[Tensor, Tensor] = model(x.unsqueeze(0).expand(model.num_members, -1, -1))
    return (out[0] - y).square().mean(dim=(1, 2))


@torch.no_grad()
def holdout_nll(model: GaussianEnsemble, x: Tensor, y: Tensor) -> Tensor:
    """Per-member Gaussian NLL [E] in nats per row (summed over the D target dims, with the
    ``log 2 pi`` constant), averaged over the rows of ``x`` [H, in] (normalized), ``y`` [H, D].

    NaN for every member of a deterministic model: a point mass has no density (docs/trainer.md,
    "Ablations")."""
    if model.deterministic:
        return torch.full((model.num_members,), math.nan, device=model.device, dtype=model.dtype)
    out: tuple[Tensor, Tensor] = model(x.unsqueeze(0).expand(model.num_members, -1, -1))
    mean, logvar = out
    per_dim = (mean - y).square() * torch.exp(-logvar) + logvar + math.log(2.0 * math.pi)
    return 0.5 * per_dim.sum(dim=2).mean(dim=1)
