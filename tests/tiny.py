"""The one tiny training configuration the tests share (seconds per run on one CPU thread).

``TINY`` as config overrides (for :func:`boundcheck.mbpo.setup.resolve_config`), ``TINY_SET``
as the same settings on a command line, ``TINY_TRAIN`` with the CPU, one thread and no
progress output added. Steps, task and evaluation episodes are left to each test.
"""

from __future__ import annotations

from typing import Any

TINY: dict[str, Any] = {
    "epoch_length": 100, "init_exploration_steps": 200, "model_train_freq": 50,
    "updates_per_step": 1, "rollout_batch_size": 200, "ensemble.max_epochs": 3,
    "ensemble.hidden_width": 32, "sac.hidden_width": 32,
}
TINY_SET: list[str] = [arg for key, value in TINY.items() for arg in ("--set", f"{key}={value}")]
TINY_TRAIN: list[str] = ["--threads", "1", "--device", "cpu", "--quiet", *TINY_SET]
