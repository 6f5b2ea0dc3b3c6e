"""k* per training-set size in measure-generalization's table and slope figure: the numbers
``optimal-k --from --train-size`` gives, with their ranges, and what one seed cannot say."""

from __future__ import annotations

import json
from pathlib import Path

from boundcheck.cli import main
from boundcheck.experiments.generalization import analysis as ana
from boundcheck.experiments.generalization.kstar import k_star_by_size, k_star_text
from boundcheck.experiments.generalization.outputs import figure_data
from boundcheck.experiments.generalization.results import read_results
from boundcheck.plots.generalization import plot_slope_vs_size

from .factories import outcome, size

RESULTS = Path(__file__).resolve().parents[4] / "docs" / "results" / "data" / \
    "noise_hopper_generalization_results.json"


def test_each_size_gives_what_optimal_k_from_gives(capsys) -> None:
    result = read_results(RESULTS)
    rows = k_star_by_size(result.sizes, result.model_error.tv_available,
                          result.settings.eps_policy_updates)
    assert [row.train_size for row in rows] == [s.train_size for s in result.sizes]
    for row in rows:
        assert main(["optimal-k", "--from", str(RESULTS), "--train-size", str(row.train_size),
                     "--gamma", str(row.gamma), "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert row.k_star == doc["k_star"]
        assert (row.low, row.high) == (doc["k_star_interval"]["low"],
                                       doc["k_star_interval"]["high"])
        assert row.extrapolated == ("extrapolation" in doc)
    assert [k_star_text(row) for row in rows] == ["13 [0, 31]", "17 [0, 38]", "26 [6, 51]",
                                                  "51 [13, 111]"]


def test_one_seed_has_a_point_and_no_range() -> None:
    sizes = (size(300, [2.0], [0.2], [0.02]),)
    (row,) = k_star_by_size(sizes, tv_available=True, interval_updates=50)
    assert row.k_star is not None and row.level is None and row.low is None
    assert k_star_text(row).endswith("(no interval: one seed)")
    inputs, _ = ana.optimal_k_inputs(sizes, tv_available=True, interval_updates=50)
    assert inputs is not None and inputs.eps_policy_interval is None


def test_the_slope_figure_gets_a_k_star_panel(tmp_path: Path) -> None:
    figure = figure_data(outcome(tmp_path).document)
    assert all(s.k_star >= 0 and s.k_low <= s.k_star <= s.k_high for s in figure.sizes)
    path = plot_slope_vs_size(figure, tmp_path / "slope.png")
    assert path.stat().st_size > 0
