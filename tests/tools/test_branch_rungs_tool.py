"""tools/branch_rungs.py: ``table`` prints the committed tables; bad input to ``measure`` exits
2 in one line naming the option; a run that lacks what the rungs need is skipped by name."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILE = ROOT / "docs" / "results" / "data" / "bound_ladder" / "branch_rungs.json"


def _tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "tools" / "branch_rungs.py"), *args],
                          capture_output=True, text=True, cwd=ROOT, check=False)


def test_table_prints_the_committed_tables() -> None:
    done = _tool("table", str(FILE))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("| IP seed4 |") == 8  # four runs in each of the two tables


@pytest.mark.parametrize("option", ["--episodes", "--stride", "--tv-samples", "--resamples"])
def test_bad_sizes_exit_2(tmp_path: Path, option: str) -> None:
    done = _tool("measure", "somewhere", "--out", str(tmp_path / "o.json"), option, "0")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith(option)


def test_other_settings_and_missing_runs(tmp_path: Path) -> None:
    out = tmp_path / "o.json"
    done = _tool("measure", str(tmp_path / "missing"), "--out", str(out))
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [s["run"] for s in doc["skipped"]] == ["missing"] and not doc["runs"]
    assert str(tmp_path) not in out.read_text(encoding="utf-8")
    done = _tool("measure", str(tmp_path / "missing"), "--out", str(out), "--episodes", "3")
    assert done.returncode == 2 and done.stderr.startswith("--out:")
    assert len(done.stderr.strip().splitlines()) == 1
