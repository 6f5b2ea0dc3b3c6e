"""TensorBoard event files beside ``metrics.jsonl``: the same metric names, real steps as the
step, so ``tensorboard --logdir runs/`` (or a sweep directory) shows every run live.

Written with TensorBoard's own writer (``torch.utils.tensorboard.SummaryWriter``) into the run
directory itself. Every numeric, finite scalar of an epoch's record becomes one scalar event
(lists and text are left to ``metrics.jsonl``, the record of truth). A resumed run purges the
events after its last checkpoint (``purge_step``), so the epochs a crash interrupted are not
shown twice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: The step of an event: real environment steps (exploration included), as ``plot-runs``.
STEP_KEY = "env_steps"


class EventLog:
    """One run's event writer (a context manager; closes and flushes on exit)."""

    def __init__(self, run_path: Path, *, resume_after_step: int | None = None) -> None:
        from torch.utils.tensorboard import SummaryWriter

        purge = None if resume_after_step is None else resume_after_step + 1
        self._writer = SummaryWriter(log_dir=str(run_path), purge_step=purge)

    def write(self, record: Mapping[str, Any]) -> None:
        """One epoch's record as scalar events at its real step; flushed at once."""
        step = int(record[STEP_KEY])
        for key, value in record.items():
            if key in ("epoch", STEP_KEY):
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool) \
                    and math.isfinite(value):
                self._writer.add_scalar(key, float(value), global_step=step)
        self._writer.flush()

    def close(self) -> None:
        """Flush and close the event file."""
        self._writer.close()

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
