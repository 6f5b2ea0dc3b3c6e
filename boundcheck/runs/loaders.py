"""Reading one checkpoint file safely: verified bytes, then a load that runs no code.

:class:`~boundcheck.runs.RunDir`'s loaders call these. A file is read once and its bytes are
checked against the manifest before they are deserialized. When a file listed in a manifest is
missing, the manifest is read again: a run in progress prunes older checkpoints (manifest
rewritten first, file deleted second), so a reader that raced the pruning gets
:class:`CheckpointMissingError` ("was pruned"), not a false corruption report.
"""

from __future__ import annotations

import json
import pickle
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from boundcheck.codec import loads
from boundcheck.runs import checkpoint_io as cio
from boundcheck.runs.errors import CheckpointCorruptError, CheckpointMissingError
from boundcheck.runs.manifest import Manifest, verified_bytes, verify
from boundcheck.runs.retention import BUFFER_FILE, MODEL_FILE, POLICY_FILE, RESUME_FILE, RNG_FILE

ManifestOf = Callable[[], Manifest]


class CheckpointLoaders:
    """The loaders of :class:`~boundcheck.runs.RunDir` (a mixin: it provides ``path``,
    ``manifest``, ``checkpoint_path`` and ``model_epochs``)."""

    path: Path

    def manifest(self, epoch: int) -> Manifest:
        raise NotImplementedError

    def checkpoint_path(self, epoch: int) -> Path:
        raise NotImplementedError

    def model_epochs(self) -> list[int]:
        raise NotImplementedError

    def load_policy(self, epoch: int, *, map_location: Any = "cpu") -> dict[str, Any]:
        """The policy dict saved at ``epoch`` (checksum verified, ``weights_only`` load)."""
        return load_torch(*self._read(epoch, POLICY_FILE), map_location)

    def load_model(self, epoch: int, *, map_location: Any = "cpu") -> dict[str, Any]:
        """The model dict saved at ``epoch``; :class:`CheckpointMissingError` if it has none."""
        if MODEL_FILE not in self.manifest(epoch).files:
            raise CheckpointMissingError(
                f"{self.path}: epoch {epoch} has no model checkpoint "
                f"(epochs with a model: {_fmt(self.model_epochs())})"
            )
        return load_torch(*self._read(epoch, MODEL_FILE), map_location)

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
        return load_arrays(*self._read(epoch, BUFFER_FILE))

    def load_resume(self, epoch: int) -> dict[str, np.ndarray] | None:
        """The exact-resume arrays of ``epoch`` (None if it kept none)."""
        if RESUME_FILE not in self.manifest(epoch).files:
            return None
        return load_arrays(*self._read(epoch, RESUME_FILE))

    def load_rng(self, epoch: int) -> dict[str, Any]:
        """The RNG states saved at ``epoch`` (for :func:`~boundcheck.runs.rng.restore_rng`)."""
        return load_json_object(*self._read(epoch, RNG_FILE))

    def _read(self, epoch: int, name: str) -> tuple[Path, bytes]:
        return read_verified(self.checkpoint_path(epoch), name,
                                     lambda: self.manifest(epoch))


def read_verified(directory: Path, name: str, manifest_of: ManifestOf) -> tuple[Path, bytes]:
    """``directory/name``'s bytes, checked against the manifest (re-read once if it changed)."""
    manifest = manifest_of()
    try:
        return directory / name, verified_bytes(directory, manifest, name)
    except CheckpointCorruptError:
        fresh = manifest_of()
        if fresh == manifest:
            raise
        return directory / name, verified_bytes(directory, fresh, name)


def verify_checkpoint(directory: Path, manifest_of: ManifestOf) -> None:
    """Check every file of a checkpoint (again against a fresh manifest if it changed)."""
    manifest = manifest_of()
    try:
        verify(directory, manifest)
    except CheckpointCorruptError:
        fresh = manifest_of()
        if fresh == manifest:
            raise
        verify(directory, fresh)


def load_torch(path: Path, data: bytes, map_location: Any) -> dict[str, Any]:
    """A torch dict loaded with ``weights_only=True``; anything else is refused in one line.

    A file that holds other objects than tensors, containers and plain scalars is "not a plain
    tensor file" and may be unsafe: it is refused, and no advice to load it otherwise is given.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about pickle protocols on stderr
        try:
            return cio.load_torch(path, data, map_location)
        except CheckpointCorruptError as exc:
            if isinstance(exc.__cause__, pickle.UnpicklingError):
                raise CheckpointCorruptError(
                    f"{path}: not a plain tensor file ({_what(exc.__cause__)}); it may be "
                    "unsafe, refusing to load") from None
            raise


def load_arrays(path: Path, data: bytes) -> dict[str, np.ndarray]:
    """Arrays of a verified ``.npz`` (``allow_pickle=False``)."""
    return cio.load_arrays(path, data)


def load_json_object(path: Path, data: bytes) -> dict[str, Any]:
    """A verified JSON object (``rng.json``)."""
    try:
        state = loads(data, allow_nan=True)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CheckpointCorruptError(f"{path}: not valid JSON, refusing to load") from None
    if not isinstance(state, dict):
        raise CheckpointCorruptError(f"{path}: not a JSON object, refusing to load")
    return state


def _fmt(epochs: list[int]) -> str:
    return ", ".join(map(str, epochs)) if epochs else "none"


def _what(err: BaseException) -> str:
    """What made the unpickler refuse, without torch's advice on how to load it anyway."""
    match = re.search(r"GLOBAL ([\w.]+)", str(err))
    if match:
        return f"it refers to {match.group(1)}, which is not a tensor, container or plain scalar"
    return "it holds something other than tensors, containers and plain scalars"
