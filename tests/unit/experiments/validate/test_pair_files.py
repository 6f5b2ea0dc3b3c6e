"""measure_into (boundcheck.experiments.validate.pair_files): a file that grows run by run,
keeps earlier runs, refuses other settings and names runs without a machine's paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from boundcheck.cli import main
from boundcheck.experiments.validate.pair_files import measure_into
from boundcheck.experiments.validate.source import ValidationSource
from boundcheck.inputs import InputError
from tests.tiny import TINY_TRAIN


def _measure(source: ValidationSource, name: str) -> tuple[dict[str, Any], str]:
    pair = source.pairs[-1]
    return {"run": name, "data_epoch": pair.data_epoch, "epoch": pair.epoch, "v": 1}, "ok"


def test_runs_accumulate_and_bad_runs_are_skipped_by_name(tmp_path: Path) -> None:
    run = tmp_path / "runs" / "tiny"
    assert main(["train", "--out", str(run), "--env", "InvertedPendulum-v5", "--steps", "400",
                 *TINY_TRAIN]) == 0
    out = tmp_path / "m.json"
    missing = tmp_path / "runs" / "missing"
    doc = measure_into(out, [run, missing], {"n": 1}, _measure)
    assert [r["run"] for r in doc["runs"]] == ["tiny"]
    assert [s["run"] for s in doc["skipped"]] == ["missing"]
    assert str(tmp_path) not in json.dumps(doc)
    again = measure_into(out, [run], {"n": 1}, _measure)  # measured again: replaced, not doubled
    assert len(again["runs"]) == 1 and again["skipped"] == doc["skipped"]
    assert json.loads(out.read_text(encoding="utf-8")) == again
    with pytest.raises(InputError, match=r"--out: .* other settings"):
        measure_into(out, [run], {"n": 2}, _measure)
