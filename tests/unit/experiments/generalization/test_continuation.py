"""The snapshot rule's KL grid (:mod:`boundcheck.experiments.generalization.continuation`)."""

from __future__ import annotations

import pytest

from boundcheck.experiments.generalization.continuation import kl_grid


def test_kl_grid_is_geometric() -> None:
    grid = kl_grid(0.01, 1.0, 3)
    assert grid == pytest.approx([0.01, 0.1, 1.0])
    assert kl_grid(0.01, 1.0, 1) == [1.0]
    with pytest.raises(ValueError):
        kl_grid(0.0, 1.0, 3)
