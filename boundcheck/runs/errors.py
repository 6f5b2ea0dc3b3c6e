"""Errors raised by :mod:`boundcheck.runs`.

Every error is a :class:`RunError` carrying a one-line message that names the offending path or
epoch, so the CLI can print it as is (``boundcheck: error: <message>``) and exit non-zero.
"""

from __future__ import annotations


class RunError(Exception):
    """Base class of every run-directory error (one-line, user-facing message)."""


class RunExistsError(RunError):
    """The run directory already exists and is not empty (and ``force`` was not given, or the
    directory does not look like a run directory, so it is not deleted even with ``force``)."""


class RunNotFoundError(RunError):
    """The path is not an existing run directory (no ``config.json``)."""


class RunLockedError(RunError):
    """Another process holds the run directory's writer lock (:mod:`boundcheck.runs.lock`);
    the message names the directory and, when known, the holder's pid."""


class RunConfigError(RunError):
    """A run's ``config.json`` holds a value of the wrong type or outside its range."""


class CheckpointMissingError(RunError):
    """The requested epoch has no complete checkpoint, or that checkpoint lacks the file asked
    for (a model off the save stride, a buffer pruned after a newer checkpoint was written)."""


class CheckpointExistsError(RunError):
    """A checkpoint would overwrite a complete checkpoint or be written out of epoch order."""


class CheckpointCorruptError(RunError):
    """A checkpoint file does not match its manifest (tampered or truncated) or cannot be loaded
    without unpickling arbitrary objects; nothing from it is returned."""


class CheckpointContentError(RunError):
    """What the caller asked to save cannot be stored safely (e.g. a policy dict holding an
    object that ``torch.load(weights_only=True)`` would refuse, or a buffer without epochs)."""


class MetricsCorruptError(RunError):
    """A complete (newline-terminated) line of a JSON-lines file is not a JSON object."""


class RngStateError(RunError):
    """Saved RNG states do not match the generators they are restored into."""
