"""The writing half of :class:`~boundcheck.runs.RunDir`: checkpoints, pruning, resume.

Every method here needs the run's writer lock (``_require_writer``); see
docs/run-directory.md for the guarantees (atomic files, the manifest written last, metrics
appended before the checkpoint, resume rolled back to the last complete checkpoint).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from boundcheck.runs import checkpoint_io as cio
from boundcheck.runs.atomic import read_jsonl, remove_stale_tmp_files, rewrite_jsonl
from boundcheck.runs.errors import CheckpointExistsError, RunError
from boundcheck.runs.fsutil import remove_tree
from boundcheck.runs.manifest import Manifest, write_manifest
from boundcheck.runs.prepare import trash_dirs
from boundcheck.runs.retention import MANIFEST_FILE, Retention, prunable_files


class CheckpointWriter:
    """Writers of :class:`~boundcheck.runs.RunDir` (a mixin: it provides the paths, the
    readers and ``_require_writer``)."""

    path: Path

    @property
    def metrics_path(self) -> Path:
        raise NotImplementedError

    @property
    def checkpoints_path(self) -> Path:
        raise NotImplementedError

    def checkpoint_path(self, epoch: int) -> Path:
        raise NotImplementedError

    def epochs(self) -> list[int]:
        raise NotImplementedError

    def manifest(self, epoch: int) -> Manifest:
        raise NotImplementedError

    def latest_complete_epoch(self) -> int | None:
        raise NotImplementedError

    def append_metrics(self, record: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def _require_writer(self) -> None:
        raise NotImplementedError

    def _checkpoint_dirs(self) -> dict[int, Path]:
        raise NotImplementedError

    def save_checkpoint(
        self,
        epoch: int,
        *,
        policy: Mapping[str, Any],
        rng: Mapping[str, Any],
        buffer: Mapping[str, np.ndarray],
        model: Mapping[str, Any] | None = None,
        metrics: Mapping[str, Any] | None = None,
        retention: Retention | None = None,
        resume: Mapping[str, np.ndarray] | None = None,
    ) -> Path:
        """Write ``epoch``'s checkpoint, then thin older checkpoints per ``retention``.

        ``retention`` defaults to ``Retention()``: every model kept, only the newest buffer.

        ``policy``/``model``: nested dicts of tensors and plain scalars (checked loadable with
        ``weights_only=True`` before anything is written). ``buffer``: arrays with a 1-D integer
        ``"epoch"`` (see :func:`~boundcheck.runs.retention.check_buffer`). ``rng``: JSON-able
        (:func:`~boundcheck.runs.rng.capture_rng`). ``metrics``, if given, is appended to
        ``metrics.jsonl`` *before* the checkpoint, so a kill in between is rolled back by
        :meth:`prepare_resume`, never leaving a checkpoint without its metrics. ``resume``:
        arrays only an exact resume needs (kept in the newest checkpoint only).
        """
        self._require_writer()
        existing = self.epochs()
        if existing and epoch <= existing[-1]:
            raise CheckpointExistsError(
                f"{self.path}: cannot write epoch {epoch}, "
                f"a checkpoint for epoch {existing[-1]} exists"
            )
        payload = cio.encode(policy=policy, model=model, buffer=buffer, rng=rng, resume=resume)
        if metrics is not None:
            if metrics.get("epoch", epoch) != epoch:
                raise RunError(f"metrics say epoch {metrics['epoch']}, checkpoint is epoch {epoch}")
            self.append_metrics({"epoch": epoch, **metrics})
        directory = self.checkpoint_path(epoch)
        if directory.exists():  # a save killed midway (no manifest, else epochs() had it)
            remove_tree(directory)
        cio.write(directory, epoch, payload)
        self.prune(retention or Retention())
        return directory

    def prune(self, retention: Retention) -> None:
        """Drop files that older checkpoints no longer need (manifest updated before deleting)."""
        self._require_writer()
        complete = self.epochs()
        for epoch in complete[:-1]:
            directory = self.checkpoint_path(epoch)
            manifest = self.manifest(epoch)
            drop = prunable_files(epoch, complete[-1], retention) & set(manifest.files)
            if drop:
                write_manifest(directory, manifest.without(drop))
                for name in drop:
                    (directory / name).unlink(missing_ok=True)

    def prepare_resume(self) -> int | None:
        """Make the directory consistent with its last complete checkpoint; return that epoch.

        Removes checkpoint directories without a manifest and leftover temporary files, and
        drops metrics records of later epochs (and a torn last line). ``None``: no complete
        checkpoint, so the run must start over (metrics are then emptied).
        """
        self._require_writer()
        latest = self.latest_complete_epoch()
        remove_stale_tmp_files(self.path)
        for trash in [*self.checkpoints_path.glob(".*.deleting-*"), *trash_dirs(self.path)]:
            remove_tree(trash)
        for directory in self._checkpoint_dirs().values():
            if not (directory / MANIFEST_FILE).is_file():
                remove_tree(directory)
            else:
                remove_stale_tmp_files(directory)
        if self.metrics_path.exists():
            records = read_jsonl(self.metrics_path)
            keep = [r for r in records if latest is not None and _epoch_of(r) <= latest]
            rewrite_jsonl(self.metrics_path, keep)
        return latest


def _epoch_of(record: Mapping[str, Any]) -> int:
    epoch = record.get("epoch")
    return epoch if isinstance(epoch, int) else -(2**62)
