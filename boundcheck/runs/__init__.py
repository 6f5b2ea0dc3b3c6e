"""Run directories: config, metrics, atomic checksummed checkpoints, resume.

See docs/run-directory.md for the layout, the one-writer lock and the guarantees. RNG capture
lives in :mod:`boundcheck.runs.rng` (imports torch); importing this package does not import
torch.
"""

from __future__ import annotations

from boundcheck.runs.errors import (
    CheckpointContentError,
    CheckpointCorruptError,
    CheckpointExistsError,
    CheckpointMissingError,
    MetricsCorruptError,
    RngStateError,
    RunConfigError,
    RunError,
    RunExistsError,
    RunLockedError,
    RunNotFoundError,
)
from boundcheck.runs.lock import RunLock
from boundcheck.runs.retention import (
    BUFFER_EPOCH_KEY,
    Retention,
    select_by_epoch,
    should_save_model,
)
from boundcheck.runs.rundir import RunDir

__all__ = [
    "BUFFER_EPOCH_KEY",
    "CheckpointContentError",
    "CheckpointCorruptError",
    "CheckpointExistsError",
    "CheckpointMissingError",
    "MetricsCorruptError",
    "Retention",
    "RngStateError",
    "RunConfigError",
    "RunDir",
    "RunError",
    "RunExistsError",
    "RunLock",
    "RunLockedError",
    "RunNotFoundError",
    "select_by_epoch",
    "should_save_model",
]
