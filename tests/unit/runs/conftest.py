"""Small checkpoint contents shared by the run-directory tests (no SAC or model classes)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from boundcheck.runs import Retention, RunDir


def _policy_state(epoch: int) -> dict[str, Any]:
    """Shaped like a SAC checkpoint: networks, log-alpha, optimizer states, counters."""
    g = torch.Generator().manual_seed(epoch)
    actor = {"net.0.weight": torch.randn(4, 3, generator=g), "net.0.bias": torch.zeros(4)}
    return {
        "actor": actor,
        "critics": [{"q.weight": torch.randn(1, 4, generator=g)} for _ in range(2)],
        "log_alpha": torch.tensor(-1.5),
        "optimizers": {"actor": {"state": {0: {"step": torch.tensor(3.0)}}, "param_groups": []}},
        "env_steps": 1000 * (epoch + 1),
    }


def _buffer_state(epoch: int) -> dict[str, np.ndarray]:
    """Two transitions per epoch plus two exploration ones (epoch -1), oldest first."""
    labels = np.repeat(np.arange(-1, epoch + 1), 2)
    return {"obs": np.arange(labels.size * 3, dtype=np.float32).reshape(-1, 3), "epoch": labels}


def _contents(epoch: int) -> dict[str, Any]:
    return {
        "policy": _policy_state(epoch),
        "model": {"w": torch.full((2,), float(epoch)), "elites": [0, 2]},
        "buffer": _buffer_state(epoch),
        "rng": {"format_version": 1, "numpy": {}, "torch": {}, "envs": {}},
    }


@pytest.fixture
def contents() -> Callable[[int], dict[str, Any]]:
    """``contents(epoch)``: keyword arguments for ``RunDir.save_checkpoint``."""
    return _contents


@pytest.fixture
def make_run(tmp_path: Path) -> Callable[..., RunDir]:
    """``make_run(n_epochs, retention=...)``: a run with checkpoints 0..n-1 and their metrics."""

    def make(n_epochs: int, retention: Retention | None = None) -> RunDir:
        run = RunDir.create(tmp_path / "run", {"algo": "mbpo", "model_checkpoint_stride": 1})
        for epoch in range(n_epochs):
            metrics = {"eval/return": float(epoch)}
            run.save_checkpoint(epoch, **_contents(epoch), metrics=metrics, retention=retention)
        return run

    return make
