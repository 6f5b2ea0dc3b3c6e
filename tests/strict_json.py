"""Every JSON file a command writes is strict JSON: :func:`boundcheck.codec.loads` (which
refuses the ``NaN`` and ``Infinity`` tokens of Python's dialect) parses it."""

from __future__ import annotations

from pathlib import Path

from boundcheck.codec import loads


def assert_strict_json(folder: Path) -> int:
    """Parse every ``*.json`` file and every line of every ``*.jsonl`` file under ``folder``
    strictly; returns how many files were read (an AssertionError names a file that fails)."""
    files = sorted([*folder.rglob("*.json"), *folder.rglob("*.jsonl")])
    for path in files:
        text = path.read_text(encoding="utf-8")
        chunks = text.splitlines() if path.suffix == ".jsonl" else [text]
        for i, chunk in enumerate(c for c in chunks if c.strip()):
            try:
                loads(chunk)
            except ValueError as exc:
                raise AssertionError(f"{path} (part {i}) is not strict JSON: {exc}") from None
    return len(files)
