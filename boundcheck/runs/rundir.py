"""The run directory every analysis reads (layout and guarantees: docs/run-directory.md).

::

    <run>/config.json                      resolved config + provenance (written once)
    <run>/metrics.jsonl                    one JSON object per epoch, appended
    <run>/checkpoints/epoch_0007/          one directory per epoch (0-based)
        buffer.npz  model.pt  policy.pt  rng.json
        MANIFEST.json                      written last: the checkpoint's commit point

One process writes a run: every write needs the run's writer lock (:mod:`boundcheck.runs.lock`),
taken by :meth:`RunDir.create` and ``RunDir.open(path, writer=True)`` before anything is
touched. Writes are atomic (:mod:`boundcheck.runs.atomic`), loads verify checksums first and
never unpickle arbitrary objects (:mod:`boundcheck.runs.loaders`).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from boundcheck.codec import loads
from boundcheck.runs import loaders
from boundcheck.runs.atomic import (
    append_jsonl,
    atomic_write_json,
    fsync_dir,
    read_jsonl,
)
from boundcheck.runs.errors import (
    CheckpointCorruptError,
    CheckpointMissingError,
    RunError,
    RunNotFoundError,
)
from boundcheck.runs.lock import RunLock
from boundcheck.runs.manifest import Manifest, read_manifest
from boundcheck.runs.prepare import prepare_new_run, trash_dirs
from boundcheck.runs.provenance import provenance
from boundcheck.runs.retention import (
    MANIFEST_FILE,
    MODEL_FILE,
)
from boundcheck.runs.writer import CheckpointWriter

RUN_FORMAT = "boundcheck-run"
RUN_FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"
CHECKPOINTS_DIR = "checkpoints"
_EPOCH_DIR = re.compile(r"epoch_(\d+)")


@dataclass(frozen=True)
class RunDir(loaders.CheckpointLoaders, CheckpointWriter):
    """A run directory on disk; every method reads or writes files, nothing is cached.

    ``lock`` is the writer lock this handle holds (``None``: a read-only handle). Writing
    methods refuse without it; :meth:`release` (or leaving a ``with`` block) gives it up.
    """

    path: Path
    lock: RunLock | None = field(default=None, compare=False, repr=False)

    @classmethod
    def create(cls, path: Path | str, config: Any, *, force: bool = False,
               source_dir: Path | None = None, lock: RunLock | None = None) -> RunDir:
        """Start a new run at ``path``, holding its writer lock, and write its ``config.json``.

        ``config`` is a config dataclass or its ``to_dict`` form. A non-empty directory raises
        :class:`RunExistsError` unless ``force``; even with ``force``, only a run is emptied
        (never an arbitrary folder), and only once its lock is held: a run another process is
        writing raises :class:`RunLockedError` and is left untouched. ``lock``: a
        :class:`RunLock` of ``path`` to use (else one is taken). ``source_dir`` is where to look
        for the git revision (default: the package itself).
        """
        path = Path(path)
        held = prepare_new_run(path, force=force, is_run=_is_run, lock=lock)
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
        return cls(path, held)

    @classmethod
    def open(cls, path: Path | str, *, writer: bool = False,
             lock: RunLock | None = None) -> RunDir:
        """An existing run (:class:`RunNotFoundError` if ``path`` has no run ``config.json``).

        ``writer=True`` (or a ``lock``) also takes the run's writer lock, after checking that
        ``path`` is a run (so no lock file is ever left in a folder that is not one);
        :class:`RunLockedError` if another process holds it.
        """
        run = cls(Path(path))
        run.read_config()
        if not writer and lock is None:
            return run
        taken = lock is None or not lock.held
        held = (lock or RunLock(run.path)).acquire()
        try:
            run.read_config()  # still a run now that it is ours
        except BaseException:
            if taken:
                held.release()
            raise
        return cls(run.path, held)

    def release(self) -> None:
        """Give up the writer lock (a no-op for a read-only handle)."""
        if self.lock is not None:
            self.lock.release()

    def __enter__(self) -> RunDir:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

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
            raw = loads(self.config_path.read_text(encoding="utf-8"), allow_nan=True)
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

    def update_config(self, config: Mapping[str, Any], change: Mapping[str, Any]) -> None:
        """Replace ``config.json``'s ``config`` (atomically) and append ``change`` to its
        ``"changes"`` list, e.g. a resumed run extended to more steps."""
        self._require_writer()
        raw = self.read_config()
        raw["config"] = dict(config)
        changes = raw.get("changes")
        raw["changes"] = [*(changes if isinstance(changes, list) else []), dict(change)]
        atomic_write_json(self.config_path, raw)

    def append_metrics(self, record: Mapping[str, Any]) -> None:
        """Append one epoch's metrics (must hold an integer ``"epoch"``) to ``metrics.jsonl``."""
        self._require_writer()
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
        loaders.verify_checkpoint(self.checkpoint_path(epoch), lambda: self.manifest(epoch))

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

    def _require_writer(self) -> None:
        if self.lock is None or not self.lock.held:
            raise RunError(f"{self.path}: this handle does not hold the run's writer lock; "
                           "open it with RunDir.open(path, writer=True) to write")

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
    """A run, or a run that ``force`` was emptying when it was killed (its trash holds the
    run's ``config.json``)."""
    for candidate in (path, *trash_dirs(path)):
        try:
            RunDir(candidate).read_config()
        except RunError:
            continue
        return True
    return False


def _fmt(epochs: list[int]) -> str:
    return ", ".join(map(str, epochs)) if epochs else "none"
