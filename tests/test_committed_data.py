"""Committed result files name runs relatively, never by a machine's absolute paths (a clone
elsewhere has no /work or /tmp): every string in every JSON, JSON-lines and CSV file under
docs/results/data and data/ is checked."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = (ROOT / "docs" / "results" / "data", ROOT / "data")
#: A POSIX absolute path into a machine's folders, a home folder, or a Windows drive path.
ABSOLUTE = re.compile(r"^(/(work|tmp|home|root|Users|mnt|var|private)/|~/|[A-Za-z]:\\)")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _file_strings(path: Path) -> Iterator[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        yield from _strings(json.loads(text))
    elif path.suffix == ".jsonl":
        for line in text.splitlines():
            if line.strip():
                yield from _strings(json.loads(line))
    else:
        for row in csv.reader(text.splitlines()):
            yield from row


FILES = sorted(p for folder in FOLDERS for p in folder.rglob("*")
               if p.suffix in (".json", ".jsonl", ".csv") and p.is_file())


def test_there_are_committed_files_to_check() -> None:
    assert len(FILES) >= 20


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_committed_file_names_an_absolute_path(path: Path) -> None:
    bad = sorted({s for s in _file_strings(path) if ABSOLUTE.match(s)})
    assert not bad, f"{path.relative_to(ROOT)} names absolute paths: {bad[:5]}"
