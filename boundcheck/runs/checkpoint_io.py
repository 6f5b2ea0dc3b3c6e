"""Serializing checkpoint payloads without ever unpickling arbitrary objects.

Torch payloads (policy, model) are saved with ``torch.save`` and loaded only with
``torch.load(..., weights_only=True)``, which rebuilds tensors, containers and plain scalars but
refuses any other global (a custom class, ``os.system``, ...) instead of calling it. Because a
payload that ``weights_only`` cannot load would only fail at resume time, :func:`torch_bytes`
test-loads it at save time. Arrays (the real buffer) are ``.npz`` files saved and loaded with
``allow_pickle=False``.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from boundcheck.runs.atomic import (
    FileDigest,
    atomic_savez,
    atomic_write_bytes,
    atomic_write_text,
    fsync_dir,
)
from boundcheck.runs.errors import CheckpointContentError, CheckpointCorruptError
from boundcheck.runs.manifest import Manifest, write_manifest
from boundcheck.runs.retention import (
    BUFFER_FILE,
    MODEL_FILE,
    POLICY_FILE,
    RESUME_FILE,
    RNG_FILE,
    check_buffer,
)


@dataclass(frozen=True)
class Payload:
    """A checkpoint's content, validated and serialized, ready to be written."""

    policy: bytes
    model: bytes | None
    buffer: Mapping[str, Any]
    rng_text: str
    resume: Mapping[str, Any] | None = None


def encode(
    *,
    policy: Mapping[str, Any],
    model: Mapping[str, Any] | None,
    buffer: Mapping[str, Any],
    rng: Mapping[str, Any],
    resume: Mapping[str, Any] | None = None,
) -> Payload:
    """Validate and serialize everything *before* any file is touched."""
    policy_bytes = torch_bytes(policy, "policy")
    model_bytes = None if model is None else torch_bytes(model, "model")
    check_buffer(buffer)
    try:
        rng_text = json.dumps(dict(rng), allow_nan=False, indent=1) + "\n"
    except (TypeError, ValueError) as err:
        raise CheckpointContentError(f"rng state is not JSON-able: {err}") from None
    if resume is not None:
        for key, value in resume.items():
            if np.asarray(value).dtype == object:
                raise CheckpointContentError(f"resume[{key!r}] has dtype object (not storable)")
    return Payload(policy_bytes, model_bytes, buffer, rng_text, resume)


def write(directory: Path, epoch: int, payload: Payload) -> Manifest:
    """Create ``directory``, write each file atomically, then the manifest (the commit point)."""
    directory.mkdir(parents=True)
    fsync_dir(directory.parent)
    files: dict[str, FileDigest] = {}
    files[BUFFER_FILE] = save_arrays(directory / BUFFER_FILE, payload.buffer)
    if payload.resume is not None:
        files[RESUME_FILE] = save_arrays(directory / RESUME_FILE, payload.resume)
    if payload.model is not None:
        files[MODEL_FILE] = atomic_write_bytes(directory / MODEL_FILE, payload.model)
    files[POLICY_FILE] = atomic_write_bytes(directory / POLICY_FILE, payload.policy)
    files[RNG_FILE] = atomic_write_text(directory / RNG_FILE, payload.rng_text)
    manifest = Manifest(epoch, files)
    write_manifest(directory, manifest)
    return manifest


def torch_bytes(obj: Mapping[str, Any], what: str) -> bytes:
    """``torch.save`` ``obj`` to bytes, checking it reloads with ``weights_only=True``."""
    import torch

    if not isinstance(obj, dict):
        raise CheckpointContentError(f"{what} must be a dict, got {type(obj).__name__}")
    buf = io.BytesIO()
    try:
        torch.save(obj, buf)
        torch.load(io.BytesIO(buf.getvalue()), map_location="cpu", weights_only=True)
    except Exception as err:
        raise CheckpointContentError(
            f"{what} cannot be stored safely ({_summary(err)}); keep only tensors, dicts, "
            "lists, tuples and plain scalars in it"
        ) from err
    return buf.getvalue()


def load_torch(path: Path, data: bytes, map_location: Any = "cpu") -> dict[str, Any]:
    """Load verified torch bytes read from ``path`` with ``weights_only=True`` (a dict)."""
    import pickle

    import torch

    try:
        obj = torch.load(io.BytesIO(data), map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise CheckpointCorruptError(
            f"{path}: not loadable with weights_only=True ({_summary(err)}), refusing to load"
        ) from err
    except Exception as err:
        raise CheckpointCorruptError(
            f"{path}: not a loadable torch file ({_summary(err)}), refusing to load"
        ) from err
    if not isinstance(obj, dict):
        raise CheckpointCorruptError(f"{path}: holds a {type(obj).__name__}, not a dict")
    return obj


def save_arrays(path: Path, arrays: Mapping[str, Any]) -> FileDigest:
    """Atomically save a dict of arrays as an uncompressed ``.npz`` (no pickled objects)."""
    try:
        return atomic_savez(path, **{k: np.asarray(v) for k, v in arrays.items()})
    except ValueError as err:  # an object array: numpy refuses it with allow_pickle=False
        raise CheckpointContentError(f"{path.name}: {_summary(err)}") from err


def load_arrays(path: Path, data: bytes) -> dict[str, np.ndarray]:
    """Load verified ``.npz`` bytes read from ``path`` (``allow_pickle=False``)."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except Exception as err:
        raise CheckpointCorruptError(
            f"{path}: not a loadable array file ({_summary(err)}), refusing to load"
        ) from err


def _summary(err: BaseException) -> str:
    """One line out of a (possibly multi-paragraph) exception message."""
    text = str(err)
    # torch's weights-only refusal is a long tutorial; the useful part follows this tag.
    match = re.search(r"WeightsUnpickler error:\s*(.+?)(?:\.\s|\n\n|$)", text, re.S)
    if match:
        text = match.group(1)
    line = " ".join(text.split())
    return line if line else type(err).__name__
