"""What each checkpoint keeps, and how to recover what older checkpoints no longer hold.

Every epoch's checkpoint is written whole (policy, model, real buffer, RNG states), so the
*latest* complete checkpoint always suffices to resume exactly (MBPO warm-starts its model, so
resuming needs the model of that very epoch, not the last one on the stride). Once a newer
checkpoint is complete, an older one is thinned:

* ``buffer.npz`` is removed: the real buffer only grows, and every transition carries the epoch
  of the policy that collected it, so the buffer as of an older epoch is a slice of the latest
  one (:func:`select_by_epoch`), exact as long as the buffer has not evicted anything (its
  capacity, ``replay_size``, exceeds the transitions collected so far).
* ``model.pt`` is removed unless the epoch is on the model stride (:func:`should_save_model`).

These are pure functions of epoch numbers; :class:`boundcheck.runs.RunDir` applies them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from boundcheck.runs.errors import CheckpointContentError

POLICY_FILE = "policy.pt"
MODEL_FILE = "model.pt"
BUFFER_FILE = "buffer.npz"
RNG_FILE = "rng.json"
#: Arrays only an exact resume needs (model buffer, simulator snapshot); newest checkpoint only.
RESUME_FILE = "resume.npz"
MANIFEST_FILE = "MANIFEST.json"
#: Name of the buffer array holding, per transition, the epoch of the collecting policy.
BUFFER_EPOCH_KEY = "epoch"


def should_save_model(epoch: int, last_epoch: int | None, stride: int) -> bool:
    """Whether the model of (0-based) ``epoch`` is kept for analysis.

    Kept at epochs 0, stride, 2*stride, ... and always at ``last_epoch`` (the run's final
    epoch, ``None`` if unknown). ``stride`` is ``TrainConfig.model_checkpoint_stride``.
    """
    if stride < 1:
        raise ValueError(f"model stride must be >= 1, got {stride}")
    return epoch % stride == 0 or epoch == last_epoch


@dataclass(frozen=True)
class Retention:
    """Which files older checkpoints keep once a newer checkpoint is complete.

    ``model_stride`` and ``last_epoch`` feed :func:`should_save_model`; ``keep_buffers`` keeps
    every epoch's buffer (costly: a buffer per epoch) instead of only the latest one.
    """

    model_stride: int = 1
    last_epoch: int | None = None
    keep_buffers: bool = False

    def __post_init__(self) -> None:
        if self.model_stride < 1:
            raise ValueError(f"model stride must be >= 1, got {self.model_stride}")


def prunable_files(epoch: int, newest_complete: int, retention: Retention) -> frozenset[str]:
    """Files that checkpoint ``epoch`` may drop, given that ``newest_complete`` is complete."""
    if epoch >= newest_complete:
        return frozenset()
    names = {RESUME_FILE}
    if not retention.keep_buffers:
        names.add(BUFFER_FILE)
    if not should_save_model(epoch, retention.last_epoch, retention.model_stride):
        names.add(MODEL_FILE)
    return frozenset(names)


def check_buffer(buffer: Mapping[str, np.ndarray]) -> int:
    """Validate a real-buffer dict for saving; return its number of transitions ``n``.

    It needs a 1-D integer array ``epoch`` (collecting policy's epoch per transition); every
    other array is either per-transition (leading dimension ``n``) or 0-d metadata.
    """
    if BUFFER_EPOCH_KEY not in buffer:
        raise CheckpointContentError(
            f"buffer needs a {BUFFER_EPOCH_KEY!r} array (collecting epoch of each transition)"
        )
    epochs = np.asarray(buffer[BUFFER_EPOCH_KEY])
    if epochs.ndim != 1 or not np.issubdtype(epochs.dtype, np.integer):
        raise CheckpointContentError(
            f"buffer[{BUFFER_EPOCH_KEY!r}] must be a 1-D integer array, got {epochs.dtype} "
            f"of shape {epochs.shape}"
        )
    n = int(epochs.shape[0])
    for key, value in buffer.items():
        arr = np.asarray(value)
        if arr.dtype == object:
            raise CheckpointContentError(f"buffer[{key!r}] has dtype object (not storable)")
        if arr.ndim > 0 and arr.shape[0] != n:
            raise CheckpointContentError(
                f"buffer[{key!r}] has {arr.shape[0]} rows, buffer[{BUFFER_EPOCH_KEY!r}] has {n}"
            )
    return n


def select_by_epoch(
    buffer: Mapping[str, np.ndarray], epochs: Iterable[int]
) -> dict[str, np.ndarray]:
    """Transitions collected by the policies of ``epochs`` (row order kept; 0-d entries kept).

    ``select_by_epoch(b, range(-1, e + 1))`` is the buffer as of the end of epoch ``e`` when
    exploration data is labelled -1 and nothing has been evicted.
    """
    n = check_buffer(buffer)
    mask = np.isin(np.asarray(buffer[BUFFER_EPOCH_KEY]), np.fromiter(epochs, dtype=np.int64))
    out: dict[str, np.ndarray] = {}
    for key, value in buffer.items():
        arr = np.asarray(value)
        out[key] = arr[mask] if arr.ndim > 0 and arr.shape[0] == n else arr
    return out
