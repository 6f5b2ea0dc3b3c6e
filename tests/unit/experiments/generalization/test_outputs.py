"""Writing an outcome (:mod:`boundcheck.experiments.generalization.outputs`): results.json
(strict JSON, read back whole), points.csv, the figures and the snapshot actors."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from boundcheck.codec import encode, loads
from boundcheck.estimators import MeanStd
from boundcheck.experiments.generalization.outputs import (
    figure_data,
    points_csv,
    write_outputs,
)
from boundcheck.experiments.generalization.records import SummaryPair
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


def test_the_figures_show_the_typed_document(tmp_path: Path) -> None:
    document = outcome(tmp_path).document
    figure = figure_data(document)
    assert (figure.env, figure.measure, figure.repetitions) == ("InvertedPendulum-v5", "tv", 2)
    assert [s.train_size for s in figure.sizes] == [300, 600]
    curve = figure.sizes[0].curves[0]  # seed 0 of N = 300: π_D, then the snapshot
    assert [(p.kl, p.error, p.stderr) for p in curve] == [(0.0, 0.2, 0.01), (0.2, 0.9, 0.01)]
    assert [len(s.curves) for s in figure.sizes] == [2, 2]
    local = figure.sizes[0].local  # two seeds: the mean slope with the std over seeds
    assert local.mean == pytest.approx(3.0) and local.error == pytest.approx(2 ** 0.5)
    one_seed = MeanStd(mean=3.0, std=math.nan, stderr=math.nan, n=1)
    one = figure_data(replace(document, sizes=tuple(
        replace(s, seeds=s.seeds[:1], slopes={y: {x: SummaryPair(linear=one_seed, local=None)
                                                  for x in by_x} for y, by_x in s.slopes.items()})
        for s in document.sizes)))
    # one seed: the fit's standard error; no slope at all: NaN
    assert one.sizes[0].linear.error == pytest.approx(0.1)
    assert math.isnan(one.sizes[0].local.mean) and math.isnan(one.sizes[0].local.error)
