"""The one run resolver (:func:`boundcheck.experiments.common.source.resolve_run`): the run
given, else the newest under the runs folder, else the fallback; a ``RunError`` naming the path
when there is none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from boundcheck.experiments.common.source import resolve_run
from boundcheck.runs import RunError, RunNotFoundError
from boundcheck.runs.rundir import RUN_FORMAT, RUN_FORMAT_VERSION


def _run_dir(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps(
        {"format": RUN_FORMAT, "format_version": RUN_FORMAT_VERSION, "config": {}}))
    return path


def test_a_named_run_that_is_not_one_is_a_run_error(tmp_path: Path) -> None:
    with pytest.raises(RunNotFoundError, match="nowhere"):
        resolve_run(tmp_path / "nowhere", tmp_path / "runs")


def test_no_run_and_no_fallback_names_the_runs_folder(tmp_path: Path) -> None:
    with pytest.raises(RunNotFoundError, match=r"under .*runs/;") as info:
        resolve_run(None, tmp_path / "runs")
    assert "reference" not in str(info.value)
    with pytest.raises(RunNotFoundError, match=r"no reference policy in .*ref/"):
        resolve_run(None, tmp_path / "runs", fallback=tmp_path / "ref")


def test_the_fallback_is_taken_when_no_run_has_a_checkpoint(tmp_path: Path) -> None:
    _run_dir(tmp_path / "runs" / "no-checkpoint-yet")
    ref = _run_dir(tmp_path / "ref")
    assert resolve_run(None, tmp_path / "runs", fallback=ref).path == ref


def test_a_damaged_fallback_says_it_is_the_reference_policy(tmp_path: Path) -> None:
    (tmp_path / "ref").mkdir()  # a folder without config.json
    with pytest.raises(RunError, match=r"^reference policy: "):
        resolve_run(None, tmp_path / "runs", fallback=tmp_path / "ref")
