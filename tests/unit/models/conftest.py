"""Shared helpers for the dynamics-ensemble tests: small configs so that training stays fast."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from boundcheck.config import EnsembleConfig
from boundcheck.models import GaussianEnsemble

from .support import ACT_DIM, OBS_DIM, small_config


@pytest.fixture
def make_model() -> Callable[..., GaussianEnsemble]:
    """Factory: ``make_model(seed, config=None, dtype=float32)`` on the CPU."""

    def make(seed: int = 0, config: EnsembleConfig | None = None,
             dtype: torch.dtype = torch.float32) -> GaussianEnsemble:
        gen = torch.Generator().manual_seed(seed)
        return GaussianEnsemble(OBS_DIM, ACT_DIM, config or small_config(), generator=gen,
                                dtype=dtype)

    return make
