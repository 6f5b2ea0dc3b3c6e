"""tools/rollout_length.py restore: committed runs put back into a sweep folder are, to the
sweep, finished and validated cells (so rerunning the sweep's command trains only the rest)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from boundcheck.experiments.sweep.cells import is_finished
from boundcheck.experiments.sweep.followons import FollowOns
from boundcheck.experiments.validate.settings import ValidateConfig
from tests.tool_module import load_tool

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "docs" / "results" / "data" / "rollout_length_ip"


def _tool() -> ModuleType:
    return load_tool("rollout_length")


def test_restored_cells_are_finished_and_validated(tmp_path: Path) -> None:
    tool = _tool()
    done, kept = tool.restore(DATA, tmp_path)
    cells = sorted(p.name for p in DATA.iterdir() if (p / "config.json").is_file())
    assert done == cells and kept == []
    follow = FollowOns(validate=ValidateConfig())
    for name in cells:
        assert is_finished(tmp_path / name)
        assert follow.missing(tmp_path / name) == []
    # A second restore leaves what the sweep holds alone.
    assert tool.restore(DATA, tmp_path) == ([], cells)
    # Collecting the restored sweep again gives the same files.
    again = tmp_path.parent / "again"
    copied, skipped = tool.collect(tmp_path, again)
    assert copied == cells and skipped == []
    for name in cells:
        for file in ("config.json", "metrics.jsonl", "validation.json"):
            assert (again / name / file).read_bytes() == (DATA / name / file).read_bytes()
