"""The run directory every analysis reads (layout and guarantees: docs/run-directory.md).

::

    <run>/config.json                      resolved config + provenance (written once)
    <run>/metrics.jsonl                    one JSON object per epoch, appended
    <run>/checkpoints/epoch_0007/          one directory per epoch (0-based)
        buffer.npz  model.pt  policy.pt  rng.json
        MANIFEST.json                      written last: the checkpoint's commit point

Writes are atomic (:mod:`boundcheck.runs.atomic`), loads verify checksums first and never
unpickle arbitrary objects (:mod:`boundcheck.runs.checkpoint_io`).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from boundcheck.runs import checkpoint_io as cio
from boundcheck.runs.atomic import (
    append_jsonl,
    atomic_write_json,
    fsync_dir,
    read_jsonl,
    remove_stale_tmp_files,
    rewrite_jsonl,
)
from boundcheck.runs.errors import (
    CheckpointCorruptError,
    CheckpointExistsError,
    CheckpointMissingError,
    RunError,
    RunNotFoundError,
)
from boundcheck.runs.fsutil import prepare_empty_dir, remove_tree
from boundcheck.runs.manifest import Manifest, read_manifest, verified_bytes, verify, write_manifest
from boundcheck.runs.provenance import provenance
from boundcheck.runs.retention import (
    BUFFER_FILE,
    MANIFEST_FILE,
    MODEL_FILE,
    POLICY_FILE,
    RESUME_FILE,
    RNG_FILE,
    Retention,
    prunable_files,
)

RUN_FORMAT = "boundcheck-run"
RUN_FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"
CHECKPOINTS_DIR = "checkpoints"
_EPOCH_DIR = re.compile(r"epoch_(\d+)")


@dataclass(frozen=True)
class RunDir:
    """A run directory on disk; every method reads or writes files, nothing is cached."""

    path: Path

    @classmethod
    def create(
        cls, path: Path | str, config: Any, *, force: bool = False, source_dir: Path | None = None
    ) -> RunDir:
        """Start a new run at ``path`` and write its ``config.json``.

        ``config`` is a config dataclass or its ``to_dict`` form. A non-empty existing directory
        raises :class:`RunExistsError` unless ``force``; even with ``force``, only a directory
        holding a boundcheck ``config.json`` is deleted (never an arbitrary folder).
        ``source_dir`` is where to look for the git revision (default: the package itself).
        """
        path = Path(path)
        prepare_empty_dir(path, force=force, is_run=_is_run)
        if dataclasses.is_dataclass(config) and not isinstance(config, type):
            config = dataclasses.asdict(config)
        atomic_write_json(
            path / CONFIG_FILE,
            {
                "format": RUN_FORMAT,
                "format_version": RUN_FORMAT_VERSION,
                "config": dict(config),
                "provenance": provenance(source_dir),
            },
        )
        (path / CHECKPOINTS_DIR).mkdir(exist_ok=True)
        fsync_dir(path)
        return cls(path)

    @classmethod
    def open(cls, path: Path | str) -> RunDir:
        """An existing run (:class:`RunNotFoundError` if ``path`` has no run ``config.json``)."""
        run = cls(Path(path))
        run.read_config()
        return run

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG_FILE

    @property
    def metrics_path(self) -> Path:
        return self.path / METRICS_FILE

    @property
    def checkpoints_path(self) -> Path:
        return self.path / CHECKPOINTS_DIR

    def checkpoint_path(self, epoch: int) -> Path:
        """Directory of ``epoch``'s checkpoint (which may not exist)."""
        return self.checkpoints_path / f"epoch_{epoch:04d}"

    def read_config(self) -> dict[str, Any]:
        """The whole ``config.json``: ``format``, ``format_version``, ``config``, ``provenance``."""
        if not self.path.is_dir():
            raise RunNotFoundError(f"{self.path}: no such run directory")
        try:
            raw = json.loads(self.config_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RunNotFoundError(f"{self.path}: not a run directory (no {CONFIG_FILE})") from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise RunError(f"{self.config_path}: not valid JSON") from None
        if not isinstance(raw, dict) or raw.get("format") != RUN_FORMAT:
            raise RunNotFoundError(f"{self.config_path}: not a boundcheck run configuration")
        if raw.get("format_version") != RUN_FORMAT_VERSION:
            version = raw.get("format_version")
            raise RunError(f"{self.config_path}: unsupported format_version {version!r}")
        return raw

    def append_metrics(self, record: Mapping[str, Any]) -> None:
        """Append one epoch's metrics (must hold an integer ``"epoch"``) to ``metrics.jsonl``."""
        epoch = record.get("epoch")
        if not isinstance(epoch, int) or isinstance(epoch, bool):
            raise RunError(f"metrics record needs an integer 'epoch', got {epoch!r}")
        append_jsonl(self.metrics_path, record)

    def read_metrics(self) -> list[dict[str, Any]]:
        """Every complete metrics record, in file order (a torn last line is ignored)."""
        return read_jsonl(self.metrics_path)

    def epochs(self) -> list[int]:
        """Epochs whose checkpoint has a manifest, ascending (files not re-hashed here)."""
        dirs = self._checkpoint_dirs()
        return sorted(e for e, d in dirs.items() if (d / MANIFEST_FILE).is_file())

    def model_epochs(self) -> list[int]:
        """Epochs whose checkpoint holds a model (on the stride, the last, or the newest)."""
        return [e for e in self.epochs() if MODEL_FILE in self.manifest(e).files]

    def manifest(self, epoch: int) -> Manifest:
        """The manifest of ``epoch`` (:class:`CheckpointMissingError` if it has none)."""
        manifest = read_manifest(self.checkpoint_path(epoch))
        if manifest is None:
            raise CheckpointMissingError(
                f"{self.path}: no complete checkpoint for epoch {epoch} "
                f"(complete: {_fmt(self.epochs())})"
            )
        if manifest.epoch != epoch:
            raise CheckpointCorruptError(
                f"{self.checkpoint_path(epoch)}: manifest says epoch {manifest.epoch}, "
                "refusing to load"
            )
        return manifest

    def verify(self, epoch: int) -> None:
        """Check every file of ``epoch``'s checkpoint against its manifest."""
        verify(self.checkpoint_path(epoch), self.manifest(epoch))

    def latest_complete_epoch(self) -> int | None:
        """Newest epoch whose checkpoint has a manifest and verifies; ``None`` if there is none.

        Directories without a manifest (a save killed midway) are skipped. A manifest whose files
        do not verify raises :class:`CheckpointCorruptError` rather than silently falling back:
        atomic writes cannot produce one, so something else damaged the run.
        """
        epochs = self.epochs()
        if not epochs:
            return None
        self.verify(epochs[-1])
        return epochs[-1]

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
        complete = self.epochs()
        for epoch in complete[:-1]:
            directory = self.checkpoint_path(epoch)
            manifest = self.manifest(epoch)
            drop = prunable_files(epoch, complete[-1], retention) & set(manifest.files)
            if drop:
                write_manifest(directory, manifest.without(drop))
                for name in drop:
                    (directory / name).unlink(missing_ok=True)

    def load_policy(self, epoch: int, *, map_location: Any = "cpu") -> dict[str, Any]:
        """The policy dict saved at ``epoch`` (checksum verified, ``weights_only`` load)."""
        return cio.load_torch(*self._read(epoch, POLICY_FILE), map_location)

    def load_model(self, epoch: int, *, map_location: Any = "cpu") -> dict[str, Any]:
        """The model dict saved at ``epoch``; :class:`CheckpointMissingError` if it has none."""
        if MODEL_FILE not in self.manifest(epoch).files:
            raise CheckpointMissingError(
                f"{self.path}: epoch {epoch} has no model checkpoint "
                f"(epochs with a model: {_fmt(self.model_epochs())})"
            )
        return cio.load_torch(*self._read(epoch, MODEL_FILE), map_location)

    def load_buffer(self, epoch: int) -> dict[str, np.ndarray]:
        """The real buffer saved at ``epoch``; only the newest checkpoint keeps one by default.

        For an older epoch use ``select_by_epoch(run.load_buffer(run.latest_complete_epoch()),
        range(-1, epoch + 1))`` (see :mod:`boundcheck.runs.retention`).
        """
        if BUFFER_FILE not in self.manifest(epoch).files:
            raise CheckpointMissingError(
                f"{self.path}: epoch {epoch} keeps no buffer (pruned after a newer checkpoint); "
                "slice the newest checkpoint's buffer by its 'epoch' column instead"
            )
        return cio.load_arrays(*self._read(epoch, BUFFER_FILE))

    def load_resume(self, epoch: int) -> dict[str, np.ndarray] | None:
        """The exact-resume arrays of ``epoch`` (None if it kept none)."""
        if RESUME_FILE not in self.manifest(epoch).files:
            return None
        return cio.load_arrays(*self._read(epoch, RESUME_FILE))

    def load_rng(self, epoch: int) -> dict[str, Any]:
        """The RNG states saved at ``epoch`` (for :func:`~boundcheck.runs.rng.restore_rng`)."""
        path, data = self._read(epoch, RNG_FILE)
        try:
            state = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise CheckpointCorruptError(f"{path}: not valid JSON, refusing to load") from None
        if not isinstance(state, dict):
            raise CheckpointCorruptError(f"{path}: not a JSON object, refusing to load")
        return state

    def prepare_resume(self) -> int | None:
        """Make the directory consistent with its last complete checkpoint; return that epoch.

        Removes checkpoint directories without a manifest and leftover temporary files, and
        drops metrics records of later epochs (and a torn last line). ``None``: no complete
        checkpoint, so the run must start over (metrics are then emptied).
        """
        latest = self.latest_complete_epoch()
        remove_stale_tmp_files(self.path)
        for trash in self.checkpoints_path.glob(".*.deleting-*"):
            remove_tree(trash)
        for directory in self._checkpoint_dirs().values():
            if not (directory / MANIFEST_FILE).is_file():
                remove_tree(directory)
            else:
                remove_stale_tmp_files(directory)
        if self.metrics_path.exists():
            keep = [r for r in self.read_metrics() if latest is not None and _epoch_of(r) <= latest]
            rewrite_jsonl(self.metrics_path, keep)
        return latest

    def _read(self, epoch: int, name: str) -> tuple[Path, bytes]:
        directory = self.checkpoint_path(epoch)
        return directory / name, verified_bytes(directory, self.manifest(epoch), name)

    def _checkpoint_dirs(self) -> dict[int, Path]:
        if not self.checkpoints_path.is_dir():
            return {}
        out = {}
        for d in self.checkpoints_path.iterdir():
            match = _EPOCH_DIR.fullmatch(d.name)
            if match and d.is_dir():
                out[int(match.group(1))] = d
        return out


def _is_run(path: Path) -> bool:
    try:
        RunDir(path).read_config()
    except RunError:
        return False
    return True


def _epoch_of(record: Mapping[str, Any]) -> int:
    epoch = record.get("epoch")
    return epoch if isinstance(epoch, int) else -(2**62)


def _fmt(epochs: list[int]) -> str:
    return ", ".join(map(str, epochs)) if epochs else "none"
