"""measure-generalization ends with what it found (:func:`boundcheck.render.generalization.
conclusion`), here on the committed Figure 1 result."""

from __future__ import annotations

from pathlib import Path

from boundcheck.experiments.generalization.results import read_results
from boundcheck.render.generalization import conclusion

DATA = Path(__file__).resolve().parents[3] / "docs" / "results" / "data"


def test_the_conclusion_names_the_level_the_slope_and_the_trend() -> None:
    lines = conclusion(read_results(DATA / "noise_hopper_generalization_results.json"))
    assert lines[0].startswith("Conclusion: the model's mean TV at pi_D is 0.856")
    assert "0.552" in lines[0] and "N = 60,000" in lines[0] and "6 repetition(s)" in lines[0]
    assert "not settled" in lines[1]
    assert "13 [0, 31] at N = 5,000" in lines[2] and "51 [13, 111] at N = 60,000" in lines[2]
    assert "optimal-k --from" in lines[2]
