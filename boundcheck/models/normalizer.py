"""Input standardization for the dynamics ensemble (the original ``TensorStandardScaler``)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

#: Standard deviations below this are replaced by 1, as in the original code.
STD_FLOOR = 1e-12


class Normalizer(nn.Module):
    """Per-feature standardization ``(x - mean) / std`` with ``mean``/``std`` stored as buffers.

    Args:
        dim: number of input features (``obs_dim + act_dim`` for the ensemble).
        device: where the buffers live.
        dtype: floating dtype of the buffers.

    Before :meth:`fit` is called it is the identity (mean 0, std 1).
    """

    mean: Tensor
    std: Tensor

    def __init__(
        self, dim: int, *, device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim, device=device, dtype=dtype))
        self.register_buffer("std", torch.ones(dim, device=device, dtype=dtype))

    @torch.no_grad()
    def fit(self, x: Tensor) -> None:
        """Set ``mean``/``std`` to the column statistics of ``x`` [N, dim] (population std).

        Columns whose std is below :data:`STD_FLOOR` (constant features) get std 1, so they
        are only centred, never blown up.
        """
        x = x.to(device=self.mean.device, dtype=self.mean.dtype)
        std = x.std(dim=0, correction=0)
        std = torch.where(std < STD_FLOOR, torch.ones_like(std), std)
        self.mean.copy_(x.mean(dim=0))
        self.std.copy_(std)

    def forward(self, x: Tensor) -> Tensor:
        """Standardize ``x`` [..., dim]."""
        return (x - self.mean) / self.std
