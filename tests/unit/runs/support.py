"""Small checkpoint contents shared by the run-directory tests (imported, unlike conftest; no
SAC or model classes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
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


def checkpoint_contents(epoch: int) -> dict[str, Any]:
    """Keyword arguments for ``RunDir.save_checkpoint`` at ``epoch``."""
    return {
        "policy": _policy_state(epoch),
        "model": {"w": torch.full((2,), float(epoch)), "elites": [0, 2]},
        "buffer": _buffer_state(epoch),
        "rng": {"format_version": 1, "numpy": {}, "torch": {}, "envs": {}},
    }


def make_run(path: Path, n_epochs: int, retention: Retention | None = None) -> RunDir:
    """A run at ``path`` with checkpoints 0..n-1 and their metrics (the lock held)."""
    run = RunDir.create(path, {"algo": "mbpo", "model_checkpoint_stride": 1})
    for epoch in range(n_epochs):
        metrics = {"eval/return": float(epoch)}
        run.save_checkpoint(epoch, **checkpoint_contents(epoch), metrics=metrics,
                            retention=retention)
    return run
