"""The known-noise study's committed results (docs/results/noise_study.md) are what their
files give: the Hopper summary over seeds recomputes from the per-run validations, and the
Figure 1 result reads back whole, with the repetitions and the k* the page reports."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from boundcheck.cli import main
from boundcheck.estimators.learning import seed_summary
from boundcheck.experiments.generalization.results import read_results

DATA = Path(__file__).resolve().parents[2] / "docs" / "results" / "data"


@pytest.mark.parametrize("sigma", ["0.01", "0.03"])
def test_the_hopper_summary_recomputes_from_the_runs_validations(sigma: str) -> None:
    summary = {r["sigma"]: r for r in json.loads(
        (DATA / "noise_hopper.json").read_text(encoding="utf-8"))["sigmas"]}[float(sigma)]
    pairs = [json.loads((DATA / f"noise_hopper_s{sigma}_seed{s}_validate_all_epochs.json")
                        .read_text(encoding="utf-8"))["pairs"][-1] for s in (0, 1, 2)]
    for key in ("eps_m", "eps_model_shifted", "eps_pi"):
        fresh = seed_summary([p["inputs"][key] for p in pairs])
        shipped = summary["measured"][key]
        assert shipped["n"] == 3 and shipped["mean"] == pytest.approx(fresh.mean)
        if not math.isnan(fresh.ci_low):
            assert shipped["ci_low"] == pytest.approx(fresh.ci_low)
    assert all(p["inputs"]["eps_m_source"] == "tv_sup_over_time" for p in pairs)


def test_figure_1_holds_six_repetitions_and_the_reported_k_star(capsys) -> None:
    path = DATA / "noise_hopper_generalization_results.json"
    result = read_results(path)
    assert result.settings.repetitions == 6 and result.model_error.primary == "tv"
    assert [len(size.seeds) for size in result.sizes] == [6, 6, 6, 6]
    assert not any(w.startswith("partial") for w in result.warnings)
    k_star, ranges = [], []
    for size in result.sizes:
        assert main(["optimal-k", "--from", str(path), "--train-size", str(size.train_size),
                     "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        k_star.append(doc["k_star"])
        span = doc["k_star_interval"]
        assert span["level"] == 0.95 and span["low"] <= doc["k_star"] <= span["high"]
        assert "extrapolation" in doc["extrapolation"]  # eps_pi = 1, beyond the fitted shifts
        ranges.append((span["low"], span["high"]))
    assert k_star == [13, 17, 26, 51]
    assert ranges == [(0, 31), (0, 38), (6, 51), (13, 111)]  # docs/results/noise_study.md
    fitted = [max(p.x("pinsker_tv") for rec in size.seeds for p in rec.points)
              for size in result.sizes]
    assert (round(min(fitted), 2), round(max(fitted), 2)) == (0.66, 0.78)
    # The file's own optimal_k_inputs (written before the intervals) gets them from its record.
    assert main(["optimal-k", "--from", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["k_star_interval"]["high"] == 31
