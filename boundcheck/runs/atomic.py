"""Crash-safe file writes: atomic replace for whole files, torn-line tolerant JSON lines.

A whole file is written to a hidden temporary file in the *same* directory (so the final
``os.replace`` is a same-filesystem rename, atomic on POSIX), flushed and fsynced, renamed over
the target, and the directory is fsynced so the rename itself survives a power loss. A reader
therefore sees either the old file or the new one, never a prefix. A process killed mid-write
leaves at most a ``.<name>.<hex>.tmp`` file, which :func:`remove_stale_tmp_files` deletes.

JSON lines (``metrics.jsonl``) are appended, not replaced, so a kill can tear the last line.
Every record is written as one ``write`` ending in ``\\n``; a last line without its newline is
torn: :func:`read_jsonl` ignores it and :func:`append_jsonl` truncates it before appending, so a
torn line never glues itself onto the next record.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from boundcheck.codec import JsonFileError, dumps, loads
from boundcheck.runs.errors import MetricsCorruptError

_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileDigest:
    """Size in bytes and hex SHA-256 of a file's content."""

    sha256: str
    size: int


def bytes_digest(data: bytes) -> FileDigest:
    """Digest of in-memory bytes."""
    return FileDigest(hashlib.sha256(data).hexdigest(), len(data))


def file_digest(path: Path) -> FileDigest:
    """Digest of a file, read in chunks (does not hold a large buffer in memory)."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return FileDigest(h.hexdigest(), size)


def fsync_dir(directory: Path) -> None:
    """Persist a directory entry change (a rename, a new file); a no-op where unsupported."""
    if os.name == "nt":  # Windows cannot open a directory for fsync; its rename is durable.
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path | str, writer: Callable[[IO[bytes]], object]) -> FileDigest:
    """Write ``path`` atomically: ``writer(f)`` fills a temporary file that then replaces it.

    Returns the digest of exactly the bytes that were renamed into place. If ``writer`` (or
    anything before the rename) raises, the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
    # os.open with 0o666 lets the umask decide permissions (mkstemp would force 0o600).
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            writer(f)
            f.flush()
            os.fsync(f.fileno())
        digest = file_digest(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return digest


def atomic_write_bytes(path: Path | str, data: bytes) -> FileDigest:
    """Atomically replace ``path`` with ``data``."""
    return atomic_write(path, lambda f: f.write(data))


def atomic_write_text(path: Path | str, text: str, encoding: str = "utf-8") -> FileDigest:
    """Atomically replace ``path`` with ``text``."""
    return atomic_write_bytes(path, text.encode(encoding))


def to_json(obj: Any, *, indent: int | None = None) -> str:
    """``obj`` as strict JSON text (:func:`boundcheck.codec.dumps`): numpy and torch numbers
    become plain numbers, and a non-finite float (a diverged loss, an undefined standard
    deviation) is written as ``null``, never as ``NaN``, which most JSON readers reject."""
    return dumps(obj, indent=indent)


def atomic_write_json(path: Path | str, obj: Any, *, indent: int = 2) -> FileDigest:
    """Atomically replace ``path`` with ``obj`` as indented JSON (and a final newline)."""
    return atomic_write_text(path, to_json(obj, indent=indent) + "\n")


def atomic_torch_save(obj: Any, path: Path | str) -> FileDigest:
    """``torch.save(obj, path)``, atomically."""
    import torch  # deferred: importing this module should stay cheap

    return atomic_write(path, lambda f: torch.save(obj, f))


def atomic_savez(path: Path | str, /, **arrays: Any) -> FileDigest:
    """``numpy.savez(path, **arrays)`` (uncompressed, no pickled objects), atomically.

    The file is written exactly at ``path`` (numpy would append ``.npz`` to a bare name).
    """
    import numpy as np

    return atomic_write(path, lambda f: np.savez(f, allow_pickle=False, **arrays))


def append_jsonl(path: Path | str, record: Mapping[str, Any]) -> None:
    """Append ``record`` as one JSON line, durably (fsync), after dropping any torn last line."""
    path = Path(path)
    line = (to_json(dict(record)) + "\n").encode("utf-8")
    created = not path.exists()
    with open(path, "ab+") as f:
        _truncate_torn_tail(f)
        f.seek(0, io.SEEK_END)
        f.write(line)
        f.flush()
        os.fsync(f.fileno())
    if created:
        fsync_dir(path.parent)


def read_json_object(path: Path | str, what: str = "file") -> dict[str, Any]:
    """Read a file holding one JSON object; raises :class:`JsonFileError` with a one-line reason.

    ``what`` names the file in the message (e.g. ``"config file"``). Parsed by the codec's
    loader (:func:`boundcheck.codec.loads`), ``NaN`` and ``Infinity`` tokens of files written
    before the writers were strict included.
    """
    try:
        doc = loads(Path(path).read_text(), allow_nan=True)
    except OSError as exc:
        raise JsonFileError(f"cannot read {what} {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8 text"
        raise JsonFileError(f"{what} {path} is not valid JSON ({reason})") from None
    if not isinstance(doc, dict):
        raise JsonFileError(f"{what} {path} must hold a JSON object")
    return doc


def read_jsonl(path: Path | str) -> list[dict[str, Any]]:
    """All complete records of a JSON-lines file (``[]`` if it does not exist).

    A last line without a terminating newline is a torn write and is ignored. A complete line
    that is not a JSON object raises :class:`MetricsCorruptError` naming the line. ``NaN``
    tokens of records written before the strict codec are read as NaN.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    complete = data[: data.rfind(b"\n") + 1]
    records: list[dict[str, Any]] = []
    for number, raw in enumerate(complete.split(b"\n")[:-1], start=1):
        if not raw.strip():
            continue
        try:
            record = loads(raw, allow_nan=True)
        except (json.JSONDecodeError, UnicodeDecodeError):
            record = None
        if not isinstance(record, dict):
            raise MetricsCorruptError(f"{path}:{number}: not a JSON object")
        records.append(record)
    return records


def rewrite_jsonl(path: Path | str, records: Iterable[Mapping[str, Any]]) -> None:
    """Atomically replace a JSON-lines file with ``records`` (used to roll metrics back)."""
    atomic_write_text(path, "".join(to_json(dict(r)) + "\n" for r in records))


def remove_stale_tmp_files(directory: Path) -> list[Path]:
    """Delete temporary files left by writes that were killed before their rename."""
    stale = [p for p in directory.glob(".*.tmp") if p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


def _truncate_torn_tail(f: IO[bytes]) -> None:
    """Cut an open (``ab+``/``rb+``) file back to just after its last newline."""
    end = f.seek(0, io.SEEK_END)
    if end == 0:
        return
    f.seek(end - 1)
    if f.read(1) == b"\n":
        return
    pos = end
    while pos > 0:
        start = max(0, pos - _CHUNK)
        f.seek(start)
        chunk = f.read(pos - start)
        idx = chunk.rfind(b"\n")
        if idx >= 0:
            f.truncate(start + idx + 1)
            return
        pos = start
    f.truncate(0)
