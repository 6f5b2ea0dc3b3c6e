"""A checkpoint's ``MANIFEST.json``: written last, it lists every file's SHA-256 and size.

A checkpoint directory is *complete* iff its manifest exists (and its files verify). Because
each file, and then the manifest, is written atomically, a run killed while checkpointing leaves
a directory without a manifest, which readers treat as absent. Files dropped later by the
retention policy are moved from ``files`` to ``pruned`` (manifest rewritten first, file deleted
second, so a kill in between leaves only a harmless unlisted file).

The manifest detects accidental corruption and naive tampering; it is not a signature (whoever
can rewrite the files can rewrite the manifest). Safety against malicious files comes from never
unpickling arbitrary objects (``torch.load(weights_only=True)``, ``np.load(allow_pickle=False)``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from boundcheck.codec import loads
from boundcheck.runs.atomic import FileDigest, atomic_write_json, bytes_digest, file_digest
from boundcheck.runs.errors import CheckpointCorruptError, CheckpointMissingError
from boundcheck.runs.retention import MANIFEST_FILE

MANIFEST_FORMAT = "boundcheck-checkpoint"
MANIFEST_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Manifest:
    """Parsed ``MANIFEST.json``: the checkpoint's epoch, its files' digests, pruned names."""

    epoch: int
    files: Mapping[str, FileDigest]
    pruned: tuple[str, ...] = field(default=())

    def __json_encode__(self) -> dict[str, object]:
        """The on-disk form: the format, the epoch, the files' digests and the pruned names,
        both sorted by name."""
        return {
            "format": MANIFEST_FORMAT,
            "format_version": MANIFEST_FORMAT_VERSION,
            "epoch": self.epoch,
            "files": dict(sorted(self.files.items())),
            "pruned": sorted(self.pruned),
        }

    def without(self, names: frozenset[str]) -> Manifest:
        """This manifest with ``names`` moved from ``files`` to ``pruned``."""
        dropped = names & set(self.files)
        return replace(
            self,
            files={k: v for k, v in self.files.items() if k not in dropped},
            pruned=tuple(sorted(set(self.pruned) | dropped)),
        )


def write_manifest(directory: Path, manifest: Manifest) -> None:
    """Atomically write ``directory/MANIFEST.json`` (the commit point of a checkpoint)."""
    atomic_write_json(directory / MANIFEST_FILE, manifest)


def read_manifest(directory: Path) -> Manifest | None:
    """The manifest of a checkpoint directory, or ``None`` if it has none (incomplete)."""
    path = directory / MANIFEST_FILE
    try:
        raw = loads(path.read_text(encoding="utf-8"), allow_nan=True)
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CheckpointCorruptError(f"{path}: not valid JSON, refusing to load") from None
    try:
        if raw["format"] != MANIFEST_FORMAT or raw["format_version"] != MANIFEST_FORMAT_VERSION:
            raise CheckpointCorruptError(
                f"{path}: unsupported manifest format {raw['format']!r} "
                f"version {raw['format_version']!r}"
            )
        files = {
            str(name): FileDigest(str(entry["sha256"]), int(entry["size"]))
            for name, entry in raw["files"].items()
        }
        return Manifest(int(raw["epoch"]), files, tuple(str(p) for p in raw.get("pruned", ())))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise CheckpointCorruptError(f"{path}: malformed manifest, refusing to load") from None


def verified_bytes(directory: Path, manifest: Manifest, name: str) -> bytes:
    """Read ``directory/name`` once and return its bytes if they match the manifest.

    The bytes that were checked are the bytes returned (no check-then-reopen race).
    """
    path = directory / name
    if name not in manifest.files:
        why = "was pruned" if name in manifest.pruned else "is not part of this checkpoint"
        raise CheckpointMissingError(f"epoch {manifest.epoch}: {name} {why}")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CheckpointCorruptError(
            f"{path}: listed in the manifest but missing, refusing to load"
        ) from None
    _compare(path, manifest.files[name], bytes_digest(data))
    return data


def verify(directory: Path, manifest: Manifest) -> None:
    """Check every listed file against the manifest, streaming (no whole file in memory)."""
    for name, expected in manifest.files.items():
        path = directory / name
        try:
            actual = file_digest(path)
        except FileNotFoundError:
            raise CheckpointCorruptError(
                f"{path}: listed in the manifest but missing, refusing to load"
            ) from None
        _compare(path, expected, actual)


def _compare(path: Path, expected: FileDigest, actual: FileDigest) -> None:
    if actual == expected:
        return
    detail = (
        f"expected {expected.size} bytes, found {actual.size}"
        if actual.size != expected.size
        else "sha256 differs"
    )
    raise CheckpointCorruptError(f"{path}: checksum mismatch ({detail}), refusing to load")
