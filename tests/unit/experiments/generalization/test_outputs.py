"""Writing an outcome (:mod:`boundcheck.experiments.generalization.outputs`): results.json
(strict JSON, read back whole), points.csv, the figures and the snapshot actors."""

from __future__ import annotations

from pathlib import Path

import pytest

from boundcheck.codec import encode, loads
from boundcheck.experiments.generalization.outputs import points_csv, write_outputs
from boundcheck.experiments.generalization.results import read_results, read_theory_inputs
from tests.unit.experiments.generalization.factories import outcome


def test_the_outputs_read_back(tmp_path: Path) -> None:
    result = outcome(tmp_path)
    paths = write_outputs(result, tmp_path / "out")
    saved = loads(Path(paths["results"]).read_text())
    names = [f"snapshots/seed{i}_size{n}_snapshot1.pt" for n in (300, 600) for i in (0, 1)]
    assert saved["files"]["snapshots"] == names
    assert all((tmp_path / "out" / name).is_file() for name in names)
    assert read_results(Path(paths["results"])) == result.document
    assert encode(result.document) == {k: v for k, v in saved.items() if k != "files"}
    rows = Path(paths["points"]).read_text().splitlines()
    assert len(rows) == 1 + 2 * 2 * 2 and rows[1].startswith("0,300,pi_D,0,0,,0.0,0.0,")
    # optimal-k --from reads the same file.
    assert read_theory_inputs(Path(paths["results"])).slope == pytest.approx(3.0)


def test_points_csv(tmp_path: Path) -> None:
    lines = points_csv(outcome(tmp_path).document).splitlines()
    assert lines[0].startswith("seed,train_size,policy") and lines[1].startswith("0,300,pi_D")
